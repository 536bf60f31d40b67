/**
 * The Intercom webhook trigger (`POST /webhooks/intercom`): verify the signature, find the workspace,
 * check the notification's shape, then hand it to the automations' inbox (which de-duplicates and
 * queues it). The raw body is verified before it is trusted; a bad payload is a 4xx (a 5xx would make Intercom pause the subscription) and
 * only our own failures (the queue, the table) are 5xx, so Intercom retries them.
 */
import { type InboxDeps, submitNotification } from '../automations/inbox.ts';
import type { Notification } from '../automations/types.ts';
import type { WebhookConfig, WebhookWorkspace } from '../config/types.ts';
import { DomainError } from '../errors.ts';
import { logger } from '../observability/logger.ts';
import { MetricUnit, metrics } from '../observability/metrics.ts';
import { checkJsonContentType, jsonText } from '../validation/content-type.ts';
import { jsonShapeIssue } from '../validation/json-shape.ts';
import { type SignatureHeaders, verifySignature } from './signature.ts';

export interface IntakeDeps extends InboxDeps {
  /** Routing and signing secrets only: deployed, the intake never holds an Intercom token. */
  config: WebhookConfig;
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
 * The workspace a notification belongs to: its `app_id`'s; the default one (if there is one) when it
 * names none, or when the default declares no `appId` (a single-workspace set-up); otherwise none: a
 * Developer Hub app signs every install's notifications with its one client secret, so a verified
 * notification from an install nobody configured must not run the default workspace's rules with its
 * token.
 */
function workspaceFor(config: IntakeDeps['config'], appId: unknown): WebhookWorkspace | undefined {
  if (typeof appId === 'string') {
    for (const workspace of config.workspaces.values()) if (workspace.appId === appId) return workspace;
  }
  const fallback =
    config.defaultWorkspace === undefined ? undefined : config.workspaces.get(config.defaultWorkspace);
  if (appId === undefined || appId === null) return fallback;
  return fallback?.appId === undefined ? fallback : undefined;
}

/** Every configured webhook secret: what an unrouted notification is verified with. */
function allSecrets(config: IntakeDeps['config']): string[] {
  return [...new Set([...config.workspaces.values()].flatMap((w) => w.webhookSecrets))];
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
  const outcome = await submitNotification(deps, workspace.name, notification);
  return { kind: outcome, ...base };
}
