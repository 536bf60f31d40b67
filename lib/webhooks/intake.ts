/**
 * `POST /webhooks/intercom`: verify, de-duplicate, queue, acknowledge. The raw body is verified
 * before it is trusted; a bad payload is a 4xx (a 5xx would make Intercom pause the subscription) and
 * only our own failures (the queue, the table) are 5xx, so Intercom retries them.
 */
import { createHash } from 'node:crypto';
import type { Notification } from '../automations/types.ts';
import type { AppConfig, WorkspaceConfig } from '../config/types.ts';
import { DomainError } from '../errors.ts';
import { logger } from '../observability/logger.ts';
import { MetricUnit, metrics } from '../observability/metrics.ts';
import type { WorkQueue } from '../queue/work-queue.ts';
import { checkJsonContentType, jsonText } from '../validation/content-type.ts';
import { jsonShapeIssue } from '../validation/json-shape.ts';
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

/**
 * `lifecycle`: acknowledged, nothing queued, nothing for the handler to log or count: uninstall and
 * health-check requests, and notifications for an app_id no workspace is configured for (the intake
 * logs those and counts them as `WebhooksUnrouted` itself).
 */
export type IntakeOutcome =
  | { kind: 'queued' | 'duplicate' | 'ping'; notificationId: string; topic: string }
  | { kind: 'lifecycle' };

function invalidSignature(): DomainError {
  return new DomainError('invalid_signature', 'The webhook signature does not verify');
}

/** The JSON of the raw bytes (strict UTF-8, a byte order mark skipped), or undefined. */
function parse(body: Buffer): unknown {
  try {
    return JSON.parse(jsonText(body));
  } catch {
    return undefined;
  }
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

/**
 * The workspace a notification belongs to: its `app_id`'s; the default one when it names none, or
 * when the default declares no `appId` (a single-workspace set-up); otherwise none: a Developer Hub
 * app signs every install's notifications with its one client secret, so a verified notification
 * from an install nobody configured must not run the default workspace's rules with its token.
 */
function workspaceFor(config: IntakeDeps['config'], appId: unknown): WorkspaceConfig | undefined {
  if (typeof appId === 'string') {
    for (const workspace of config.workspaces.values()) if (workspace.appId === appId) return workspace;
  }
  const fallback = config.workspaces.get(config.defaultWorkspace);
  if (appId === undefined || appId === null) return fallback;
  return fallback?.appId === undefined ? fallback : undefined;
}

/** Every configured webhook secret: what an unrouted notification is verified with. */
function allSecrets(config: IntakeDeps['config']): string[] {
  return [...new Set([...config.workspaces.values()].flatMap((w) => w.webhookSecrets))];
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

function checkShape(payload: unknown): Notification {
  const n = payload as Partial<Notification> | undefined;
  const problems: Array<{ path: string; message: string }> = [];
  if (typeof n !== 'object' || n === null || Array.isArray(n)) {
    throw new DomainError('validation_failed', 'Not an Intercom notification', {
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
  // Nesting past 64 levels would overflow JSON.stringify when queued (a 500); a lone surrogate is
  // not valid Unicode, and SQS refuses it; a non-finite number would be queued as null, so a rule
  // copying it would clear a field. Large integers are kept: the rule that copies one fails instead.
  const issue = problems.length === 0 ? jsonShapeIssue(n, { numbers: 'finite' }) : undefined;
  if (issue) problems.push(issue);
  if (problems.length > 0)
    throw new DomainError('validation_failed', 'Not an Intercom notification', { details: problems });
  return n as Notification;
}

export async function receiveWebhook(
  deps: IntakeDeps,
  body: Buffer,
  headers: SignatureHeaders & { contentType?: string | undefined },
): Promise<IntakeOutcome> {
  const now = deps.now ?? Date.now;
  const payload = parse(body);
  const appId =
    typeof payload === 'object' && payload !== null ? (payload as { app_id?: unknown }).app_id : undefined;
  const workspace = workspaceFor(deps.config, appId);
  // An app_id no workspace claims is still verified, with every configured secret: a forgery is a 401.
  const secrets = workspace ? workspace.webhookSecrets : allSecrets(deps.config);
  if (!verifySignature(body, headers, secrets)) throw invalidSignature();
  // After the signature (over the raw bytes, whatever they are): a body declared in another charset
  // than UTF-8 would be misread, so it is refused (415), as on every endpoint.
  checkJsonContentType(headers.contentType, { json: false });
  if (payload === undefined) throw new DomainError('invalid_json', 'The body is not valid JSON');
  // Uninstall and health checks (X-Body-Signature) carry no notification: acknowledged, nothing queued.
  if (headers.hub === undefined) return { kind: 'lifecycle' };
  // A ping (sent when a subscription is made or tested) has no id: acknowledged, nothing queued.
  if (typeof payload === 'object' && payload !== null && (payload as { topic?: unknown }).topic === 'ping')
    return { kind: 'ping', notificationId: '', topic: 'ping' };
  const notification = checkShape(payload);
  const base = { notificationId: notification.id, topic: notification.topic };
  if (!workspace) {
    // Acknowledged (a 4xx or 5xx would make Intercom retry, then pause the subscription), not queued.
    metrics().addMetric('WebhooksUnrouted', MetricUnit.Count, 1);
    logger().warn('webhook for an app_id no workspace is configured for: acknowledged, not queued', {
      ...base,
      appId: typeof appId === 'string' ? appId.slice(0, 100) : typeof appId,
      outcome: 'unrouted',
    });
    // The handler records nothing more for this kind: it only acknowledges.
    return { kind: 'lifecycle' };
  }
  if (await deps.store.isKnown(workspace.name, notification.id)) return { kind: 'duplicate', ...base };
  const message: QueuedNotification = { v: 1, workspace: workspace.name, receivedAt: now(), notification };
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
  const dedupe = createHash('sha256').update(`${workspace.name}\u0000${notification.id}`).digest('hex');
  // The group id is a hash: SQS takes only printable ASCII, and object keys may hold emails or names.
  const group = createHash('sha256')
    .update(`${workspace.name}/${objectKey(notification)}`)
    .digest('hex');
  await deps.queue.sendOrdered(messageBody, group, dedupe);
  // Marked received only once queued, by a conditional write: of two deliveries racing past isKnown,
  // one is "queued", the other a duplicate (its message was dropped by the FIFO deduplication id).
  const first = await deps.store.markReceived(workspace.name, notification.id, notification.topic, now(), {
    body: messageBody,
    group,
    dedupe,
  });
  return { kind: first ? 'queued' : 'duplicate', ...base };
}
