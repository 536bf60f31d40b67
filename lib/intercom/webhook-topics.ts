/**
 * The webhook topics of Intercom 1.x that can run an automation rule (reference A.6, webhook-models pages 1.0-1.3).
 * `ping` is left out: Intercom sends it to test a subscription and the intake never queues it.
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
] as const;

export type Topic = (typeof TOPICS)[number];

export function isTopic(value: unknown): value is Topic {
  return (TOPICS as readonly unknown[]).includes(value);
}

/** `conversation.admin.*`: a prefix of whole segments followed by `.*`. */
export function isTopicPattern(value: string): boolean {
  return /^[a-z_]+(\.[a-z_]+)*\.\*$/.test(value);
}

/** The topics a pattern names: itself when it is a topic, every topic under a `prefix.*`. */
export function expandTopic(pattern: string): Topic[] {
  if (isTopic(pattern)) return [pattern];
  if (!isTopicPattern(pattern)) return [];
  const prefix = pattern.slice(0, -1);
  return TOPICS.filter((topic) => topic.startsWith(prefix));
}
