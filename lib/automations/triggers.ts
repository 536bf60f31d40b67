/**
 * Rules started by something other than an Intercom webhook: `on: {eventbridge: ...}` (an event on the
 * EventBridge bus matching a pattern) and `on: {schedule: ...}` (EventBridge Scheduler). Reading and
 * validating that part of a rule, which fields its conditions and templates read, which rules a
 * notification made from an event or a firing starts, and the routing the trigger rooms are given.
 */
import type { ApiKeyScope } from '../catalog/index.ts';
import { timezoneProblem } from './conditions.ts';
import { matchesPattern, readPatternObject } from './event-pattern.ts';
import { type PathRoots, parsePath, resolvePath } from './paths.ts';
import { describe, isObject, pointer, type Report, rejectUnknownKeys } from './reader.ts';
import { parseScheduleExpression } from './schedule-expression.ts';
import {
  EVENTBRIDGE_TOPIC,
  type EventPattern,
  type Notification,
  type Rule,
  type RuleIssue,
  type RuleSet,
  type RuleTrigger,
  SCHEDULE_TOPIC,
  type TriggerRouting,
} from './types.ts';

/** The fields of an EventBridge event: what an event rule's conditions and templates read. */
export const EVENT_ROOTS: PathRoots = {
  what: 'the EventBridge event',
  fields: ['version', 'id', 'detail-type', 'source', 'account', 'time', 'region', 'resources', 'detail'],
};

/** What a scheduled rule's templates see: the scheduled time (ISO 8601) and the rule's name. */
export const SCHEDULE_ROOTS: PathRoots = { what: 'a scheduled firing', fields: ['time', 'rule'] };

const ON_KEYS = ['eventbridge', 'schedule', 'orderBy', 'timezone'];
const PATTERN_KEYS = ['source', 'detailType', 'detail'];
export const WORKSPACE_NAME = /^[\w.-]{1,64}$/;

/** How the rest of a rule is checked once its trigger is known. */
export interface TriggerScope {
  /** null: unknown (the `on` itself is in error), so only the paths' syntax is checked. */
  roots: PathRoots | null;
  /** Reports a path the trigger's input can never have. */
  checkPath: (at: string, segments: readonly string[]) => void;
  /**
   * The input the action parameters are checked against: a scheduled firing is known exactly; an
   * event's fields are the sender's, so only its syntax is checked (undefined).
   */
  sample: Record<string, unknown> | undefined;
  /** What the sample is, for messages (default: a scheduled firing). */
  sampleName?: string;
}

function readPattern(raw: unknown, at: string, report: Report): EventPattern | undefined {
  if (!isObject(raw)) {
    report(at, `must be an object {source, detailType?, detail?}, not ${describe(raw)}`);
    return undefined;
  }
  let ok = true;
  const counted: Report = (path, message) => {
    ok = false;
    report(path, message);
  };
  rejectUnknownKeys(raw, PATTERN_KEYS, at, counted);
  // A rule without a source would run on every event of the bus, other applications' included.
  if (raw.source === undefined)
    counted(pointer(at, 'source'), 'is required: the source your application sends, e.g. "com.example.shop"');
  // EventBridge's own names: `detail-type` is written detailType, as the SDK's PutEvents entries do.
  const fields: Record<string, unknown> = {};
  if (raw.source !== undefined) fields.source = raw.source;
  if (raw.detailType !== undefined) fields['detail-type'] = raw.detailType;
  if (raw.detail !== undefined) {
    if (!isObject(raw.detail))
      counted(pointer(at, 'detail'), `must be an object of fields to match, not ${describe(raw.detail)}`);
    else fields.detail = raw.detail;
  }
  const pointers: Record<string, string> = {
    source: 'source',
    'detail-type': 'detailType',
    detail: 'detail',
  };
  const pattern: EventPattern = {};
  for (const [field, value] of Object.entries(fields)) {
    const part = readPatternObject({ [field]: value }, at, (path, message) =>
      counted(path.replace(pointer(at, field), pointer(at, pointers[field]!)), message),
    );
    if (part) Object.assign(pattern, part);
  }
  if (isObject(pattern.source) || isObject(pattern['detail-type'])) {
    counted(
      pointer(at, isObject(pattern.source) ? 'source' : 'detailType'),
      'must be a value or a list of values',
    );
  }
  return ok ? pattern : undefined;
}

