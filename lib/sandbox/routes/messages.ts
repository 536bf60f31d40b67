/** `POST /messages`: admin-initiated (`admin_message`) or user/lead-initiated (`user_message`); both start a conversation. */
import { type ApiContext, ok, type Route } from '../context.ts';
import { authorOf, startConversation } from '../conversation-updates.ts';
import { invalid, missing, notFound } from '../errors.ts';
import { identifiers, type Json, objectBody, optId, optObject, optString, reqString } from '../input.ts';
import type { Customer } from '../model.ts';
import type { Workspace } from '../store.ts';
import { renderAdminById } from '../views.ts';

const CUSTOMER_TYPES = ['user', 'contact', 'lead'];

/** A user (`type: user`) or lead (`contact`/`lead`) by `id | user_id | email`. */
function findCustomer(ws: Workspace, party: Json, field: string): Customer {
  const type = reqString(party, 'type');
  if (!CUSTOMER_TYPES.includes(type)) throw invalid(`${field}.type`, `${field}.type must be user or contact`);
  const ref = identifiers(party);
  if (!ref.id && !ref.user_id && !ref.email)
    throw missing(`${field}.id`, `${field} needs an id, user_id or email`);
  let found: Customer | undefined;
  if (type === 'user') found = ws.findUserRef(ref);
  else if (ref.id) found = ws.customer('contact', ref.id);
  else if (ref.user_id) found = ws.byUserId('contact', ref.user_id);
  else found = ws.byEmail('contact', ref.email!)[0];
  if (!found) throw notFound(type === 'user' ? 'User Not Found' : 'Lead Not Found');
  return found;
}

function adminMessage(ctx: ApiContext, body: Json, from: Json) {
  const { ws } = ctx;
  const fromId = optId(from, 'id');
  if (!fromId) throw missing('from.id');
  const admin = ws.requireAdmin(fromId);
  const to = optObject(body, 'to');
  if (!to) throw missing('to');
  const customer = findCustomer(ws, to, 'to');
  const messageType = optString(body, 'message_type') ?? 'inapp';
  if (messageType !== 'inapp' && messageType !== 'email')
    throw invalid('message_type', 'message_type must be inapp or email');
  const subject = optString(body, 'subject') ?? '';
  if (messageType === 'email' && !subject) throw missing('subject', 'subject is required for email messages');
  const text = reqString(body, 'body');
  const template = optString(body, 'template') ?? 'plain';
  if (template !== 'plain' && template !== 'personal')
    throw invalid('template', 'template must be plain or personal');
  const conversation = startConversation(ws, {
    customer,
    author: { type: 'admin', id: admin.id },
    body: text,
    subject,
    messageType,
  });
  return ok({
    type: 'admin_message',
    id: conversation.message.id,
    created_at: conversation.created_at,
    message_type: messageType,
    subject,
    body: text,
    template,
    owner: renderAdminById(ws, admin),
    to: { type: customer.kind, id: customer.id },
  });
}

function postMessage(ctx: ApiContext) {
  const body = objectBody(ctx.body);
  const from = optObject(body, 'from');
  if (!from) throw missing('from');
  if (optString(from, 'type') === 'admin') return adminMessage(ctx, body, from);
  const customer = findCustomer(ctx.ws, from, 'from');
  const text = reqString(body, 'body');
  const conversation = startConversation(ctx.ws, { customer, author: authorOf(customer), body: text });
  return ok({
    type: 'user_message',
    id: conversation.message.id,
    created_at: conversation.created_at,
    body: text,
    message_type: 'inapp',
    conversation_id: conversation.id,
  });
}

export const messageRoutes: Route[] = [{ method: 'POST', template: '/messages', handler: postMessage }];
