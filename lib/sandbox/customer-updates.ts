/** Creating, updating and merging users, leads and visitors (shared by their routes and conversions). */
import { readCustomAttributes, registerCustomAttributes } from './attributes.ts';
import { companyByCompanyId, upsertCompany } from './company-updates.ts';
import { missing, notFound, typeMismatch } from './errors.ts';
import { isObject, type Json, optArray, optBoolean, optId, optInteger, optString } from './input.ts';
import type { Customer, CustomerKind } from './model.ts';
import { uuid } from './random.ts';
import type { Workspace } from './store.ts';
import { renderCustomer } from './views.ts';

/** Leads and visitors carry them (intercom-java visitor.json); users do not. */
const UTM = ['utm_campaign', 'utm_content', 'utm_medium', 'utm_source', 'utm_term'] as const;

const noUtm = (): Record<string, string | null> => Object.fromEntries(UTM.map((k) => [k, null]));

/** A customer not yet in the workspace: `createCustomer` adds it once its attributes are valid. */
export function newCustomer(ws: Workspace, kind: CustomerKind, fields: Partial<Customer> = {}): Customer {
  const now = ws.nowSeconds();
  const customer: Customer = {
    kind,
    id: ws.ids.hex(),
    user_id: kind === 'user' ? null : uuid(ws.random),
    email: null,
    phone: null,
    name: null,
    pseudonym: kind === 'user' ? null : pseudonym(ws),
    created_at: now,
    updated_at: now,
    signed_up_at: null,
    remote_created_at: null,
    last_request_at: null,
    session_count: 0,
    last_seen_ip: null,
    user_agent: null,
    location: null,
    unsubscribed_from_emails: false,
    custom_attributes: {},
    utm: kind === 'user' ? {} : noUtm(),
    companyIds: new Set(),
    tagIds: new Set(),
    seq: ws.nextSeq(),
    ...fields,
  };
  return customer;
}

export function createCustomer(
  ws: Workspace,
  kind: CustomerKind,
  body: Json,
  fields: Partial<Customer> = {},
) {
  const customer = newCustomer(ws, kind, fields);
  applyAttributes(ws, customer, body);
  ws.customers.set(customer.id, customer);
  // Visitors come from the Messenger; 1.x has no topic for their creation.
  if (kind !== 'visitor')
    ws.notify(kind === 'user' ? 'user.created' : 'contact.created', () => renderCustomer(ws, customer));
  return customer;
}

/**
 * Applies an update body to a user or lead and reports what Intercom notifies: a user's email change
 * (`user.email.updated`) or unsubscription from emails (`user.unsubscribed`); a lead's first email
 * (`contact.added_email`) and any lead update (`contact.updated`, a 1.0 topic).
 */
export function updateCustomer(ws: Workspace, c: Customer, body: Json): void {
  const email = c.email;
  const unsubscribed = c.unsubscribed_from_emails;
  applyAttributes(ws, c, body);
  const item = () => renderCustomer(ws, c);
  if (c.kind === 'user') {
    if (c.email !== email) ws.notify('user.email.updated', item);
    if (c.unsubscribed_from_emails && !unsubscribed) ws.notify('user.unsubscribed', item);
  } else if (c.kind === 'contact') {
    if (!email && c.email) ws.notify('contact.added_email', item);
    ws.notify('contact.updated', item);
  }
}

/**
 * The user a create/update or conversion names: by `id` (404 when unknown), else `user_id`, else
 * `email`. An email only matches a user without a different user_id; several matches are a conflict.
 */
export function findUserForUpsert(ws: Workspace, ref: { id?: string; user_id?: string; email?: string }) {
  if (ref.id) {
    const user = ws.customer('user', ref.id);
    if (!user) throw notFound('User Not Found');
    return user;
  }
  if (ref.user_id) {
    const user = ws.byUserId('user', ref.user_id);
    if (user || !ref.email) return user;
    const unclaimed = ws.byEmail('user', ref.email).filter((u) => u.user_id === null);
    if (unclaimed.length > 1) return ws.uniqueUserByEmail(ref.email);
    return unclaimed[0];
  }
  return ref.email ? ws.uniqueUserByEmail(ref.email) : undefined;
}

const COLOURS = ['Red', 'Blue', 'Green', 'Orange', 'Violet', 'Amber', 'Teal', 'Silver'];
const ANIMALS = ['Fox', 'Owl', 'Badger', 'Heron', 'Otter', 'Lynx', 'Wren', 'Hare'];

/** Intercom names anonymous people like "Red Fox from Dublin". */
function pseudonym(ws: Workspace): string {
  const colour = COLOURS[Math.floor(ws.random() * COLOURS.length)];
  const animal = ANIMALS[Math.floor(ws.random() * ANIMALS.length)];
  return `${colour} ${animal} from Dublin`;
}

interface CompanyChange {
  remove: boolean;
  body: Json;
}

function readCompanies(body: Json): CompanyChange[] | undefined {
  const list = optArray(body, 'companies');
  if (!list) return undefined;
  return list.map((item, i) => {
    if (!isObject(item)) throw typeMismatch(`companies[${i}]`, 'an object');
    const entry = item;
    if (optId(entry, 'company_id') === undefined && optId(entry, 'id') === undefined)
      throw missing(`companies[${i}].company_id`);
    return { remove: entry.remove === true, body: entry };
  });
}

