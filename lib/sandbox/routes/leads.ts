/** Leads (`/contacts`, type `contact`): create or update, find, list, delete, convert and scroll. */
import { type ApiContext, ok, type Route } from '../context.ts';
import {
  changeKind,
  createCustomer,
  findUserForUpsert,
  mergeCustomer,
  updateCustomer,
} from '../customer-updates.ts';
import { missing, notFound } from '../errors.ts';
import { identifiers, type Json, objectBody, optObject, queryEnum } from '../input.ts';
import type { Customer, CustomerKind } from '../model.ts';
import { limitedList, pagedList, sortBy } from '../pagination.ts';
import { scrollPage } from '../scroll.ts';
import type { Workspace } from '../store.ts';
import { renderCustomer } from '../views.ts';
import { deletedCustomerItem } from '../webhooks/items.ts';

const NOT_FOUND: Record<CustomerKind, string> = {
  user: 'User Not Found',
  contact: 'Lead Not Found',
  visitor: 'Visitor Not Found',
};

/** A lead or visitor named by `{id | user_id}`; 404 when there is none. */
export function findByRef(
  ws: Workspace,
  kind: CustomerKind,
  ref: { id?: string; user_id?: string },
  field: string,
) {
  if (!ref.id && !ref.user_id) throw missing(`${field}id`, `${field}id or ${field}user_id is required`);
  const found = ref.id ? ws.customer(kind, ref.id) : ws.byUserId(kind, ref.user_id!);
  if (!found) throw notFound(NOT_FOUND[kind]);
  return found;
}

/**
 * Converts a lead or visitor to a user: merged into the user the body names when it exists, else it
 * becomes that user (the user identifiers replace its own; the Intercom id stays).
 */
export function convertToUser(ws: Workspace, from: Customer, userBody: Json | undefined): Customer {
  if (!userBody) throw missing('user');
  const ref = identifiers(userBody);
  if (!ref.id && !ref.user_id && !ref.email)
    throw missing('user.user_id', 'user needs an id, user_id or email');
  const existing = findUserForUpsert(ws, ref);
  if (existing) {
    mergeCustomer(ws, from, existing);
    return existing;
  }
  changeKind(ws, from, 'user');
  from.user_id = ref.user_id ?? null;
  if (ref.email) from.email = ref.email;
  return from;
}

function upsertLead(ctx: ApiContext) {
  const { ws } = ctx;
  const body = objectBody(ctx.body);
  const ref = identifiers(body);
  if (!ref.id && !ref.user_id) return ok(renderCustomer(ws, createCustomer(ws, 'contact', body)));
  const lead = findByRef(ws, 'contact', ref, '');
  updateCustomer(ws, lead, body);
  return ok(renderCustomer(ws, lead));
}

function listLeads(ctx: ApiContext) {
  const { ws, query } = ctx;
  const render = (c: Customer) => renderCustomer(ws, c);
  if (query.user_id) return ok(render(findByRef(ws, 'contact', { user_id: query.user_id }, '')));
  let leads = ws.customersOf('contact');
  if (query.email) leads = leads.filter((l) => l.email?.toLowerCase() === query.email!.toLowerCase());
  if (query.phone) leads = leads.filter((l) => l.phone === query.phone);
  leads = sortBy(leads, (l) => l.created_at, queryEnum(query, 'order', ['asc', 'desc'], 'desc'));
  return ok(limitedList(pagedList(ctx, 'contact.list', 'contacts', leads, render)));
}

function remove(ws: Workspace, lead: Customer) {
  const rendered = renderCustomer(ws, lead);
  ws.removeCustomer(lead.id);
  // Like user.deleted, only the identifiers.
  ws.notify('contact.deleted', () => deletedCustomerItem(lead));
  return ok(rendered);
}

/**
 * The lead `DELETE /contacts` names: `user_id` in the query (the reference, java, n8n); without it, `id`
 * or `user_id` in a JSON body, as the `intercom.io` npm client sends them. Intercom's answers to that
 * client (its recorded replays, test/fixtures/intercom-v1): the lead object as the body deleted the
 * lead (200 and the lead, 2015); the same call later answered 404 "Lead Not Found" (2016).
 */
function leadToDelete(ctx: ApiContext): Customer {
  if (ctx.query.user_id) return findByRef(ctx.ws, 'contact', { user_id: ctx.query.user_id }, '');
  const { id, user_id } = identifiers(objectBody(ctx.body));
  if (!id && !user_id) throw missing('user_id');
  return findByRef(ctx.ws, 'contact', id ? { id } : { user_id }, '');
}

function convertLead(ctx: ApiContext) {
  const { ws } = ctx;
  const body = objectBody(ctx.body);
  const contact = optObject(body, 'contact');
  if (!contact) throw missing('contact');
  const lead = findByRef(ws, 'contact', identifiers(contact), 'contact.');
  const user = convertToUser(ws, lead, optObject(body, 'user'));
  // Intercom's item is the resulting user, whether the lead became it or was merged into it.
  ws.notify('contact.signed_up', () => renderCustomer(ws, user));
  return ok(renderCustomer(ws, user));
}

export const leadRoutes: Route[] = [
  { method: 'POST', template: '/contacts', handler: upsertLead },
  { method: 'GET', template: '/contacts', handler: listLeads },
  {
    method: 'GET',
    template: '/contacts/{id}',
    handler: (ctx) => ok(renderCustomer(ctx.ws, findByRef(ctx.ws, 'contact', { id: ctx.params.id! }, ''))),
  },
  {
    method: 'DELETE',
    template: '/contacts/{id}',
    handler: (ctx) => remove(ctx.ws, findByRef(ctx.ws, 'contact', { id: ctx.params.id! }, '')),
  },
  { method: 'DELETE', template: '/contacts', handler: (ctx) => remove(ctx.ws, leadToDelete(ctx)) },
  { method: 'POST', template: '/contacts/convert', handler: convertLead },
  {
    method: 'GET',
    template: '/contacts/scroll',
    handler: (ctx) =>
      scrollPage(ctx, {
        resource: 'contacts',
        listType: 'contact.list',
        all: () => ctx.ws.customersOf('contact'),
        get: (id) => ctx.ws.customer('contact', id),
        render: (c) => renderCustomer(ctx.ws, c),
      }),
  },
];
