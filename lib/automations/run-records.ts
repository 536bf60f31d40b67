/** What the automations keep per notification: its processing state and, when done, what each rule did. */
import type { ItemError } from '../delivery/outcomes.ts';

/** `in_flight` is only ever a marker inside a run: a non-idempotent call was about to be made. */
export type ActionStatus = 'succeeded' | 'failed' | 'outcome_unknown' | 'in_flight';

export interface ActionResult {
  operation: string;
  status: ActionStatus;
  error?: ItemError;
  /** With `in_flight`: when the call was made, for the lookup that decides whether it happened. */
  since?: number;
  /** A for-each action: the bulk job that runs it for each match (none when nothing matched). */
  jobId?: string;
  /** A for-each action: records read, records that matched (the job's items), and whether `maxItems` cut it short. */
  scanned?: number;
  matched?: number;
  truncated?: boolean;
  /** Intercom's id of the request that decided the outcome (its `X-Request-Id`), when it answered. */
  intercomRequestId?: string;
  /** How long the action's Intercom call took, ms (absent when none was made). */
  durationMs?: number;
}

export interface RuleRun {
  rule: string;
  /**
   * `ran`: its actions were executed; `skipped`: the loop guard stopped it, or (`still_enumerating`) a
   * for-each run of the same rule from an earlier trigger was still enumerating (see `reason`).
   */
  status: 'ran' | 'skipped';
  reason?: 'own_write' | 'run_cap' | 'still_enumerating';
  actions: ActionResult[];
}

export interface NotificationRun {
  notificationId: string;
  topic: string;
  workspace: string;
  /** `<item type>:<item id>`: notifications of one object are processed in order. */
  objectKey: string;
  receivedAt: number;
  finishedAt: number;
  rules: RuleRun[];
}

/**
 * A run in one word, for people filtering the log: `failed` if any action failed, else
 * `outcome_unknown` if any may or may not have happened, else `succeeded` if a rule ran, `skipped` if
 * every matching rule was skipped (loop guard), `no_match` if no rule matched.
 */
export type RunOutcome = 'succeeded' | 'failed' | 'outcome_unknown' | 'skipped' | 'no_match';
export const RUN_OUTCOMES: readonly RunOutcome[] = [
  'succeeded',
  'failed',
  'outcome_unknown',
  'skipped',
  'no_match',
];

export function runOutcome(run: Pick<NotificationRun, 'rules'>): RunOutcome {
  const statuses = new Set(run.rules.flatMap((rule) => rule.actions.map((action) => action.status)));
  if (statuses.has('failed') || statuses.has('in_flight')) return 'failed';
  if (statuses.has('outcome_unknown')) return 'outcome_unknown';
  if (run.rules.some((rule) => rule.status === 'ran')) return 'succeeded';
  return run.rules.length > 0 ? 'skipped' : 'no_match';
}

/** Which runs of the log to list: all the given conditions hold. Times are epoch ms, inclusive. */
export interface RunFilter {
  /** A rule that matched the notification (ran or was skipped). */
  rule?: string;
  outcome?: RunOutcome;
  /** Finished at or after. */
  from?: number;
  /** Finished at or before. */
  to?: number;
}

export function matchesRunFilter(run: NotificationRun, filter: RunFilter): boolean {
  return (
    (filter.rule === undefined || run.rules.some((r) => r.rule === filter.rule)) &&
    (filter.outcome === undefined || runOutcome(run) === filter.outcome) &&
    (filter.from === undefined || run.finishedAt >= filter.from) &&
    (filter.to === undefined || run.finishedAt <= filter.to)
  );
}

/**
 * Notification ids are Intercom's, unique per app only: the record is keyed by workspace and id, so
 * one workspace's notification can neither shadow (dedupe) nor reveal another's.
 */
export const notificationKey = (workspace: string, id: string) => ({
  pk: keyOf('notif', workspace, id),
  sk: 'notif',
});

/**
 * A partition key of named parts. Workspace names, rule names and Intercom ids may hold `#`, so each
 * part is escaped: (`a#b`, `c`) and (`a`, `b#c`) must never name the same record.
 */
export function keyOf(kind: string, ...parts: string[]): string {
  return [kind, ...parts.map(encodeURIComponent)].join('#');
}
