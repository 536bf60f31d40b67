/** Starting conversations and replying to them: the state machine behind `/messages` and `/reply`. */
import { createCustomer } from './customer-updates.ts';
import { invalid, missing, notFound, SandboxHttpError, typeMismatch } from './errors.ts';
import { type Json, optArray, optId, optInteger, optString } from './input.ts';
import type { Assignee, AuthorRef, Conversation, ConversationPart, Customer, PartType } from './model.ts';
import type { Workspace } from './store.ts';
import { conversationItem } from './webhooks/items.ts';
import type { Topic } from './webhooks/topics.ts';

export const PART_TYPES: readonly PartType[] = ['comment', 'note', 'assignment', 'open', 'close', 'snoozed'];

export function authorOf(c: Customer): AuthorRef {
  return { type: c.kind === 'contact' ? 'lead' : 'user', id: c.id };
}

export function startConversation(
  ws: Workspace,
  init: {
    customer: Customer;
    author: AuthorRef;
    body: string;
    subject?: string;
    messageType?: 'inapp' | 'email';
    createdAt?: number;
  },
): Conversation {
  const now = init.createdAt ?? ws.nowSeconds();
  const fromCustomer = init.author.type !== 'admin';
  const conversation: Conversation = {
    id: ws.ids.numeric('conversation'),
    created_at: now,
    updated_at: now,
    waiting_since: fromCustomer ? now : null,
    snoozed_until: null,
    open: true,
    state: 'open',
    read: !fromCustomer,
    customerIds: [init.customer.id],
    assignee: { type: 'nobody_admin', id: null },
    tagIds: new Set(),
    message: {
      id: ws.ids.numeric('message'),
      subject: init.subject ?? '',
      body: init.body,
      author: init.author,
      message_type: init.messageType ?? 'inapp',
    },
    parts: [],
    seq: ws.nextSeq(),
  };
  ws.conversations.set(conversation.id, conversation);
  ws.notify(fromCustomer ? 'conversation.user.created' : 'conversation.admin.single.created', () =>
    conversationItem(ws, conversation, []),
  );
  return conversation;
}

/**
 * The topic of a reply. Reopening a snoozed conversation is how an admin unsnoozes it through the 1.x
 * API, so that is `conversation.admin.unsnoozed` rather than `.opened`.
 */
function replyTopic(part: ConversationPart, before: Conversation['state']): Topic {
  switch (part.part_type) {
    case 'comment':
      return part.author.type === 'admin' ? 'conversation.admin.replied' : 'conversation.user.replied';
    case 'note':
      return 'conversation.admin.noted';
    case 'assignment':
      return 'conversation.admin.assigned';
    case 'open':
      return before === 'snoozed' ? 'conversation.admin.unsnoozed' : 'conversation.admin.opened';
    case 'close':
      return 'conversation.admin.closed';
    case 'snoozed':
      return 'conversation.admin.snoozed';
  }
}

/** `admin_id` or `assignee_id` as an assignee: an admin, a team, or "0" for nobody. */
function resolveAssignee(ws: Workspace, id: string): Assignee {
  if (id === '0') return { type: 'nobody_admin', id: null };
  if (ws.admins.has(id)) return { type: 'admin', id };
  if (ws.teams.has(id)) return { type: 'team', id };
  throw notFound('Admin Not Found', 'admin_not_found');
}

/** The replying customer, who must take part in the conversation. */
function customerAuthor(ws: Workspace, conversation: Conversation, body: Json): AuthorRef {
  const ref = {
    id: optId(body, 'intercom_user_id'),
    user_id: optId(body, 'user_id'),
    email: optString(body, 'email') ?? undefined,
  };
  if (!ref.id && !ref.user_id && !ref.email)
    throw missing('intercom_user_id', 'One of intercom_user_id, user_id or email is required');
  const customer = ws.findUserRef(ref, true);
  if (!customer) throw notFound('User Not Found');
  if (!conversation.customerIds.includes(customer.id))
    throw new SandboxHttpError(403, 'action_forbidden', 'This user is not a participant of the conversation');
  return authorOf(customer);
}

