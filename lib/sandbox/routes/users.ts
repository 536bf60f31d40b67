/** Users: upsert, find, list, archive and scroll. */
import { type ApiContext, ok, type Route } from '../context.ts';
import { createCustomer, findUserForUpsert, updateCustomer } from '../customer-updates.ts';
import { missing, notFound, SandboxHttpError } from '../errors.ts';
import { identifiers, objectBody, queryEnum, queryInteger } from '../input.ts';
import type { Customer } from '../model.ts';
import { limitedList, pagedList, sortBy } from '../pagination.ts';
import { scrollPage } from '../scroll.ts';
import { inSegment } from '../segments.ts';
import type { Workspace } from '../store.ts';
import { renderCustomer } from '../views.ts';
import { deletedCustomerItem } from '../webhooks/items.ts';

const SORTS = ['created_at', 'last_request_at', 'signed_up_at', 'updated_at'] as const;

export function requireUser(ws: Workspace, id: string): Customer {
  const user = ws.customer('user', id);
  if (!user) throw notFound('User Not Found');
  return user;
}

/**
 * Intercom's message for a create/update without an identifier, as quoted from intercom-ruby #471. No
 * source at hand gives its error code: the sandbox's code for a missing parameter stands in, without a
 * `field`, since the message names three.
 */
const noIdentifier = () =>
  new SandboxHttpError(400, 'parameter_not_found', 'User email, user_id or anonymous_id must be supplied');

function upsertUser(ctx: ApiContext) {
  const { ws } = ctx;
  const body = objectBody(ctx.body);
  const ref = identifiers(body);
  if (!ref.id && !ref.user_id && !ref.email) throw noIdentifier();
  const user = findUserForUpsert(ws, ref);
  if (!user)
    return ok(renderCustomer(ws, createCustomer(ws, 'user', body, { user_id: ref.user_id ?? null })));
  updateCustomer(ws, user, body);
  // Identified by id or email, a user may be given its user_id.
  if (ref.user_id && (ref.id || !user.user_id)) user.user_id = ref.user_id;
  return ok(renderCustomer(ws, user));
}

/** Users filtered by `created_since`, `tag_id`, `segment_id`, sorted by `sort` and `order`. */
function filteredUsers(ctx: ApiContext): Customer[] {
  const { ws, query } = ctx;
  let users = ws.customersOf('user');
  const days = queryInteger(query, 'created_since');
  if (days !== undefined) users = users.filter((u) => u.created_at >= ws.nowSeconds() - days * 86_400);
  if (query.tag_id) {
    if (!ws.tags.has(query.tag_id)) throw notFound('Tag Not Found');
    users = users.filter((u) => u.tagIds.has(query.tag_id!));
  }
  if (query.segment_id) {
    const segment = ws.segments.get(query.segment_id);
    if (!segment) throw notFound('Segment Not Found');
    users = users.filter((u) => inSegment(ws, segment, u));
  }
  const sort = queryEnum(query, 'sort', SORTS, 'created_at');
  return sortBy(users, (u) => u[sort], queryEnum(query, 'order', ['asc', 'desc'], 'desc'));
}

function listUsers(ctx: ApiContext) {
  const { ws, query } = ctx;
  const render = (u: Customer) => renderCustomer(ws, u);
  if (query.user_id) {
    const user = ws.byUserId('user', query.user_id);
    if (!user) throw notFound('User Not Found');
    return ok(render(user));
  }
  if (query.email) {
    // 1.0 answers one user; from 1.1 a list, since several users may share an email.
    if (ctx.version === '1.0') {
      const user = ws.uniqueUserByEmail(query.email);
      if (!user) throw notFound('User Not Found');
      return ok(render(user));
    }
    return ok(limitedList(pagedList(ctx, 'user.list', 'users', ws.byEmail('user', query.email), render)));
  }
  return ok(limitedList(pagedList(ctx, 'user.list', 'users', filteredUsers(ctx), render)));
}

/** Archiving notifies `user.deleted` (Intercom: not for bulk archiving, which the sandbox lacks). */
function archive(ws: Workspace, user: Customer) {
  const rendered = renderCustomer(ws, user);
  ws.removeCustomer(user.id);
  ws.notify('user.deleted', () => deletedCustomerItem(user));
  return ok(rendered);
}

/**
 * The user `DELETE /users` names: by `user_id` or `email` in the query, as the SDKs send them; without
 * either, by `id | user_id | email` in a JSON body, as the `intercom.io` npm client sends every
 * non-GET call's parameters (tarunc/intercom.io lib/intercom.io.js `deleteUser`). Intercom archived the
 * user a body named: `DELETE /users` with `{"email": ...}` answered 200 and the user (its recorded
 * replay, test/fixtures/intercom-v1). `id` in a body follows the create/update precedence.
 */
function userToArchive(ctx: ApiContext): Customer | undefined {
  const { ws, query } = ctx;
  if (query.user_id) return ws.byUserId('user', query.user_id);
  if (query.email) return ws.uniqueUserByEmail(query.email);
  const ref = identifiers(objectBody(ctx.body));
  if (ref.id) return ws.customer('user', ref.id);
  if (ref.user_id) return ws.byUserId('user', ref.user_id);
  if (ref.email) return ws.uniqueUserByEmail(ref.email);
  throw missing('user_id', 'A user_id or email is required');
}

function archiveByQuery(ctx: ApiContext) {
  const user = userToArchive(ctx);
  if (!user) throw notFound('User Not Found');
  return archive(ctx.ws, user);
}

export const userRoutes: Route[] = [
  { method: 'POST', template: '/users', handler: upsertUser },
  { method: 'GET', template: '/users', handler: listUsers },
  {
    method: 'GET',
    template: '/users/{id}',
    handler: (ctx) => ok(renderCustomer(ctx.ws, requireUser(ctx.ws, ctx.params.id!))),
  },
  { method: 'DELETE', template: '/users', handler: archiveByQuery },
  {
    method: 'DELETE',
    template: '/users/{id}',
    handler: (ctx) => archive(ctx.ws, requireUser(ctx.ws, ctx.params.id!)),
  },
  {
    method: 'GET',
    template: '/users/scroll',
    handler: (ctx) =>
      scrollPage(ctx, {
        resource: 'users',
        listType: 'user.list',
        all: () => ctx.ws.customersOf('user'),
        get: (id) => ctx.ws.customer('user', id),
        render: (u) => renderCustomer(ctx.ws, u),
      }),
  },
];
