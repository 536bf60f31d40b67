/** Visitors: find, update (an email makes the visitor a lead), delete and convert. */
import { type ApiContext, ok, type Route } from '../context.ts';
import { applyAttributes, changeKind } from '../customer-updates.ts';
import { invalid, missing } from '../errors.ts';
import { identifiers, objectBody, optObject, optString } from '../input.ts';
import type { Workspace } from '../store.ts';
import { renderCustomer } from '../views.ts';
import { convertToUser, findByRef } from './leads.ts';

function byQuery(ws: Workspace, userId: string | undefined) {
  if (!userId) throw missing('user_id');
  return findByRef(ws, 'visitor', { user_id: userId }, '');
}

/** `PUT /visitors` (and `POST`, as node's SDK sends): identified by body `id` or `user_id`. */
function updateVisitor(ctx: ApiContext) {
  const { ws } = ctx;
  const body = objectBody(ctx.body);
  const visitor = findByRef(ws, 'visitor', identifiers(body), '');
  // Checked before the update: the reference says an email turns the visitor into a lead.
  const email = optString(body, 'email');
  applyAttributes(ws, visitor, body);
  if (email) changeKind(ws, visitor, 'contact');
  return ok(renderCustomer(ws, visitor));
}

function remove(ctx: ApiContext, id: string | undefined) {
  const visitor = id ? findByRef(ctx.ws, 'visitor', { id }, '') : byQuery(ctx.ws, ctx.query.user_id);
  const rendered = renderCustomer(ctx.ws, visitor);
  ctx.ws.removeCustomer(visitor.id);
  return ok(rendered);
}

function convertVisitor(ctx: ApiContext) {
  const { ws } = ctx;
  const body = objectBody(ctx.body);
  const ref = optObject(body, 'visitor');
  if (!ref) throw missing('visitor');
  const type = optString(body, 'type');
  if (!type) throw missing('type');
  if (type !== 'user' && type !== 'lead') throw invalid('type', 'type must be user or lead');
  const visitor = findByRef(ws, 'visitor', identifiers(ref), 'visitor.');
  if (type === 'user') {
    const user = convertToUser(ws, visitor, optObject(body, 'user'));
    // As for contact.signed_up, the item is the resulting user.
    ws.notify('visitor.signed_up', () => renderCustomer(ws, user));
    return ok(renderCustomer(ws, user));
  }
  // 1.x has no topic for a visitor becoming a lead.
  changeKind(ws, visitor, 'contact');
  return ok(renderCustomer(ws, visitor));
}

export const visitorRoutes: Route[] = [
  {
    method: 'GET',
    template: '/visitors/{id}',
    handler: (ctx) => ok(renderCustomer(ctx.ws, findByRef(ctx.ws, 'visitor', { id: ctx.params.id! }, ''))),
  },
  {
    method: 'GET',
    template: '/visitors',
    handler: (ctx) => ok(renderCustomer(ctx.ws, byQuery(ctx.ws, ctx.query.user_id))),
  },
  { method: 'PUT', template: '/visitors', handler: updateVisitor },
  { method: 'POST', template: '/visitors', handler: updateVisitor },
  { method: 'DELETE', template: '/visitors/{id}', handler: (ctx) => remove(ctx, ctx.params.id) },
  { method: 'DELETE', template: '/visitors', handler: (ctx) => remove(ctx, undefined) },
  { method: 'POST', template: '/visitors/convert', handler: convertVisitor },
];
