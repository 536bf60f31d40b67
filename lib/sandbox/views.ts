/** Records rendered as Intercom 1.x JSON objects (each carries its `type`). */
import type {
  Admin,
  Assignee,
  AuthorRef,
  Company,
  Conversation,
  ConversationPart,
  Customer,
  EventRecord,
  Location,
  Note,
  Segment,
  Tag,
  Team,
} from './model.ts';
import { segmentCount, segmentsOfCompany, segmentsOfCustomer } from './segments.ts';
import type { Workspace } from './store.ts';

export function renderTag(tag: Tag) {
  return { type: 'tag', id: tag.id, name: tag.name };
}

function tagList(ws: Workspace, ids: Set<string>) {
  return { type: 'tag.list', tags: ws.tagsOf(ids).map(renderTag) };
}

const NOWHERE: Location = {
  city_name: null,
  continent_code: null,
  country_code: null,
  country_name: null,
  latitude: null,
  longitude: null,
  postal_code: null,
  region_name: null,
  timezone: null,
};

/**
 * Every field always, null where unknown, as Intercom rendered leads it had not placed (the recorded
 * contact.list in test/fixtures/intercom-v1); latitude and longitude are numbers (intercom-java
 * user.json, visitor.json).
 */
function renderLocation(location: Location | null) {
  return { type: 'location_data', ...(location ?? NOWHERE) };
}

/**
 * Leads and visitors have a `referrer`, the page the Messenger first saw them on (intercom-java
 * visitor.json): the sandbox has no Messenger, so it is null.
 */
const referrer = (c: Customer) => (c.kind === 'user' ? {} : { referrer: null });

/** `user`, `contact` (a lead) or `visitor`. */
export function renderCustomer(ws: Workspace, c: Customer) {
  const companies = [...c.companyIds]
    .map((id) => ws.companies.get(id))
    .filter((co): co is Company => co !== undefined)
    .map((co) => ({ type: 'company', company_id: co.company_id, id: co.id, name: co.name }));
  return {
    type: c.kind,
    id: c.id,
    user_id: c.user_id,
    anonymous: c.kind !== 'user',
    email: c.email,
    phone: c.phone,
    name: c.name,
    pseudonym: c.pseudonym,
    avatar: { type: 'avatar', image_url: null },
    app_id: ws.app.id_code,
    companies: { type: 'company.list', companies },
    location_data: renderLocation(c.location),
    last_request_at: c.last_request_at,
    created_at: c.created_at,
    remote_created_at: c.remote_created_at,
    signed_up_at: c.signed_up_at,
    updated_at: c.updated_at,
    session_count: c.session_count,
    social_profiles: { type: 'social_profile.list', social_profiles: [] },
    unsubscribed_from_emails: c.unsubscribed_from_emails,
    marked_email_as_spam: false,
    has_hard_bounced: false,
    last_seen_ip: c.last_seen_ip,
    user_agent_data: c.user_agent,
    ...referrer(c),
    ...c.utm,
    tags: tagList(ws, c.tagIds),
    segments: {
      type: 'segment.list',
      segments: segmentsOfCustomer(ws, c).map((s) => ({ type: 'segment', id: s.id })),
    },
    custom_attributes: { ...c.custom_attributes },
  };
}

export function planId(name: string): string {
  let h = 0;
  for (const ch of name) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
  return String(100_000 + (h % 900_000));
}

export function renderCompany(ws: Workspace, c: Company) {
  return {
    type: 'company',
    id: c.id,
    company_id: c.company_id,
    name: c.name,
    app_id: ws.app.id_code,
    created_at: c.created_at,
    updated_at: c.updated_at,
    remote_created_at: c.remote_created_at,
    last_request_at: c.last_request_at,
    monthly_spend: c.monthly_spend,
    session_count: c.session_count,
    user_count: ws.companyUsers(c.id).length,
    size: c.size,
    website: c.website,
    industry: c.industry,
    plan: c.plan === null ? {} : { type: 'plan', id: planId(c.plan), name: c.plan },
    custom_attributes: { ...c.custom_attributes },
    tags: tagList(ws, c.tagIds),
    segments: {
      type: 'segment.list',
      segments: segmentsOfCompany(ws, c).map((s) => ({ type: 'segment', id: s.id })),
    },
  };
}

/**
 * Admin and team ids are strings as objects' `id`s but integers inside `team_ids` / `admin_ids`
 * (R1.0 set-admin-away-mode `"team_ids":[814865]`; R1.1 view-a-team and intercom-ruby's `test_team`
 * `"admin_ids":[646303,814860]`; intercom-java admin.json). Sandbox ids are numeric strings, so this
 * cannot lose anything.
 */
const integerIds = (ids: string[]) => ids.map(Number);

const AVATAR = { type: 'avatar', image_url: null } as const;

/** An admin: `job_title` as on R1.0 canvas-kit's admin object and intercom-client 6.x's `Admin`. */
export function renderAdmin(admin: Admin, teamIds: string[]) {
  return {
    type: 'admin',
    id: admin.id,
    name: admin.name,
    email: admin.email,
    job_title: admin.job_title,
    away_mode_enabled: admin.away_mode_enabled,
    away_mode_reassign: admin.away_mode_reassign,
    has_inbox_seat: admin.has_inbox_seat,
    team_ids: integerIds(teamIds),
    avatar: { ...AVATAR },
  };
}

