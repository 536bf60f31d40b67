/**
 * The `notification_event` envelope and its signature. Field order and values follow the payloads
 * Intercom 1.x sent: `links` {}, `self` null, `delivered_at` 0, `delivery_status` "pending" (a ping
 * has `id` and `delivery_status` null).
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { Topic } from './topics.ts';

export const USER_AGENT = 'intercom-parrot-service-client/1.0';

export interface Notification {
  type: 'notification_event';
  app_id: string;
  data: { type: 'notification_event_data'; item: unknown };
  links: Record<string, never>;
  id: string | null;
  topic: Topic;
  delivery_status: 'pending' | null;
  /** 1 on the first attempt, then one more per retry; the id stays the same. */
  delivery_attempts: number;
  delivered_at: 0;
  /** Set by the first attempt. */
  first_sent_at: number;
  created_at: number;
  self: null;
}

export function newNotification(topic: Topic, item: unknown, appId: string, createdAt: number): Notification {
  const ping = topic === 'ping';
  return {
    type: 'notification_event',
    app_id: appId,
    data: { type: 'notification_event_data', item },
    links: {},
    id: ping ? null : `notif_${randomUUID()}`,
    topic,
    delivery_status: ping ? null : 'pending',
    delivery_attempts: 0,
    delivered_at: 0,
    first_sent_at: 0,
    created_at: createdAt,
    self: null,
  };
}

/** `X-Hub-Signature`: HMAC-SHA1 of the exact body bytes. */
export function signature(body: Buffer, secret: string): string {
  return `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`;
}
