/** Conversations: list, get, mark read, reply (also to a user's last conversation), add and remove customers. */
import { type ApiContext, ok, type Route } from '../context.ts';
import { customerToAdd, reply } from '../conversation-updates.ts';
import { invalid, missing, notFound, SandboxHttpError } from '../errors.ts';
import { objectBody, optId, optObject, optString, queryEnum, queryFlag } from '../input.ts';
import type { Conversation } from '../model.ts';
import { CONVERSATION_PAGES, pagedList, sortBy } from '../pagination.ts';
import type { Workspace } from '../store.ts';
import { customerRef, renderConversation } from '../views.ts';

const SORTS = ['created_at', 'updated_at', 'waiting_since'] as const;

function requireConversation(ws: Workspace, id: string): Conversation {
  const conversation = ws.conversations.get(id);
  if (!conversation) throw notFound('Conversation Not Found');
  return conversation;
}

function full(ctx: ApiContext, conversation: Conversation) {
  return ok(renderConversation(ctx.ws, conversation, { plaintext: ctx.query.display_as === 'plaintext' }));
}

function filtered(ctx: ApiContext): Conversation[] {
  const { ws, query } = ctx;
  let list = [...ws.conversations.values()];
  const type = query.type;
  if (type === 'admin') {
    if (!query.admin_id) throw missing('admin_id');
    if (query.admin_id === 'nobody') list = list.filter((c) => c.assignee.type === 'nobody_admin');
    else {
      ws.requireAdmin(query.admin_id);
      list = list.filter((c) => c.assignee.id === query.admin_id);
    }
  } else if (type === 'user') {
    const ref = { id: query.intercom_user_id, user_id: query.user_id, email: query.email };
    if (!ref.id && !ref.user_id && !ref.email)
      throw missing('intercom_user_id', 'One of intercom_user_id, user_id or email is required');
    const customer = ws.findUserRef(ref, true);
    if (!customer) throw notFound('User Not Found');
    list = list.filter((c) => c.customerIds.includes(customer.id));
    if (queryFlag(query, 'unread')) list = list.filter((c) => !c.read);
  } else if (type !== undefined) throw invalid('type', 'type must be admin or user');
  if (query.open === 'true' || query.open === 'false')
    list = list.filter((c) => c.open === (query.open === 'true'));
  const sort = queryEnum(query, 'sort', SORTS, 'updated_at');
  return sortBy(list, (c) => c[sort], queryEnum(query, 'order', ['asc', 'desc'], 'desc'));
}

function listConversations(ctx: ApiContext) {
  const plaintext = ctx.query.display_as === 'plaintext';
  const render = (c: Conversation) => renderConversation(ctx.ws, c, { plaintext, parts: false });
  return ok(pagedList(ctx, 'conversation.list', 'conversations', filtered(ctx), render, CONVERSATION_PAGES));
}

function markRead(ctx: ApiContext) {
  const conversation = requireConversation(ctx.ws, ctx.params.id!);
  const body = objectBody(ctx.body);
  if (body.read !== true) throw invalid('read', 'Only {"read": true} is supported');
  conversation.read = true;
  return full(ctx, conversation);
}

function replyTo(ctx: ApiContext, conversation: Conversation) {
  reply(ctx.ws, conversation, objectBody(ctx.body));
  return full(ctx, conversation);
}

/** The most recent conversation of the user the body identifies. */
function lastConversation(ctx: ApiContext): Conversation {
  const { ws } = ctx;
  const body = objectBody(ctx.body);
  const ref = {
    id: optId(body, 'intercom_user_id'),
    user_id: optId(body, 'user_id'),
    email: optString(body, 'email') ?? undefined,
  };
  if (!ref.id && !ref.user_id && !ref.email)
    throw missing('intercom_user_id', 'One of intercom_user_id, user_id or email is required');
  const customer = ws.findUserRef(ref, true);
  if (!customer) throw notFound('User Not Found');
  const latest = sortBy(
    [...ws.conversations.values()].filter((c) => c.customerIds.includes(customer.id)),
    (c) => c.created_at,
    'desc',
  )[0];
  if (!latest) throw notFound('Conversation Not Found');
  return latest;
}

function customersOf(ws: Workspace, conversation: Conversation) {
  return ok({ customers: conversation.customerIds.map((id) => customerRef(ws, id)) });
}

function addCustomer(ctx: ApiContext) {
  const { ws } = ctx;
  const conversation = requireConversation(ws, ctx.params.conversation_id!);
  const body = objectBody(ctx.body);
  const adminId = optId(body, 'admin_id');
  if (adminId) ws.requireAdmin(adminId);
  else {
    const ref = {
      id: optId(body, 'intercom_user_id'),
      user_id: optId(body, 'user_id'),
      email: optString(body, 'email') ?? undefined,
    };
    if (!ref.id && !ref.user_id && !ref.email)
      throw missing(
        'admin_id',
        'admin_id, or the acting customer (intercom_user_id, user_id or email), is required',
      );
    const actor = ws.findUserRef(ref, true);
    if (!actor) throw notFound('User Not Found');
    if (!conversation.customerIds.includes(actor.id))
      throw new SandboxHttpError(403, 'action_forbidden', 'Only a participant can add customers');
  }
  const customerBody = optObject(body, 'customer');
  if (!customerBody) throw missing('customer');
  const customer = customerToAdd(ws, customerBody);
  if (!conversation.customerIds.includes(customer.id)) conversation.customerIds.push(customer.id);
  conversation.updated_at = ws.nowSeconds();
  return customersOf(ws, conversation);
}

function removeCustomer(ctx: ApiContext) {
  const { ws } = ctx;
  const conversation = requireConversation(ws, ctx.params.conversation_id!);
  const adminId = optId(objectBody(ctx.body), 'admin_id');
  if (!adminId) throw missing('admin_id');
  ws.requireAdmin(adminId);
  const id = ctx.params.id!;
  if (!conversation.customerIds.includes(id)) throw notFound('Customer Not Found in this conversation');
  if (conversation.customerIds.length === 1)
    throw invalid('id', 'The last customer of a conversation cannot be removed');
  conversation.customerIds = conversation.customerIds.filter((c) => c !== id);
  conversation.updated_at = ws.nowSeconds();
  return customersOf(ws, conversation);
}

export const conversationRoutes: Route[] = [
  { method: 'GET', template: '/conversations', handler: listConversations },
  {
    method: 'GET',
    template: '/conversations/{id}',
    handler: (ctx) => full(ctx, requireConversation(ctx.ws, ctx.params.id!)),
  },
  { method: 'PUT', template: '/conversations/{id}', handler: markRead },
  {
    method: 'POST',
    template: '/conversations/{conversation_id}/reply',
    handler: (ctx) => replyTo(ctx, requireConversation(ctx.ws, ctx.params.conversation_id!)),
  },
  {
    method: 'POST',
    template: '/conversations/last/reply',
    handler: (ctx) => replyTo(ctx, lastConversation(ctx)),
  },
  { method: 'POST', template: '/conversations/{conversation_id}/customers', handler: addCustomer },
  { method: 'DELETE', template: '/conversations/{conversation_id}/customers/{id}', handler: removeCustomer },
];
