/**
 * The workspace every sandbox starts with: the app, its admins and teams always; with `seed`, demo
 * tags, segments, companies, users, leads, visitors, conversations, notes, events and activity logs.
 * Everything is drawn from the workspace's seeded PRNG, so each reset gives the same data.
 */
import { registerCustomAttributes } from './attributes.ts';
import { upsertCompany } from './company-updates.ts';
import { reply, startConversation } from './conversation-updates.ts';
import { newCustomer } from './customer-updates.ts';
import type { Admin, Customer, DataAttribute, Location, Segment, SegmentRule } from './model.ts';
import { pick } from './random.ts';
import { recordActivity } from './routes/admins.ts';
import { eventKey } from './routes/events.ts';
import type { Workspace } from './store.ts';

const DAY = 86_400;
export const SEED_COUNTS = { users: 150, leads: 30, visitors: 5, companies: 12, conversations: 20 };
/** Visitors only come from the Messenger, so the seeded ones have known user_ids to find them by. */
export const SEED_VISITOR_USER_IDS = [1, 2, 3, 4, 5].map((i) => `5e1f0c2b-7a4d-4c1e-9b3a-00000000000${i}`);

const ADMINS: Array<[string, string, string, boolean]> = [
  ['Ada Owner', 'ada@sandbox.example', 'Founder', true],
  ['Brian Support', 'brian@sandbox.example', 'Support lead', true],
  ['Chloe Sales', 'chloe@sandbox.example', 'Account executive', true],
  ['Dev Engineer', 'dev@sandbox.example', 'Engineer', true],
  ['Eve Viewer', 'eve@sandbox.example', 'Analyst', false],
];
const FIRST = [
  'Alice',
  'Bob',
  'Carmen',
  'Dmitri',
  'Esther',
  'Farid',
  'Grace',
  'Hiro',
  'Ines',
  'Jonas',
  'Kemi',
  'Liam',
];
const LAST = ['Walsh', 'Okafor', 'Lindqvist', 'Moreau', 'Tanaka', 'Byrne', 'Rossi', 'Novak', 'Silva', 'Kaur'];
const INDUSTRIES = ['Software', 'Retail', 'Healthcare', 'Education', 'Logistics', 'Finance'];
const PLANS = ['free', 'team', 'pro'];
const EVENTS = ['signed-in', 'invited-teammate', 'exported-report', 'upgraded-plan', 'opened-dashboard'];

const place = (
  city_name: string,
  region_name: string,
  country_name: string,
  country_code: string,
  continent_code: string,
  latitude: number,
  longitude: number,
  postal_code: string | null,
  timezone: string,
): Location => ({
  city_name,
  continent_code,
  country_code,
  country_name,
  latitude,
  longitude,
  postal_code,
  region_name,
  timezone,
});
/** Where seen people were placed, taken in turn (not drawn, so the seeded PRNG's sequence stays). */
const PLACES: Location[] = [
  place('Dublin', 'Dublin', 'Ireland', 'IRL', 'EU', 53.3498, -6.2603, 'D02', 'Europe/Dublin'),
  place('London', 'England', 'United Kingdom', 'GBR', 'EU', 51.5072, -0.1276, 'EC4N', 'Europe/London'),
  place('Berlin', 'Berlin', 'Germany', 'DEU', 'EU', 52.52, 13.405, '10115', 'Europe/Berlin'),
  place('Austin', 'Texas', 'United States', 'USA', 'NA', 30.2672, -97.7431, '78701', 'America/Chicago'),
  place('São Paulo', 'São Paulo', 'Brazil', 'BRA', 'SA', -23.5505, -46.6333, null, 'America/Sao_Paulo'),
  place('Singapore', 'Singapore', 'Singapore', 'SGP', 'AS', 1.3521, 103.8198, '018989', 'Asia/Singapore'),
];
const placeFor = (i: number): Location => ({ ...PLACES[i % PLACES.length]! });

function standardAttributes(ws: Workspace): void {
  const now = ws.app.created_at;
  const add = (model: DataAttribute['model'], name: string, data_type: DataAttribute['data_type']) =>
    ws.dataAttributes.push({
      model,
      name,
      full_name: name,
      label: name.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase()),
      description: '',
      data_type,
      api_writable: !['session_count', 'last_request_at'].includes(name),
      ui_writable: false,
      custom: false,
      archived: false,
      created_at: now,
      updated_at: now,
      admin_id: null,
    });
  for (const [name, type] of [
    ['name', 'string'],
    ['email', 'string'],
    ['phone', 'string'],
    ['user_id', 'string'],
    ['signed_up_at', 'date'],
    ['last_request_at', 'date'],
    ['session_count', 'integer'],
    ['unsubscribed_from_emails', 'boolean'],
  ] as const)
    add('customer', name, type);
  for (const [name, type] of [
    ['name', 'string'],
    ['company_id', 'string'],
    ['monthly_spend', 'float'],
    ['plan', 'string'],
    ['size', 'integer'],
    ['website', 'string'],
    ['industry', 'string'],
  ] as const)
    add('company', name, type);
}