function attachmentUrls(body: Json): string[] {
  const urls = optArray(body, 'attachment_urls') ?? [];
  return urls.map((url, i) => {
    if (typeof url !== 'string') throw typeMismatch(`attachment_urls[${i}]`, 'a string');
    return url;
  });
}

/** Applies a reply body (validated in full first) and appends its conversation part. */
export function reply(ws: Workspace, conversation: Conversation, body: Json): void {
  const type = optString(body, 'type');
  if (!type) throw missing('type');
  if (type !== 'user' && type !== 'admin') throw invalid('type', 'type must be user or admin');
  const messageType = optString(body, 'message_type');
  if (!messageType) throw missing('message_type');
  if (!(PART_TYPES as readonly string[]).includes(messageType))
    throw invalid('message_type', `message_type must be one of ${PART_TYPES.join(', ')}`);
  const partType = messageType as PartType;
  const text = optString(body, 'body') ?? null;
  const attachments = attachmentUrls(body);
  let author: AuthorRef;
  if (type === 'user') {
    if (partType !== 'comment') throw invalid('message_type', 'A user can only reply with a comment');
    author = customerAuthor(ws, conversation, body);
  } else {
    const adminId = optId(body, 'admin_id');
    if (!adminId) throw missing('admin_id');
    author = { type: 'admin', id: ws.requireAdmin(adminId).id };
  }
  if ((partType === 'comment' || partType === 'note') && !text && attachments.length === 0)
    throw missing('body');
  let assignee: Assignee | null = null;
  if (partType === 'assignment') {
    const assigneeId = optId(body, 'assignee_id');
    if (!assigneeId) throw missing('assignee_id');
    assignee = resolveAssignee(ws, assigneeId);
  }
  const now = ws.nowSeconds();
  let snoozedUntil: number | null | undefined;
  if (partType === 'snoozed') {
    snoozedUntil = optInteger(body, 'snoozed_until');
    if (snoozedUntil === undefined || snoozedUntil === null) throw missing('snoozed_until');
    if (snoozedUntil <= now) throw invalid('snoozed_until', 'snoozed_until must be in the future');
  }

  const part: ConversationPart = {
    id: ws.ids.numeric('part'),
    part_type: partType,
    body: text,
    created_at: now,
    author,
    assigned_to: assignee,
    attachment_urls: attachments,
  };
  const before = conversation.state;
  conversation.parts.push(part);
  ws.notify(replyTopic(part, before), () => conversationItem(ws, conversation, [part]));
  conversation.updated_at = now;
  const setState = (state: Conversation['state']) => {
    conversation.state = state;
    conversation.open = state !== 'closed';
    conversation.snoozed_until = state === 'snoozed' ? (snoozedUntil ?? null) : null;
  };
  switch (partType) {
    case 'comment':
      if (author.type === 'admin') conversation.waiting_since = null;
      else {
        // A customer's reply reopens the conversation and waits for the team again.
        if (conversation.state !== 'open') setState('open');
        conversation.waiting_since ??= now;
        conversation.read = false;
      }
      break;
    case 'assignment':
      conversation.assignee = assignee!;
      break;
    case 'open':
      setState('open');
      break;
    case 'close':
      setState('closed');
      conversation.waiting_since = null;
      break;
    case 'snoozed':
      setState('snoozed');
      break;
    case 'note':
      break;
  }
}

/** A participant for `POST .../customers`: by intercom_user_id, user_id or email (a new lead if no one has it). */
export function customerToAdd(ws: Workspace, ref: Json): Customer {
  const id = optId(ref, 'intercom_user_id');
  const userId = optId(ref, 'user_id');
  const email = optString(ref, 'email');
  if (id || userId) {
    const found = ws.findUserRef({ id, user_id: userId }, true);
    if (!found) throw notFound('User Not Found');
    return found;
  }
  if (!email)
    throw missing('customer.intercom_user_id', 'customer needs an intercom_user_id, user_id or email');
  const user = ws.uniqueUserByEmail(email);
  if (user) return user;
  const lead = ws.byEmail('contact', email)[0];
  if (lead) return lead;
  return createCustomer(ws, 'contact', { email });
}