export function renderAdminById(ws: Workspace, admin: Admin) {
  const teamIds = [...ws.teams.values()].filter((t) => t.admin_ids.includes(admin.id)).map((t) => t.id);
  return renderAdmin(admin, teamIds);
}

/** `GET /teams` and `/teams/{id}` (R1.1 view-a-team; intercom-ruby `test_team`). */
export function renderTeam(team: Team) {
  return { type: 'team', id: team.id, name: team.name, admin_ids: integerIds(team.admin_ids) };
}

/**
 * A team as `GET /admins` lists it: the admin fields a team has (R1.2 list-admins: `email` null,
 * `away_mode_enabled`, `away_mode_reassign`; intercom-java admins.json: `avatar`), then its admin ids.
 */
export function renderTeamEntry(team: Team) {
  return {
    type: 'team',
    id: team.id,
    name: team.name,
    email: null,
    away_mode_enabled: false,
    away_mode_reassign: false,
    avatar: { ...AVATAR },
    admin_ids: integerIds(team.admin_ids),
  };
}

export function renderSegment(ws: Workspace, s: Segment, includeCount: boolean) {
  return {
    type: 'segment',
    id: s.id,
    name: s.name,
    created_at: s.created_at,
    updated_at: s.updated_at,
    person_type: s.person_type,
    ...(includeCount ? { count: segmentCount(ws, s) } : {}),
  };
}

/** The `{type, id}` a conversation shows for a customer: users are `user`, leads `lead`. */
export function customerRef(ws: Workspace, id: string) {
  const c = ws.customers.get(id);
  return { type: c?.kind === 'contact' ? 'lead' : 'user', id };
}

export function renderNote(ws: Workspace, note: Note) {
  const author = ws.admins.get(note.authorId);
  return {
    type: 'note',
    id: note.id,
    created_at: note.created_at,
    body: note.body,
    author: author ? renderAdminById(ws, author) : { type: 'admin', id: note.authorId },
    user: customerRef(ws, note.customerId),
  };
}

export function renderEvent(ws: Workspace, e: EventRecord) {
  const c = ws.customers.get(e.customerId);
  return {
    type: 'event',
    id: e.id,
    created_at: e.created_at,
    event_name: e.event_name,
    user_id: c?.user_id ?? null,
    email: c?.email ?? null,
    intercom_user_id: e.customerId,
    metadata: { ...e.metadata },
  };
}

/** Tags removed and a few entities decoded: Intercom's `display_as=plaintext`. */
export function plaintext(html: string): string {
  return html
    .replace(/<br\s*\/?>/gi, '\n')
    .replace(/<\/p>\s*<p[^>]*>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

function renderAssignee(a: Assignee) {
  return a.type === 'nobody_admin' ? { type: 'nobody_admin', id: null } : { type: a.type, id: a.id };
}

export function renderPart(part: ConversationPart, text: (s: string | null) => string | null = (s) => s) {
  return {
    type: 'conversation_part',
    id: part.id,
    part_type: part.part_type,
    body: text(part.body),
    created_at: part.created_at,
    updated_at: part.created_at,
    notified_at: part.created_at,
    assigned_to: part.assigned_to ? renderAssignee(part.assigned_to) : null,
    author: { ...part.author },
    attachments: part.attachment_urls.map(attachment),
    external_id: null,
  };
}

function attachment(url: string) {
  return { type: 'upload', name: url.split('/').pop() ?? url, url, content_type: null, filesize: null };
}

/**
 * How the conversation started (intercom-java conversation.json: `"delivered_as": "customer_initiated"`).
 * A message from an admin through `POST /messages` is `admin_initiated`, the value intercom-client 6.x's
 * `ConversationSource` documents for a message an admin sends to a fixed audience.
 */
function deliveredAs(author: AuthorRef): 'customer_initiated' | 'admin_initiated' {
  return author.type === 'admin' ? 'admin_initiated' : 'customer_initiated';
}

/** The full conversation; list items leave out `conversation_parts`. */
export function renderConversation(
  ws: Workspace,
  c: Conversation,
  options: { plaintext?: boolean; parts?: boolean } = {},
) {
  const text = (s: string | null) => (s !== null && options.plaintext ? plaintext(s) : s);
  return {
    type: 'conversation',
    id: c.id,
    created_at: c.created_at,
    updated_at: c.updated_at,
    waiting_since: c.waiting_since,
    snoozed_until: c.snoozed_until,
    conversation_message: {
      type: 'conversation_message',
      id: c.message.id,
      subject: c.message.subject,
      body: text(c.message.body),
      delivered_as: deliveredAs(c.message.author),
      author: { ...c.message.author },
      attachments: [],
      url: null,
    },
    user: customerRef(ws, c.customerIds[0]!),
    customers: c.customerIds.map((id) => customerRef(ws, id)),
    assignee: renderAssignee(c.assignee),
    open: c.open,
    state: c.state,
    read: c.read,
    tags: tagList(ws, c.tagIds),
    ...(options.parts === false
      ? {}
      : {
          conversation_parts: {
            type: 'conversation_part.list',
            conversation_parts: c.parts.map((p) => renderPart(p, text)),
            total_count: c.parts.length,
          },
        }),
  };
}
