/**
 * The webhook topics of Intercom 1.x (reference A.6), declared once in lib/intercom/webhook-topics.ts. A
 * subscription may name any of them; the sandbox emits the ones its API can cause (hub.ts lists them).
 */

import { TOPICS as RULE_TOPICS } from '../../intercom/webhook-topics.ts';

/** Every topic a rule can use, plus `ping`, which Intercom sends to test a subscription. */
export const TOPICS = [...RULE_TOPICS, 'ping'] as const;

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
