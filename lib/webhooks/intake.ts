/**
 * `POST /webhooks/intercom`: verify, de-duplicate, queue, acknowledge. The raw body is verified
 * before it is trusted; a bad payload is a 4xx (a 5xx would make Intercom pause the subscription) and
 * only our own failures (the queue, the table) are 5xx, so Intercom retries them.
 */
import { createHash } from 'node:crypto';
import type { Notification } from '../automations/types.ts';
import type { WorkQueue } from '../bulk/queue.ts';
import type { AppConfig, WorkspaceConfig } from '../config/types.ts';
import { HttpError } from '../http/errors.ts';
import { type SignatureHeaders, verifySignature } from './signature.ts';
import type { NotificationStore } from './store.ts';

export interface IntakeDeps {
  config: Pick<AppConfig, 'workspaces' | 'defaultWorkspace'>;
  store: NotificationStore;
  queue: WorkQueue;
  now?: () => number;
}

export interface QueuedNotification {
  v: 1;
  workspace: string;
  receivedAt: number;
  notification: Notification;
}

export type IntakeOutcome =
  | { kind: 'queued' | 'duplicate' | 'ping'; notificationId: string; topic: string }
  | { kind: 'lifecycle' };

function invalidSignature(): HttpError {
  return new HttpError(401, 'invalid_signature', 'The webhook signature does not verify');
}

function parse(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The workspace a notification belongs to: its `app_id`'s, else the default one. */
function workspaceFor(config: IntakeDeps['config'], appId: unknown): WorkspaceConfig | undefined {
  if (typeof appId === 'string') {
    for (const workspace of config.workspaces.values()) if (workspace.appId === appId) return workspace;
  }
  return config.workspaces.get(config.defaultWorkspace);
}

/**
 * Notifications about one object share a FIFO message group: they are processed in order. A tag
 * notification is about its person, an event about the user it happened to.
 */
export function objectKey(notification: Notification): string {
  const item = notification.data.item;
  const person = (item.user ?? item.contact) as { type?: unknown; id?: unknown } | undefined;
  if (typeof item.type === 'string' && item.type.endsWith('_tag') && person?.id !== undefined) {
    return `${String(person.type ?? 'user')}:${String(person.id)}`;
  }
  if (item.type === 'event' && item.id === undefined) {
    const who = item.intercom_user_id ?? item.user_id ?? item.email;
    if (who !== undefined) return `user:${String(who)}`;
  }
  const id = item.id;
  return typeof id === 'string' || typeof id === 'number'
    ? `${String(item.type ?? 'object')}:${String(id)}`
    : `notification:${notification.id}`;
}

function checkShape(payload: unknown): Notification {
  const n = payload as Partial<Notification> | undefined;
  const problems: Array<{ path: string; message: string }> = [];
  if (typeof n !== 'object' || n === null || Array.isArray(n)) {
    throw new HttpError(400, 'validation_failed', 'Not an Intercom notification', {
      details: [{ path: '/', message: 'must be a notification_event object' }],
    });
  }
  if (n.type !== 'notification_event')
    problems.push({ path: '/type', message: 'must be "notification_event"' });
  if (typeof n.id !== 'string' || n.id.length === 0 || n.id.length > 200)
    problems.push({ path: '/id', message: 'must be a string' });
  if (typeof n.topic !== 'string' || !/^[a-z_.]{1,100}$/.test(n.topic))
    problems.push({ path: '/topic', message: 'must be a topic name' });
  const item = n.data?.item;
  if (typeof item !== 'object' || item === null || Array.isArray(item))
    problems.push({ path: '/data/item', message: 'must be an object' });
  if (problems.length > 0)
    throw new HttpError(400, 'validation_failed', 'Not an Intercom notification', { details: problems });
  return n as Notification;
}

export async function receiveWebhook(
  deps: IntakeDeps,
  body: Buffer,
  headers: SignatureHeaders,
): Promise<IntakeOutcome> {
  const now = deps.now ?? Date.now;
  const payload = parse(body);
  const workspace = workspaceFor(deps.config, (payload as { app_id?: unknown } | undefined)?.app_id);
  if (!workspace || !verifySignature(body, headers, workspace.webhookSecrets)) throw invalidSignature();
  if (payload === undefined) throw new HttpError(400, 'invalid_json', 'The body is not valid JSON');
  // Uninstall and health checks (X-Body-Signature) carry no notification: acknowledged, nothing queued.
  if (headers.hub === undefined) return { kind: 'lifecycle' };
  // A ping (sent when a subscription is made or tested) has no id: acknowledged, nothing queued.
  if ((payload as { topic?: unknown }).topic === 'ping')
    return { kind: 'ping', notificationId: '', topic: 'ping' };
  const notification = checkShape(payload);
  const base = { notificationId: notification.id, topic: notification.topic };
  if (await deps.store.isKnown(notification.id)) return { kind: 'duplicate', ...base };
  const message: QueuedNotification = { v: 1, workspace: workspace.name, receivedAt: now(), notification };
  // The notification id de-duplicates in SQS too (5 minutes), should Intercom redeliver while this runs.
  const dedupe = createHash('sha256').update(notification.id).digest('hex');
  // The group id is a hash: SQS takes only printable ASCII, and object keys may hold emails or names.
  const group = createHash('sha256')
    .update(`${workspace.name}/${objectKey(notification)}`)
    .digest('hex');
  await deps.queue.sendOrdered(JSON.stringify(message), group, dedupe);
  await deps.store.markReceived(notification.id, notification.topic, workspace.name, now());
  return { kind: 'queued', ...base };
}
