/**
 * The automations' inbox: how a trigger hands a notification to the rules. Any trigger (the Intercom
 * webhook intake today; EventBridge events and schedules next) calls `submitNotification` once it has
 * authenticated its event and found its workspace; this queues it on the FIFO queue, in order per
 * object, de-duplicated by the notification id, and records it so a lost message can be queued again.
 * Triggers depend on this module; nothing here knows which trigger called.
 */
import { createHash } from 'node:crypto';
import { DomainError } from '../errors.ts';
import type { WorkQueue } from '../queue/work-queue.ts';
import type { NotificationStore } from './notification-store.ts';
import type { Notification } from './types.ts';

export interface InboxDeps {
  store: NotificationStore;
  queue: WorkQueue;
  now?: () => number;
}

/** The queue message between a trigger and the automation worker. */
export interface QueuedNotification {
  v: 1;
  workspace: string;
  receivedAt: number;
  notification: Notification;
  /** The object the notification is about, when its trigger says (an event's order key): its FIFO group and run-cap key. */
  objectKey?: string;
}

/**
 * The largest message body the queue is sure to take: 256 KiB, SQS's limit for years (AWS raised the
 * ceiling to 1 MiB in 2025, but a queue's `MaximumMessageSize` may still be 256 KiB). Intercom
 * notifications are a few KB.
 */
export const MAX_MESSAGE_BYTES = 256 * 1024;

/**
 * Characters SQS refuses in a message body (InvalidMessageContents): anything outside #x9 #xA #xD
 * #x20-#xD7FF #xE000-#xFFFD #x10000-#x10FFFF. `JSON.stringify` escapes control characters and lone
 * surrogates but writes U+FFFE and U+FFFF raw.
 */
const NOT_SQS_SAFE = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/**
 * JSON text SQS accepts: the characters it refuses are written as `\uXXXX` escapes. Outside strings,
 * `JSON.stringify` writes only ASCII, so every such character is inside a string (or a key), where
 * the escape is the same JSON value: `JSON.parse` gives back the same object.
 */
export function sqsSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(NOT_SQS_SAFE, (c) => {
    let out = '';
    for (let i = 0; i < c.length; i++) out += `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`;
    return out;
  });
}

/** An id or type as a key part: only strings and numbers (`String` throws on `{"toString": 1}`). */
const part = (value: unknown): string | undefined =>
  typeof value === 'string' || typeof value === 'number' ? String(value) : undefined;

/**
 * Notifications about one object share a FIFO message group: they are processed in order. A tag
 * notification is about its person, an event about the user it happened to.
 */
export function objectKey(notification: Notification): string {
  const item = notification.data.item;
  const person = (item.user ?? item.contact) as { type?: unknown; id?: unknown } | null | undefined;
  const personId = typeof person === 'object' && person !== null ? part(person.id) : undefined;
  if (typeof item.type === 'string' && item.type.endsWith('_tag') && personId !== undefined) {
    return `${part(person?.type) ?? 'user'}:${personId}`;
  }
  if (item.type === 'event' && item.id === undefined) {
    const who = part(item.intercom_user_id ?? item.user_id ?? item.email);
    if (who !== undefined) return `user:${who}`;
  }
  const id = part(item.id);
  return id !== undefined ? `${part(item.type) ?? 'object'}:${id}` : `notification:${notification.id}`;
}

/**
 * Queues a verified notification for `workspace`'s rules, once: `duplicate` when this notification id
 * was queued before (a redelivery, or the loser of two deliveries racing). Throws `payload_too_large`
 * when the message would not fit the queue.
 */
export async function submitNotification(
  deps: InboxDeps,
  workspace: string,
  notification: Notification,
  /** The FIFO group's key when the trigger knows it (an event's order key); else the item's object. */
  key?: string,
): Promise<'queued' | 'duplicate'> {
  const now = deps.now ?? Date.now;
  if (await deps.store.isKnown(workspace, notification.id)) return 'duplicate';
  const message: QueuedNotification = {
    v: 1,
    workspace,
    receivedAt: now(),
    notification,
    ...(key === undefined ? {} : { objectKey: key }),
  };
  const messageBody = sqsSafeJson(message);
  // Re-serialising can grow a body (1e20 is written 100000000000000000000, U+FFFF as \uffff).
  const bytes = Buffer.byteLength(messageBody, 'utf8');
  if (bytes > MAX_MESSAGE_BYTES) {
    throw new DomainError(
      'payload_too_large',
      `The notification takes ${bytes} bytes once queued; the queue takes at most ${MAX_MESSAGE_BYTES}`,
    );
  }
  // The notification id de-duplicates in SQS too (5 minutes), should Intercom redeliver while this runs.
  const dedupe = createHash('sha256').update(`${workspace}\u0000${notification.id}`).digest('hex');
  // The group id is a hash: SQS takes only printable ASCII, and object keys may hold emails or names.
  const group = createHash('sha256')
    .update(`${workspace}/${key ?? objectKey(notification)}`)
    .digest('hex');
  await deps.queue.sendOrdered(messageBody, group, dedupe);
  // Marked received only once queued, by a conditional write: of two deliveries racing past isKnown,
  // one is "queued", the other a duplicate (its message was dropped by the FIFO deduplication id).
  const first = await deps.store.markReceived(workspace, notification.id, notification.topic, now(), {
    body: messageBody,
    group,
    dedupe,
  });
  return first ? 'queued' : 'duplicate';
}