/** The trigger of a rule's `on:`, and how its conditions, templates and actions are checked. */
export function readTrigger(
  raw: unknown,
  at: string,
  report: Report,
  ruleName: string | null,
): { trigger: RuleTrigger | undefined; scope: TriggerScope } {
  const none = { trigger: undefined, scope: { roots: null, checkPath: () => {}, sample: undefined } };
  if (!isObject(raw)) {
    report(
      at,
      `must be an object: {eventbridge: {source, detailType, detail}} or {schedule: "cron(...)"}, not ${describe(raw)}`,
    );
    return none;
  }
  let ok = true;
  const counted: Report = (path, message) => {
    ok = false;
    report(path, message);
  };
  rejectUnknownKeys(raw, ON_KEYS, at, counted);
  const kinds = (['eventbridge', 'schedule'] as const).filter((k) => raw[k] !== undefined);
  if (kinds.length !== 1) {
    counted(
      at,
      kinds.length === 0
        ? 'needs one of eventbridge or schedule'
        : 'has both eventbridge and schedule: write one rule for each',
    );
    return none;
  }
  if (kinds[0] === 'eventbridge') {
    if (raw.timezone !== undefined)
      counted(pointer(at, 'timezone'), 'is for schedules: an event carries its own time');
    const pattern = readPattern(raw.eventbridge, pointer(at, 'eventbridge'), counted);
    let orderBy: string | undefined;
    if (raw.orderBy !== undefined) {
      const where = pointer(at, 'orderBy');
      const parsed = typeof raw.orderBy === 'string' ? parsePath(raw.orderBy, EVENT_ROOTS) : undefined;
      if (parsed === undefined) counted(where, 'must be a dot path into the event, e.g. "detail.orderId"');
      else if (!parsed.ok) counted(where, parsed.message);
      else orderBy = raw.orderBy as string;
    }
    const scope: TriggerScope = { roots: EVENT_ROOTS, checkPath: () => {}, sample: undefined };
    if (!ok || !pattern) return { trigger: undefined, scope };
    return { trigger: { kind: 'eventbridge', pattern, ...(orderBy ? { orderBy } : {}) }, scope };
  }
  if (raw.orderBy !== undefined)
    counted(pointer(at, 'orderBy'), 'is for events: firings of a schedule never overlap in order');
  const expression = raw.schedule;
  const where = pointer(at, 'schedule');
  if (typeof expression !== 'string')
    counted(where, 'must be "cron(...)" or "rate(...)", e.g. "cron(0 9 * * ? *)"');
  else {
    const parsed = parseScheduleExpression(expression);
    if ('problem' in parsed) counted(where, `"${expression}": ${parsed.problem}`);
  }
  const timezone = raw.timezone ?? 'UTC';
  if (typeof timezone !== 'string')
    counted(pointer(at, 'timezone'), 'must be an IANA time zone name such as "Europe/Paris"');
  else {
    const problem = timezoneProblem(timezone);
    if (problem) counted(pointer(at, 'timezone'), problem);
  }
  const scope: TriggerScope = {
    roots: SCHEDULE_ROOTS,
    checkPath: (path, segments) => {
      if (segments.length > 1)
        report(path, `"${segments.join('.')}": "${segments[0]}" is text, with no fields`);
    },
    sample: { time: '2024-03-05T09:00:00.000Z', rule: ruleName ?? 'rule' },
  };
  if (!ok) return { trigger: undefined, scope };
  return {
    trigger: { kind: 'schedule', expression: expression as string, timezone: timezone as string },
    scope,
  };
}

