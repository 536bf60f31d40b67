/** The shapes of webhook automations: notifications in, rules (as written and as validated) out. */
import type { Topic } from '../intercom/webhook-topics.ts';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Intercom's `notification_event` (reference A.6). Only `topic` and `data.item` drive the rules; the
 * rest is there for templates and conditions.
 */
export interface Notification {
  type: 'notification_event';
  id: string;
  topic: string;
  app_id?: string;
  created_at?: number;
  data: { type?: string; item: Record<string, unknown> };
  delivery_status?: string | null;
  delivery_attempts?: number;
  delivered_at?: number;
  first_sent_at?: number;
  [key: string]: unknown;
}

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** Working hours in one time zone; `to` before `from` means the window runs past midnight. */
export interface OfficeHours {
  /** IANA name, e.g. `Europe/Paris`. */
  timezone: string;
  days: Weekday[];
  /** `HH:MM`, 24-hour, inclusive. */
  from: string;
  /** `HH:MM` (or `24:00`), exclusive. */
  to: string;
}

export type ConditionOperator = 'equals' | 'in' | 'exists' | 'contains' | 'outsideHours' | 'withinHours';

/** A test on one value of the notification, at a dot path such as `data.item.email`. */
export type PathCondition = { path: string; not?: boolean } & (
  | { equals: Json }
  | { in: Json[] }
  | { exists: boolean }
  | { contains: Json }
);

/** A test on the notification's `created_at` against working hours. */
export type HoursCondition = { not?: boolean } & (
  | { outsideHours: OfficeHours }
  | { withinHours: OfficeHours }
);

export type Condition = PathCondition | HoursCondition;

export interface Action {
  /** An operation of the catalog, e.g. `create_tag`. */
  operation: string;
  /** The operation's input; strings may hold `{{path | filter}}` templates. */
  params: { [key: string]: Json };
  /** Run the rule's next actions even when this one fails (default false: a failure ends the rule). */
  continueOnError: boolean;
}

export interface RunCap {
  count: number;
  windowSeconds: number;
}

/**
 * "For each match": the rule enumerates a list or scroll operation, keeps the records its `where`
 * conditions hold for (paths start at `item.`, the record), and runs its one action for each of them
 * as a bulk job the workspace owns.
 */
export interface ForEach {
  /** A list or scroll operation of the catalog, e.g. `scroll_users` or `list_users`. */
  operation: string;
  /** Its input; strings may hold templates on the trigger (the notification). */
  params: { [key: string]: Json };
  /** All must hold for a record to be acted on; empty: every record. */
  where: readonly Condition[];
  /** The most records one run acts on; the run stops enumerating there (its log says so). */
  maxItems: number;
}

/**
 * An EventBridge event pattern in EventBridge's own form: fields, and at each leaf a list of values
 * or matchers (`{prefix}`, `{exists}`, `{anything-but}`, `{numeric}`).
 */
export interface EventPattern {
  [field: string]: EventPattern | PatternValue[];
}

export type PatternValue =
  | string
  | number
  | boolean
  | null
  | { prefix: string }
  | { exists: boolean }
  | { 'anything-but': string | number | (string | number)[] | { prefix: string } }
  | { numeric: (string | number)[] };

/** A rule started by events on the EventBridge bus that match its pattern. */
export interface EventBridgeTrigger {
  kind: 'eventbridge';
  /** `source`, `detail-type` and `detail` in EventBridge's form: also the deployed rule's pattern. */
  pattern: EventPattern;
  /** A dot path into the event (`detail.orderId`): events with the same value run in order. */
  orderBy?: string;
}

/** A rule started by EventBridge Scheduler. */
export interface ScheduleTrigger {
  kind: 'schedule';
  /** `cron(0 9 * * ? *)` or `rate(1 hour)`, as Scheduler takes it. */
  expression: string;
  /** IANA name; `UTC` unless the rule names one. */
  timezone: string;
}

/** What starts a rule that is not an Intercom webhook's (`on:` in the rules file). */
export type RuleTrigger = EventBridgeTrigger | ScheduleTrigger;

/** The `topic` of notifications made from an EventBridge event, and from a schedule's firing. */
export const EVENTBRIDGE_TOPIC = 'eventbridge';
export const SCHEDULE_TOPIC = 'schedule';

/**
 * What a trigger needs of the rules to submit an event or a firing (wired at the entry point, so a
 * trigger never reads rules itself): which workspaces an event goes to, each with the FIFO group key
 * that orders it; the workspace of a scheduled rule.
 */
export interface TriggerRouting {
  /** One entry per workspace with a rule the event matches; empty when none does. */
  eventRoutes(event: Record<string, unknown>): Array<{ workspace: string; objectKey: string }>;
  /** The scheduled rule's workspace, or undefined when no scheduled rule has that name. */
  scheduleWorkspace(rule: string): string | undefined;
}

/** A rule once validated: wildcards expanded, defaults applied. */
export interface Rule {
  name: string;
  /** The Intercom topics of a webhook rule; empty for a rule with a `trigger`. */
  topics: readonly Topic[];
  /** `on:` (an EventBridge pattern or a schedule); absent for webhook rules. */
  trigger?: RuleTrigger;
  /** The workspace an event or scheduled rule runs in; absent: the default workspace. */
  workspace?: string;
  /** All must hold; empty when the file has none. */
  when: readonly Condition[];
  actions: readonly Action[];
  ignoreBotAuthors: boolean;
  maxRunsPerObject: RunCap;
  /** Present on a rule that enumerates: its one action runs for each match, as a bulk job. */
  forEach?: ForEach;
}

export interface RuleSet {
  /** Where the rules came from (a file path), for messages. */
  source: string;
  rules: readonly Rule[];
}

export interface RuleIssue {
  /** The rule's name, or null for the document itself and for rules without a usable name. */
  rule: string | null;
  /** JSON Pointer into the rules document (`/rules/0/actions/1/params/body/name`). */
  path: string;
  message: string;
}

/** Who made the change a notification reports, when the item says so. */
export interface Author {
  type: string;
  id: string;
}
