/**
 * The EventBridge and schedule triggers: an event delivered by an EventBridge rule, a firing of an
 * EventBridge Scheduler schedule, or a firing asked for through the API (`fire`), each turned into a
 * notification and handed to the automations' inbox, which de-duplicates it by id and queues it.
 * Which workspaces an event goes to, and in what order, is the rules' business: the entry point
 * wires that routing in, so this room reads no rules.
 */
import { randomUUID } from 'node:crypto';
import { type InboxDeps, submitNotification } from '../automations/inbox.ts';
import {
  EVENTBRIDGE_TOPIC,
  type Notification,
  SCHEDULE_TOPIC,
  type TriggerRouting,
} from '../automations/types.ts';
import { DomainError } from '../errors.ts';
import { logger } from '../observability/logger.ts';
import { MetricUnit, metrics } from '../observability/metrics.ts';

export interface TriggerDeps extends InboxDeps {
  routing: TriggerRouting;
}

/** An event as EventBridge delivers it to a target. */
export interface EventBridgeEvent {
  version: string;
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
  [key: string]: unknown;
}

/** What each EventBridge Scheduler schedule sends (its target's Input, the time filled in by Scheduler). */
export interface ScheduledFiring {
  schedule: string;
  /** `<aws.scheduler.scheduled-time>`: the time the firing was due, ISO 8601. */
  time: string;
}

export interface TriggerOutcome {
  notificationId: string;
  /** One entry per workspace the notification went to (none: no rule matched the event). */
  workspaces: Array<{ workspace: string; outcome: 'queued' | 'duplicate' }>;
}

const isText = (value: unknown, max = 1000): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= max;

function invalid(what: string, path: string, message: string): DomainError {
  return new DomainError('validation_failed', `Not ${what}`, { details: [{ path, message }] });
}

/** Epoch seconds of an ISO time: what hours conditions read (`created_at`). */
function epochSeconds(time: string): number | undefined {
  const ms = Date.parse(time);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : undefined;
}

function checkEvent(payload: Record<string, unknown>): EventBridgeEvent {
  const what = 'an EventBridge event';
  if (!isText(payload.id, 200)) throw invalid(what, '/id', 'must be the event id');
  if (!isText(payload.source, 256)) throw invalid(what, '/source', 'must be a string');
  if (!isText(payload['detail-type'], 256)) throw invalid(what, '/detail-type', 'must be a string');
  const detail = payload.detail;
  if (typeof detail !== 'object' || detail === null || Array.isArray(detail))
    throw invalid(what, '/detail', 'must be an object');
  if (!isText(payload.time, 64) || epochSeconds(payload.time) === undefined)
    throw invalid(what, '/time', 'must be an ISO 8601 time');
  return payload as EventBridgeEvent;
}

/** Hands an EventBridge event to the rules of each workspace it matches (by its id, once). */
export async function receiveEvent(
  deps: TriggerDeps,
  payload: Record<string, unknown>,
): Promise<TriggerOutcome> {
  const event = checkEvent(payload);
  const notification: Notification = {
    type: 'notification_event',
    // EventBridge delivers at least once, a redelivery with the same id: the inbox drops it.
    id: `eventbridge:${event.id}`,
    topic: EVENTBRIDGE_TOPIC,
    created_at: epochSeconds(event.time)!,
    data: { type: 'eventbridge_event', item: event },
  };
  const workspaces: TriggerOutcome['workspaces'] = [];
  for (const { workspace, objectKey } of deps.routing.eventRoutes(event)) {
    workspaces.push({
      workspace,
      outcome: await submitNotification(deps, workspace, notification, objectKey),
    });
  }
  return { notificationId: notification.id, workspaces };
}

async function submitFiring(
  deps: TriggerDeps,
  rule: string,
  time: string,
  id: string,
): Promise<TriggerOutcome> {
  const workspace = deps.routing.scheduleWorkspace(rule);
  if (workspace === undefined) throw new DomainError('not_found', `No scheduled rule is named "${rule}"`);
  const notification: Notification = {
    type: 'notification_event',
    id,
    topic: SCHEDULE_TOPIC,
    created_at: epochSeconds(time)!,
    data: { type: 'schedule_firing', item: { time, rule } },
  };
  return {
    notificationId: id,
    workspaces: [{ workspace, outcome: await submitNotification(deps, workspace, notification) }],
  };
}

/** A firing of a scheduled rule; Scheduler may deliver one twice: the rule and due time make its id. */
export async function receiveFiring(
  deps: TriggerDeps,
  firing: Record<string, unknown>,
): Promise<TriggerOutcome> {
  const what = 'a schedule firing';
  if (!isText(firing.schedule, 64)) throw invalid(what, '/schedule', "must be the scheduled rule's name");
  if (!isText(firing.time, 64) || epochSeconds(firing.time) === undefined)
    throw invalid(what, '/time', 'must be an ISO 8601 time');
  return submitFiring(deps, firing.schedule, firing.time, `schedule:${firing.schedule}:${firing.time}`);
}

/** Fires a scheduled rule now (the API's and the CLI's `fire`): a firing of its own, never a duplicate. */
export async function fireRule(
  deps: TriggerDeps,
  rule: string,
  now = Date.now(),
): Promise<TriggerOutcome & { time: string }> {
  const time = new Date(now).toISOString();
  return { ...(await submitFiring(deps, rule, time, `fire:${rule}:${randomUUID()}`)), time };
}

/**
 * The intake function's input: an event from an EventBridge rule, or a firing from a schedule. A
 * failure throws, so that Lambda retries it and then hands it to the dead-letter queue.
 */
export async function receiveTrigger(deps: TriggerDeps, payload: unknown): Promise<TriggerOutcome> {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload))
    throw invalid('an EventBridge event or a schedule firing', '/', 'must be an object');
  const input = payload as Record<string, unknown>;
  const kind = input.schedule !== undefined ? 'schedule' : 'event';
  const outcome = kind === 'schedule' ? await receiveFiring(deps, input) : await receiveEvent(deps, input);
  const queued = outcome.workspaces.filter((w) => w.outcome === 'queued').length;
  metrics().addMetric(kind === 'schedule' ? 'ScheduleFirings' : 'EventsReceived', MetricUnit.Count, 1);
  if (queued < outcome.workspaces.length)
    metrics().addMetric('TriggersDuplicate', MetricUnit.Count, outcome.workspaces.length - queued);
  logger().info('trigger', { kind, notificationId: outcome.notificationId, workspaces: outcome.workspaces });
  return outcome;
}