/** The optional `workspace` of an event or scheduled rule. */
export function readRuleWorkspace(
  raw: unknown,
  at: string,
  report: Report,
  hasTrigger: boolean,
): string | undefined {
  if (raw === undefined) return undefined;
  if (!hasTrigger) {
    report(at, 'is for event and scheduled rules: a webhook notification names its own workspace (app_id)');
    return undefined;
  }
  if (typeof raw !== 'string' || !WORKSPACE_NAME.test(raw)) {
    report(at, 'must be the name of a configured workspace (letters, digits, . _ -)');
    return undefined;
  }
  return raw;
}

/**
 * Event and scheduled rules naming a workspace the configuration does not hold, as issues naming
 * each rule: checked where the configuration is known (the local stack's start), since the rules
 * file alone cannot say.
 */
export function unknownWorkspaceIssues(ruleSet: RuleSet, workspaces: Iterable<string>): RuleIssue[] {
  const known = new Set(workspaces);
  return ruleSet.rules.flatMap((rule, i) =>
    rule.workspace !== undefined && !known.has(rule.workspace)
      ? [
          {
            rule: rule.name,
            path: `/rules/${i}/workspace`,
            message: `"${rule.workspace}" is not a configured workspace (configured: ${[...known].join(', ')})`,
          },
        ]
      : [],
  );
}

/** What a rule's conditions and templates read: the event or the firing for those triggers. */
export function inputOf(notification: Notification): unknown {
  return notification.topic === EVENTBRIDGE_TOPIC || notification.topic === SCHEDULE_TOPIC
    ? notification.data.item
    : notification;
}

/**
 * Whether the rule is one the notification starts, before its conditions: a webhook rule by topic;
 * an event rule by its pattern, a scheduled rule by name, each in its own workspace.
 */
export function triggers(
  rule: Rule,
  notification: Notification,
  workspace?: { name: string; defaultName: string },
): boolean {
  const { trigger } = rule;
  if (trigger === undefined) return (rule.topics as readonly string[]).includes(notification.topic);
  if (workspace && (rule.workspace ?? workspace.defaultName) !== workspace.name) return false;
  if (trigger.kind === 'eventbridge')
    return (
      notification.topic === EVENTBRIDGE_TOPIC && matchesPattern(trigger.pattern, notification.data.item)
    );
  return notification.topic === SCHEDULE_TOPIC && notification.data.item.rule === rule.name;
}

/** The FIFO key of an event under an ordered rule: its `orderBy` value, when the event has one. */
function orderKey(orderBy: string, event: Record<string, unknown>): string | undefined {
  const value = resolvePath(event, orderBy.split('.'));
  if (typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value)))
    return `${orderBy}=${value}`;
  return undefined;
}

/** The routing the EventBridge and schedule triggers are wired with (see TriggerRouting). */
export function triggerRouting(ruleSet: RuleSet, defaultWorkspace: () => string): TriggerRouting {
  const eventRules = ruleSet.rules.filter((r) => r.trigger?.kind === 'eventbridge');
  return {
    eventRoutes(event) {
      const routes = new Map<string, string | undefined>();
      for (const rule of eventRules) {
        const trigger = rule.trigger as Extract<RuleTrigger, { kind: 'eventbridge' }>;
        if (!matchesPattern(trigger.pattern, event)) continue;
        const workspace = rule.workspace ?? defaultWorkspace();
        // The first ordered rule of a workspace orders the event there; several rules share one run.
        const key = trigger.orderBy ? orderKey(trigger.orderBy, event) : undefined;
        if (routes.get(workspace) === undefined) routes.set(workspace, key);
      }
      const id = typeof event.id === 'string' ? event.id : '';
      return [...routes].map(([workspace, key]) => ({ workspace, objectKey: key ?? `event:${id}` }));
    },
    scheduleWorkspace(name) {
      const rule = ruleSet.rules.find((r) => r.name === name && r.trigger?.kind === 'schedule');
      return rule ? (rule.workspace ?? defaultWorkspace()) : undefined;
    },
  };
}

/**
 * The scopes an API key needs to fire a rule now (`POST /automations/rules/{name}/fire`): `write`,
 * since its actions write to Intercom, and `bulk` for a for-each rule, which submits a bulk job.
 */
export function requiredScopesToFire(rule: Rule): ApiKeyScope[] {
  return rule.forEach ? ['write', 'bulk'] : ['write'];
}
