/**
 * `data.item` shapes that only webhooks use. Everything else is the object as the API renders it.
 * Shapes follow payloads Intercom sent in the 1.x era (webhook-models pages and captured payloads).
 */
import type { Conversation, ConversationPart, Customer, Tag } from '../model.ts';
import type { Workspace } from '../store.ts';
import { renderConversation, renderCustomer, renderPart, renderTag } from '../views.ts';

/** `user.deleted` (and, by analogy, `contact.deleted`) carry only the identifiers. */
export function deletedCustomerItem(c: Customer) {
  return { type: c.kind, id: c.id, user_id: c.user_id, email: c.email };
}

/**
 * `user_tag` / `contact_tag`. Intercom put the acting `admin` in user tags (for API calls, the token's
 * admin) and none in the contact tags it sent.
 */
export function taggingItem(ws: Workspace, tag: Tag, c: Customer) {
  const created_at = ws.nowSeconds();
  if (c.kind === 'contact')
    return { type: 'contact_tag', created_at, tag: renderTag(tag), contact: renderCustomer(ws, c) };
  return {
    type: 'user_tag',
    created_at,
    tag: renderTag(tag),
    user: renderCustomer(ws, c),
    admin: { type: 'admin', id: ws.owner().id },
  };
}

/** A customer reference with the name and email a conversation notification shows. */
function namedRef(ws: Workspace, ref: { type: string; id: string | null }) {
  if (ref.type !== 'user' && ref.type !== 'lead') return ref;
  const c = ref.id === null ? undefined : ws.customers.get(ref.id);
  return { ...ref, name: c?.name ?? null, email: c?.email ?? null };
}

/**
 * The conversation with only the parts that caused the notification, as Intercom sends it. The
 * recorded `conversation.user.created` payload (intercom-ruby `test_conversation_notification`, the same
 * in python-intercom) names the `user` and the message's `author` with `name` and `email`, and links
 * the conversation in Intercom's Inbox (`links.conversation_web`).
 */
export function conversationItem(ws: Workspace, c: Conversation, parts: ConversationPart[]) {
  const rendered = renderConversation(ws, c, { parts: false });
  return {
    ...rendered,
    user: namedRef(ws, rendered.user),
    conversation_message: {
      ...rendered.conversation_message,
      author: namedRef(ws, rendered.conversation_message.author),
    },
    conversation_parts: {
      type: 'conversation_part.list',
      conversation_parts: parts.map((part) => renderPart(part)),
      total_count: parts.length,
    },
    links: {
      conversation_web: `https://app.intercom.io/a/apps/${ws.app.id_code}/inbox/all/conversations/${c.id}`,
    },
  };
}

const STRING_TIMESTAMP_TYPES = new Set(['user', 'contact', 'visitor', 'conversation']);

/**
 * The item as a notification carries it. In the recorded 1.x payloads a person's or a conversation's
 * own `created_at` and `updated_at` are strings (`"created_at": "1401970114"` in intercom-ruby's
 * `test_user_notification` and `test_conversation_notification`, copied by python-intercom), where
 * the REST API has integers; their other timestamps, and nested objects, are as the API renders them.
 * intercom-java's notification.json has ISO-8601 strings for a user's timestamps instead: the two
 * recordings agree on strings, not on the format, and the sandbox follows the two that agree.
 */
export function notificationItem(item: unknown): unknown {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return item;
  const record = item as Record<string, unknown>;
  if (typeof record.type !== 'string' || !STRING_TIMESTAMP_TYPES.has(record.type)) return item;
  const out = { ...record };
  for (const key of ['created_at', 'updated_at'])
    if (typeof out[key] === 'number') out[key] = String(out[key]);
  return out;
}

/** Intercom's ping item, message included. */
export const PING_ITEM = { type: 'ping', message: 'something something interzen' } as const;
