/**
 * The webhook topics of Intercom 1.x (reference A.6, from the 1.0-1.3 webhook-models pages). A
 * subscription may name any of them; the sandbox emits the ones its API can cause (hub.ts lists them).
 */

export const TOPICS = [
  'conversation.user.created',
  'conversation.user.replied',
  'conversation.admin.replied',
  'conversation.admin.single.created',
  'conversation.admin.assigned',
  'conversation.admin.noted',
  'conversation.admin.closed',
  'conversation.admin.opened',
  'conversation.admin.snoozed',
  'conversation.admin.unsnoozed',
  'conversation_part.tag.created',
  'conversation.deleted',
  'user.created',
  'user.deleted',
  'user.unsubscribed',
  'user.unsubscribed_from_sms',
  'user.email.updated',
  'user.tag.created',
  'user.tag.deleted',
  'contact.created',
  'contact.signed_up',
  'contact.added_email',
  'contact.updated',
  'contact.deleted',
  'contact.tag.created',
  'contact.tag.deleted',
  'visitor.signed_up',
  'company.created',
  'event.created',
  'ping',
] as const;

export type Topic = (typeof TOPICS)[number];

export function isTopic(value: unknown): value is Topic {
  return (TOPICS as readonly unknown[]).includes(value);
}

/**
 * How the workspace reports a change. `item` renders the notified object; it is called once the
 * request has succeeded, and only when some subscription wants the topic.
 */
export type ChangeListener = (topic: Topic, item: () => unknown) => void;

export const ignoreChanges: ChangeListener = () => {};
