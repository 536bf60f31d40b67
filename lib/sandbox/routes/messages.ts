/** `POST /messages`: admin-initiated (`admin_message`) or user/lead-initiated (`user_message`); both start a conversation. */
import { type ApiContext, ok, type Route } from '../context.ts';
import { authorOf, startConversation } from '../conversation-updates.ts';
import { changeKind } from '../customer-updates.ts';
import { invalid, missing, notFound } from '../errors.ts';
import { identifiers, type Json, objectBody, optId, optObject, optString, reqString } from '../input.ts';
import type { Customer } from '../model.ts';
import type { Workspace } from '../store.ts';

const CUSTOMER_TYPES = ['user', 'contact', 'lead'];

type Ref = ReturnType<typeof identifiers>;

/**
 * The lead a message names. Leads are found by `id` or `user_id`; an admin's message cannot address one
 * by `email` ("Receiving Contacts are identified by a user_id or id", R1.1 admin-initiated-conversation;
 * intercom-node #226: `to: {type: "contact", email}` answers 404 "User Not Found"), while a lead sending
 * one may give its email (R1.4 user-or-contact-initiated-conversation). A visitor's `id` or `user_id`
 * with `type: contact` sends as a visitor, who becomes a lead (R1.1 user-or-contact-initiated-conversation).
 */
function findLead(ws: Workspace, ref: Ref, sending: boolean): Customer | undefined {
  if (ref.id) return ws.customer('contact', ref.id) ?? (sending ? ws.customer('visitor', ref.id) : undefined);
  if (ref.user_id)
    return ws.byUserId('contact', ref.user_id) ?? (sending ? ws.byUserId('visitor', ref.user_id) : undefined);
  return sending ? ws.byEmail('contact', ref.email!)[0] : undefined;
}

/** A user (`type: user`) or lead (`contact`/`lead`) by `id | user_id | email`. */
function findCustomer(ws: Workspace, party: Json, field: 'from' | 'to'): Customer {
  const type = reqString(party, 'type');
  if (!CUSTOMER_TYPES.includes(type)) throw invalid(`${field}.type`, `${field}.type must be user or contact`);
  const ref = identifiers(party);
  if (!ref.id && !ref.user_id && !ref.email)
    throw missing(`${field}.id`, `${field} needs an id, user_id or email`);
  const found = type === 'user' ? ws.findUserRef(ref) : findLead(ws, ref, field === 'from');
  // intercom-node #226 and intercom-ruby #295: a lead that cannot be found is "User Not Found" too.
  if (!found) throw notFound('User Not Found');
  return found;
}

/** R1.1 admin-initiated-conversation: the sender as `owner` `{email, id, name, type}`, and no `to`. */
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
    owner: { email: admin.email, id: admin.id, name: admin.name, type: 'admin' },
  });
}

/**
 * R1.1/R1.4 user-or-contact-initiated-conversation: `{type, id, created_at, body, message_type}`. The
 * answer names the message, not the conversation ("you'd need to make an additional call ... to find
 * the latest open conversation"); `conversation_id` only arrived with API 2.x.
 */
function customerMessage(ctx: ApiContext, body: Json, from: Json) {
  const { ws } = ctx;
  const customer = findCustomer(ws, from, 'from');
  const text = reqString(body, 'body');
  if (customer.kind === 'visitor') changeKind(ws, customer, 'contact');
  const conversation = startConversation(ws, { customer, author: authorOf(customer), body: text });
  return ok({
    type: 'user_message',
    id: conversation.message.id,
    created_at: conversation.created_at,
    body: text,
    message_type: 'inapp',
  });
}

function postMessage(ctx: ApiContext) {
  const body = objectBody(ctx.body);
  const from = optObject(body, 'from');
  if (!from) throw missing('from');
  if (optString(from, 'type') === 'admin') return adminMessage(ctx, body, from);
  return customerMessage(ctx, body, from);
}

export const messageRoutes: Route[] = [{ method: 'POST', template: '/messages', handler: postMessage }];