/** Always present: the app's admins (the first owns the token) and teams. */
export function seedOrganisation(ws: Workspace): void {
  for (const [name, email, jobTitle, inbox] of ADMINS) {
    const admin: Admin = {
      id: ws.ids.numeric('admin'),
      name,
      email,
      job_title: jobTitle,
      away_mode_enabled: false,
      away_mode_reassign: false,
      has_inbox_seat: inbox,
    };
    ws.admins.set(admin.id, admin);
  }
  const [ada, brian, chloe] = [...ws.admins.keys()];
  for (const [name, ids] of [
    ['Support', [ada!, brian!]],
    ['Sales', [chloe!]],
  ] as const) {
    const id = ws.ids.numeric('team');
    ws.teams.set(id, { id, name, admin_ids: [...ids] });
  }
  standardAttributes(ws);
}

function seedTagsAndSegments(ws: Workspace, now: number): void {
  for (const name of ['VIP', 'Beta', 'Churn risk', 'Enterprise', 'Newsletter']) {
    const id = ws.ids.numeric('tag');
    ws.tags.set(id, { id, name });
  }
  const segments: Array<[string, Segment['person_type'], SegmentRule]> = [
    ['All users', 'user', { kind: 'all' }],
    ['New', 'user', { kind: 'created_within_days', days: 7 }],
    ['Active', 'user', { kind: 'active_within_days', days: 30 }],
    ['Slipping away', 'user', { kind: 'inactive_for_days', days: 30 }],
    ['Pro plan', 'user', { kind: 'attribute', key: 'plan', value: 'pro' }],
    ['All leads', 'contact', { kind: 'all' }],
    ['All companies', 'company', { kind: 'all' }],
    ['Big spenders', 'company', { kind: 'min_monthly_spend', amount: 500 }],
  ];
  for (const [name, person_type, rule] of segments) {
    const created = now - 200 * DAY;
    const id = ws.ids.hex();
    ws.segments.set(id, { id, name, person_type, rule, created_at: created, updated_at: created });
  }
}

function seedPeople(ws: Workspace, now: number): Customer[] {
  const r = ws.random;
  const tagIds = [...ws.tags.keys()];
  const companyIds = [...ws.companies.keys()];
  const users: Customer[] = [];
  for (let i = 1; i <= SEED_COUNTS.users; i++) {
    const created = now - Math.floor(r() * 400 * DAY);
    const name = `${pick(r, FIRST)} ${pick(r, LAST)}`;
    const number = String(i).padStart(4, '0');
    // Two users share an email: what makes `GET /users?email=` a list from 1.1.
    const email = i === 149 || i === 150 ? 'shared@example.com' : `user${number}@example.com`;
    const lastSeen = r() < 0.85 ? Math.min(now, created + Math.floor(r() * 400 * DAY)) : null;
    const user = newCustomer(ws, 'user', {
      user_id: `u-${number}`,
      email,
      name,
      created_at: created,
      updated_at: lastSeen ?? created,
      signed_up_at: created,
      last_request_at: lastSeen,
      session_count: Math.floor(r() * 60),
      custom_attributes: { plan: pick(r, PLANS) },
      location: lastSeen === null ? null : placeFor(i),
    });
    if (r() < 0.6) user.companyIds.add(pick(r, companyIds));
    if (r() < 0.15) user.companyIds.add(pick(r, companyIds));
    if (r() < 0.3) user.tagIds.add(pick(r, tagIds));
    ws.customers.set(user.id, user);
    users.push(user);
  }
  for (let i = 1; i <= SEED_COUNTS.leads; i++) {
    const created = now - Math.floor(r() * 120 * DAY);
    const lead = newCustomer(ws, 'contact', {
      email: i % 3 === 0 ? null : `lead${String(i).padStart(3, '0')}@prospect.example`,
      phone: i % 4 === 0 ? `+35315550${String(100 + i)}` : null,
      name: i % 2 === 0 ? `${pick(r, FIRST)} ${pick(r, LAST)}` : null,
      created_at: created,
      updated_at: created,
      last_request_at: created + Math.floor(r() * DAY),
      session_count: 1 + Math.floor(r() * 5),
      location: placeFor(i),
    });
    if (r() < 0.2) lead.tagIds.add(pick(r, tagIds));
    ws.customers.set(lead.id, lead);
  }
  for (const [i, userId] of SEED_VISITOR_USER_IDS.entries()) {
    const created = now - Math.floor(r() * 10 * DAY);
    const visitor = newCustomer(ws, 'visitor', {
      user_id: userId,
      created_at: created,
      updated_at: created,
      last_request_at: created,
      session_count: 1,
      location: placeFor(i),
    });
    ws.customers.set(visitor.id, visitor);
  }
  registerCustomAttributes(ws, 'customer', { plan: 'free' });
  return users;
}

