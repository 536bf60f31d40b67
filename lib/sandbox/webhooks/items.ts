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

/** The conversation with only the parts that caused the notification, as Intercom sends it. */
export function conversationItem(ws: Workspace, c: Conversation, parts: ConversationPart[]) {
  return {
    ...renderConversation(ws, c, { parts: false }),
    conversation_parts: {
      type: 'conversation_part.list',
      conversation_parts: parts.map((part) => renderPart(part)),
      total_count: parts.length,
    },
  };
}

/** Intercom's ping item, message included. */
export const PING_ITEM = { type: 'ping', message: 'something something interzen' } as const;