function applyCompanies(ws: Workspace, customer: Customer, changes: CompanyChange[]): void {
  for (const change of changes) {
    const companyId = optId(change.body, 'company_id');
    const intercomId = optId(change.body, 'id');
    const existing = companyId ? companyByCompanyId(ws, companyId) : ws.companies.get(intercomId!);
    if (change.remove) {
      if (existing) customer.companyIds.delete(existing.id);
      continue;
    }
    if (!companyId && !existing) throw notFound('Company Not Found', 'company_not_found');
    const { remove: _remove, id: _id, ...fields } = change.body;
    const company = companyId ? upsertCompany(ws, { ...fields, company_id: companyId }) : existing!;
    customer.companyIds.add(company.id);
  }
}

/**
 * Applies a create/update body's attributes. Everything is read and checked before anything changes,
 * so a 400 leaves the customer as it was.
 */
export function applyAttributes(ws: Workspace, c: Customer, body: Json): void {
  const strings = {
    name: optString(body, 'name'),
    phone: optString(body, 'phone'),
    email: optString(body, 'email'),
    last_seen_ip: optString(body, 'last_seen_ip'),
    user_agent: optString(body, 'last_seen_user_agent'),
  };
  // A user's `created_at` (the old name) sets both: Intercom answered `POST /users` with
  // `created_at: 1477195013` by `remote_created_at` and `signed_up_at` 1477195013, its own `created_at`
  // unchanged (recorded: test/fixtures/intercom-v1/intercom.io/post-users.json).
  const legacyCreatedAt = c.kind === 'user' ? optInteger(body, 'created_at') : undefined;
  const times = {
    signed_up_at: optInteger(body, 'signed_up_at') ?? legacyCreatedAt,
    remote_created_at: optInteger(body, 'remote_created_at') ?? legacyCreatedAt,
    last_request_at: optInteger(body, 'last_request_at'),
  };
  const unsubscribed = optBoolean(body, 'unsubscribed_from_emails');
  const touch = optBoolean(body, 'update_last_request_at');
  const newSession = optBoolean(body, 'new_session');
  const utm = Object.fromEntries(UTM.map((k) => [k, optString(body, k)]));
  const custom = readCustomAttributes(body);
  const companies = readCompanies(body);
  const now = ws.nowSeconds();

  for (const [key, value] of Object.entries(strings))
    if (value !== undefined) c[key as keyof typeof strings] = value;
  for (const [key, value] of Object.entries(times))
    if (value !== undefined) c[key as keyof typeof times] = value;
  if (unsubscribed !== undefined) c.unsubscribed_from_emails = unsubscribed;
  if (touch) c.last_request_at = now;
  if (newSession) c.session_count++;
  if (c.kind !== 'user')
    for (const [key, value] of Object.entries(utm)) if (value !== undefined) c.utm[key] = value;
  if (custom) {
    Object.assign(c.custom_attributes, custom);
    registerCustomAttributes(ws, 'customer', custom);
  }
  if (companies) applyCompanies(ws, c, companies);
  c.updated_at = now;
}

/**
 * Folds `from` into `into` (a lead or visitor into an existing user): `into`'s own values win, tags,
 * companies, conversations, notes and events move over, and `from` is removed.
 */
export function mergeCustomer(ws: Workspace, from: Customer, into: Customer): void {
  into.email ??= from.email;
  into.phone ??= from.phone;
  into.name ??= from.name;
  into.location ??= from.location;
  into.last_request_at = Math.max(into.last_request_at ?? 0, from.last_request_at ?? 0) || null;
  into.session_count += from.session_count;
  into.custom_attributes = { ...from.custom_attributes, ...into.custom_attributes };
  for (const id of from.tagIds) into.tagIds.add(id);
  for (const id of from.companyIds) into.companyIds.add(id);
  for (const conversation of ws.conversations.values()) {
    conversation.customerIds = [
      ...new Set(conversation.customerIds.map((id) => (id === from.id ? into.id : id))),
    ];
  }
  for (const note of ws.notes.values()) if (note.customerId === from.id) note.customerId = into.id;
  for (const event of ws.events) if (event.customerId === from.id) event.customerId = into.id;
  into.updated_at = ws.nowSeconds();
  ws.removeCustomer(from.id);
}

/**
 * Turns a lead or visitor into a user or lead in place: the Intercom id stays. A new user keeps its
 * pseudonym and signs up now, `remote_created_at` too: Intercom's answer to a recorded conversion
 * (test/fixtures/intercom-v1/intercom.io/post-contacts-convert.json) kept "Blue Bowtie" and set both
 * to the time of the call, `created_at` unchanged.
 */
export function changeKind(ws: Workspace, c: Customer, kind: CustomerKind): void {
  c.kind = kind;
  if (kind !== 'user' && Object.keys(c.utm).length === 0) c.utm = noUtm();
  if (kind === 'user') {
    c.utm = {};
    c.signed_up_at ??= ws.nowSeconds();
    c.remote_created_at ??= ws.nowSeconds();
  }
  c.updated_at = ws.nowSeconds();
}