function seedCompanies(ws: Workspace, now: number): void {
  const r = ws.random;
  for (let i = 1; i <= SEED_COUNTS.companies; i++) {
    const company = upsertCompany(ws, {
      company_id: `c-${String(i).padStart(3, '0')}`,
      name: `${pick(r, LAST)} ${pick(r, ['Labs', 'Ltd', 'GmbH', 'Inc', 'Partners'])} ${i}`,
      monthly_spend: Math.round(r() * 1000),
      plan: pick(r, PLANS),
      size: 5 + Math.floor(r() * 500),
      industry: pick(r, INDUSTRIES),
      website: `https://company${i}.example`,
      custom_attributes: { region: pick(r, ['EMEA', 'AMER', 'APAC']) },
    });
    company.created_at = now - Math.floor(r() * 500 * DAY);
    company.last_request_at = now - Math.floor(r() * 60 * DAY);
    company.session_count = Math.floor(r() * 500);
  }
}

function seedConversations(ws: Workspace, users: Customer[], now: number): void {
  const r = ws.random;
  const admins = [...ws.admins.values()].filter((a) => a.has_inbox_seat);
  const tagIds = [...ws.tags.keys()];
  for (let i = 0; i < SEED_COUNTS.conversations; i++) {
    const user = users[i * 7]!;
    const createdAt = now - Math.floor((SEED_COUNTS.conversations - i) * 1.5 * DAY);
    const conversation = startConversation(ws, {
      customer: user,
      author: { type: 'user', id: user.id },
      body: `<p>Hi, question #${i + 1}: how do I <b>export</b> my data?</p>`,
      createdAt,
    });
    const admin = pick(r, admins);
    const adminReply = (message_type: string, extra: Record<string, unknown> = {}) =>
      reply(ws, conversation, { type: 'admin', admin_id: admin.id, message_type, ...extra });
    if (i % 4 !== 0) adminReply('assignment', { assignee_id: admin.id });
    if (i % 2 === 0) adminReply('comment', { body: '<p>Thanks! Settings &gt; Export.</p>' });
    if (i % 3 === 0) adminReply('close');
    if (i % 5 === 1) adminReply('snoozed', { snoozed_until: now + 3 * DAY });
    if (i % 6 === 2) conversation.read = true;
    // Admins tag conversations in the Inbox (the 1.x API cannot), so some seeded ones carry a tag
    // (chosen without the PRNG, so the data seeded after them stays as it was).
    if (i % 5 === 0) conversation.tagIds.add(tagIds[(i / 5) % tagIds.length]!);
    for (const part of conversation.parts) part.created_at = createdAt + 600;
    conversation.updated_at = createdAt + 600;
  }
}

function seedNotesEventsLogs(ws: Workspace, users: Customer[], now: number): void {
  const r = ws.random;
  const admins = [...ws.admins.values()];
  for (let i = 0; i < 10; i++) {
    const id = ws.ids.numeric('note');
    ws.notes.set(id, {
      id,
      created_at: now - (10 - i) * DAY,
      body: `<p>Call notes #${i + 1}: interested in the pro plan.</p>`,
      authorId: pick(r, admins).id,
      customerId: users[i % 5]!.id,
    });
  }
  for (let i = 0; i < 120; i++) {
    const user = users[i % 10]!;
    // Some events are older than the 90 days Intercom returns.
    const created = now - Math.floor(r() * 120 * DAY);
    ws.events.push({
      id: ws.ids.numeric('event'),
      event_name: pick(r, EVENTS),
      created_at: created,
      customerId: user.id,
      metadata: { source: pick(r, ['web', 'ios', 'android']) },
      key: eventKey(ws, user.id, created),
    });
  }
  for (let i = 0; i < 12; i++) {
    const admin = pick(r, admins);
    recordActivity(ws, admin, {
      type: i % 3 === 0 ? 'admin_login_success' : 'admin_conversation_assignment_limit_change',
      description: `${admin.name} ${i % 3 === 0 ? 'logged in' : 'changed an assignment limit'}`,
      at: now - (12 - i) * 2 * DAY,
    });
  }
  ws.dataAttributes.push({
    model: 'customer',
    name: 'legacy_score',
    full_name: 'custom_attributes.legacy_score',
    label: 'legacy_score',
    description: 'Retired scoring model',
    data_type: 'integer',
    api_writable: true,
    ui_writable: true,
    custom: true,
    archived: true,
    created_at: now - 300 * DAY,
    updated_at: now - 100 * DAY,
    admin_id: admins[0]!.id,
  });
}

export function seedDemoData(ws: Workspace): void {
  const now = ws.nowSeconds();
  seedTagsAndSegments(ws, now);
  seedCompanies(ws, now);
  const users = seedPeople(ws, now);
  seedConversations(ws, users, now);
  seedNotesEventsLogs(ws, users, now);
}
