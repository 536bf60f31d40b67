/**
 * The automation worker: takes queued notifications from the FIFO queue (in order per object), runs
 * the matching rules' actions through the shared client within the workspace's rate budget, and
 * records one run per notification. Every action's outcome is recorded as it happens, so a retried
 * notification (429, 5xx, a crash) resumes after the last finished action instead of repeating it.
 */
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { findOperation } from '../catalog/index.ts';
import { WorkspaceNotConfiguredError } from '../config/types.ts';
import { backoffMs, itemError, judge } from '../delivery/outcomes.ts';
import { canVerify, type Verification, verifyWrite } from '../delivery/verify.ts';
import type { RateGovernor } from '../governor/rate-governor.ts';
import type { IntercomClient } from '../intercom/client.ts';
import { IntercomError, IntercomHttpError } from '../intercom/errors.ts';
import { appendLogKeys, logger, withLogKeys } from '../observability/logger.ts';
import { MetricUnit, metrics } from '../observability/metrics.ts';
import { queuedMessage, tracing } from '../observability/tracing.ts';
import type { WorkQueue } from '../queue/work-queue.ts';
import { normalizeInput, type ValidatorMap, validateInput } from '../validation/validate.ts';
import { type RuleEngine, renderActionOn } from './engine.ts';
import { type ForEachDeps, runForEach } from './for-each.ts';
import { objectKey, type QueuedNotification } from './inbox.ts';
import type { NotificationStore } from './notification-store.ts';
import type { ActionResult, RuleRun } from './run-records.ts';
import type { Action, Rule } from './types.ts';

export interface AutomationWorkerDeps {
  rules: RuleEngine;
  store: NotificationStore;
  governor: RateGovernor;
  queue: WorkQueue;
  validators: ValidatorMap;
  clientFor: (workspace: string) => IntercomClient;
  maxReceiveCount: number;
  /** What for-each rules need: their state, the bulk path (absent: not deployed), the scroll lock. */
  forEach?: Pick<ForEachDeps, 'store' | 'jobs' | 'lock' | 'afterChunk'>;
  now?: () => number;
  /** Test hook: runs after Intercom answered an action and before its outcome is recorded (crash tests). */
  afterCall?: (notificationId: string, operation: string) => void | Promise<void>;
}

class RetryLater extends Error {
  override name = 'RetryLater';
  readonly at: number;
  constructor(at: number, cause?: unknown) {
    super('retry later', { cause });
    this.at = at;
  }
}

const END_MARGIN_MS = 3_000;
/** A lost answer is looked up this much later: Intercom may still be working on the first call. */
const VERIFY_DELAY_MS = 30_000;
const MIN_CALL_MS = 5_000;

export function createAutomationWorker(deps: AutomationWorkerDeps) {
  const now = deps.now ?? Date.now;

  async function runAction(
    m: QueuedNotification,
    action: Action,
    deadline: number,
    lastReceive: boolean,
    record: (result: ActionResult) => Promise<void>,
    previous: ActionResult | undefined,
    /** Deliveries of this notification so far: the retry backoff grows with them. */
    tries: number,
  ): Promise<ActionResult> {
    let rendered: { operation: string; input: Record<string, unknown> };
    try {
      rendered = deps.rules.render(action, m.notification);
    } catch (error) {
      return {
        operation: action.operation,
        status: 'failed',
        error: { code: 'template_failed', message: (error as Error).message },
      };
    }
    const op = findOperation(rendered.operation);
    const validator = deps.validators[rendered.operation];
    if (!op || !validator) {
      return {
        operation: rendered.operation,
        status: 'failed',
        error: { code: 'unknown_operation', message: `Unknown operation ${rendered.operation}` },
      };
    }
    const input = normalizeInput(rendered.input);
    const issues = validateInput(validator, input);
    if (issues.length > 0) {
      // The rule was valid against samples; this notification lacked what the templates needed.
      return {
        operation: op.name,
        status: 'failed',
        error: { code: 'validation_failed', message: issues.map((i) => `${i.path} ${i.message}`).join('; ') },
      };
    }
    let client: IntercomClient;
    try {
      client = deps.clientFor(m.workspace);
    } catch (error) {
      // The workspace was removed from the configuration after the notification was accepted.
      if (!(error instanceof WorkspaceNotConfiguredError)) throw error;
      return { operation: op.name, status: 'failed', error: { code: error.code, message: error.message } };
    }
    const unknown = (message: string): ActionResult => ({
      operation: op.name,
      status: 'outcome_unknown',
      error: { code: 'outcome_unknown', message },
    });
    if (previous?.status === 'in_flight' && !op.retrySafe) {
      // An earlier delivery made this call and never learned the answer (a crash, a lost response):
      // look it up where Intercom allows, rather than risk a duplicate.
      let verdict: Verification = 'unknown';
      if (canVerify(op.name)) {
        const lookupSlot = await deps.governor.acquire(m.workspace, deadline - MIN_CALL_MS);
        if (!lookupSlot.ok && !lastReceive) throw new RetryLater(lookupSlot.retryAt);
        if (lookupSlot.ok) {
          verdict = await verifyWrite(
            client,
            op.name,
            input,
            previous.since ?? 0,
            Math.min(20_000, deadline - now()),
            {
              // Every further page of the lookup is one more Intercom request, budgeted like the rest.
              beforePage: async () => (await deps.governor.acquire(m.workspace, deadline - MIN_CALL_MS)).ok,
              now,
            },
          );
        }
      }
      if (verdict === 'applied') return { operation: op.name, status: 'succeeded' };
      if (verdict === 'retry' && !lastReceive) throw new RetryLater(now() + backoffMs(tries));
      if (verdict !== 'not_applied') {
        return unknown(
          `An earlier try of ${op.name} may have reached Intercom; it was not repeated to avoid a duplicate.`,
        );
      }
    }
    const slot = await deps.governor.acquire(m.workspace, deadline - MIN_CALL_MS);
    if (!slot.ok) {
      if (lastReceive)
        return {
          operation: op.name,
          status: 'failed',
          error: { code: 'rate_limited', message: 'No rate budget before the last delivery' },
        };
      throw new RetryLater(slot.retryAt);
    }
    // One write before a non-idempotent call, so that whoever picks the notification up after a crash knows to look first.
    if (!op.retrySafe) await record({ operation: op.name, status: 'in_flight', since: now() });
    const calledAt = now();
    try {
      const result = await client.call(op, input, {
        timeoutMs: Math.min(20_000, deadline - now()),
        requestId: `${m.notification.id}`,
      });
      if (result.rateLimit) await deps.governor.observe(m.workspace, result.rateLimit);
      await deps.afterCall?.(m.notification.id, op.name);
      return {
        operation: op.name,
        status: 'succeeded',
        durationMs: now() - calledAt,
        ...(result.requestId ? { intercomRequestId: result.requestId } : {}),
      };
    } catch (error) {
      if (!(error instanceof IntercomError)) throw error;
      const timed = (result: ActionResult): ActionResult => ({
        ...result,
        durationMs: now() - calledAt,
        ...(error instanceof IntercomHttpError && error.requestId
          ? { intercomRequestId: error.requestId }
          : {}),
      });
      if (client.rateLimit) await deps.governor.observe(m.workspace, client.rateLimit);
      const verdict = judge(error, op, tries, now(), deps.governor.windowMs);
      if (verdict.kind === 'retry') {
        if (verdict.rateLimited) await deps.governor.pause(m.workspace, verdict.retryAt);
        if (!lastReceive) throw new RetryLater(verdict.retryAt, error);
        return timed({ operation: op.name, status: 'failed', error: itemError(error) });
      }
      // The answer was lost: the in-flight marker stays, and the next delivery looks it up.
      if (verdict.kind === 'unknown' && canVerify(op.name) && !lastReceive) {
        throw new RetryLater(now() + Math.max(backoffMs(tries), VERIFY_DELAY_MS), error);
      }
      return timed({
        operation: op.name,
        status: verdict.kind === 'unknown' ? 'outcome_unknown' : 'failed',
        error: verdict.error,
      });
    }
  }

  async function processRecord(record: SQSRecord, deadline: number): Promise<void> {
    const m = JSON.parse(record.body) as QueuedNotification;
    const n = m.notification;
    appendLogKeys({ notificationId: n.id, workspace: m.workspace, topic: n.topic });
    const subsegment = tracing().current();
    subsegment?.annotate({ notificationId: n.id });
    subsegment?.addMetadata({ topic: n.topic, workspace: m.workspace });
    const tries = Number(record.attributes.ApproximateReceiveCount) || 1;
    const lastReceive = tries >= deps.maxReceiveCount;
    const claim = await deps.store.claim(m.workspace, n.id, deadline + END_MARGIN_MS, now());
    if (claim.kind === 'done') return;
    if (claim.kind === 'busy') throw new RetryLater(claim.leaseUntil);
    const done = claim.done;
    const record_ = async (key: string, result: ActionResult) => {
      done[key] = result;
      await deps.store.recordAction(m.workspace, n.id, key, result);
    };
    /** Runs the rule's actions in order, each one at most once across deliveries. */
    const runActions = async (r: number, rule: Rule): Promise<ActionResult[]> => {
      const results: ActionResult[] = [];
      for (const [a, action] of rule.actions.entries()) {
        const actionKey = `${r}_${a}`;
        const previous = done[actionKey];
        const result =
          previous && previous.status !== 'in_flight'
            ? previous
            : await runAction(
                m,
                action,
                deadline,
                lastReceive,
                (r) => record_(actionKey, r),
                previous,
                tries,
              );
        if (result !== previous) {
          await record_(actionKey, result);
          if (result.status !== 'succeeded') {
            logger().warn('Automation action failed', {
              action: a,
              operation: result.operation,
              status: result.status,
              code: result.error?.code,
            });
          }
        }
        results.push(result);
        metrics().addMetric(
          result.status === 'succeeded' ? 'AutomationActionsSucceeded' : 'AutomationActionsFailed',
          MetricUnit.Count,
          1,
        );
        // A rule's later actions often depend on earlier ones: a failure ends the rule unless it says otherwise.
        if (result.status !== 'succeeded' && !action.continueOnError) break;
      }
      return results;
    };
    const runs: RuleRun[] = [];
    // A trigger may name the object itself (an event's order key); else it is the notification's item.
    const key = m.objectKey ?? objectKey(n);
    try {
      for (const [r, rule] of deps.rules.match(n, m.workspace).entries()) {
        if (rule.ignoreBotAuthors && deps.rules.isOwnWrite(n)) {
          runs.push({ rule: rule.name, status: 'skipped', reason: 'own_write', actions: [] });
          continue;
        }
        const guardKey = `${r}_guard`;
        if (done[guardKey] === undefined) {
          const { count, windowSeconds } = rule.maxRunsPerObject;
          const allowed = await deps.store.takeRun(m.workspace, rule.name, key, count, windowSeconds, now());
          await record_(guardKey, { operation: '', status: allowed ? 'succeeded' : 'failed' });
        }
        if (done[guardKey]?.status === 'failed') {
          runs.push({ rule: rule.name, status: 'skipped', reason: 'run_cap', actions: [] });
          continue;
        }
        if (rule.forEach) {
          const actionKey = `${r}_0`;
          const previous = done[actionKey];
          if (previous) {
            runs.push({ rule: rule.name, status: 'ran', actions: [previous] });
            continue;
          }
          if (!deps.forEach) throw new Error("For-each rules need the worker's forEach dependencies");
          const outcome = await withLogKeys({ rule: rule.name }, () =>
            tracing().withSubsegment(`rule ${rule.name}`, () =>
              runForEach(
                {
                  ...deps.forEach!,
                  governor: deps.governor,
                  clientFor: deps.clientFor,
                  render: renderActionOn,
                  now,
                },
                { workspace: m.workspace, notification: n, rule, deadline, lastReceive },
              ),
            ),
          );
          if (outcome.kind === 'continue') throw new RetryLater(outcome.at);
          if (outcome.kind === 'skipped') {
            logger().info('For-each run skipped: an earlier run of the rule is still enumerating', {
              rule: rule.name,
              enumeratingFor: outcome.holder,
            });
            runs.push({ rule: rule.name, status: 'skipped', reason: 'still_enumerating', actions: [] });
            continue;
          }
          await record_(actionKey, outcome.result);
          runs.push({ rule: rule.name, status: 'ran', actions: [outcome.result] });
          continue;
        }
        // The rule's lines (its actions', the client's) carry its name beside the notification's keys,
        // and its Intercom calls are traced inside a subsegment of its own.
        const actions = await withLogKeys({ rule: rule.name }, () =>
          tracing().withSubsegment(`rule ${rule.name}`, () => runActions(r, rule)),
        );
        runs.push({ rule: rule.name, status: 'ran', actions });
      }
    } catch (error) {
      await deps.store.release(m.workspace, n.id);
      throw error;
    }
    await deps.store.finish({
      notificationId: n.id,
      topic: n.topic,
      workspace: m.workspace,
      objectKey: key,
      receivedAt: m.receivedAt,
      finishedAt: now(),
      rules: runs,
    });
  }

  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const deadline = now() + (context.getRemainingTimeInMillis?.() ?? 60_000) - END_MARGIN_MS;
    metrics().addMetric('AutomationNotifications', MetricUnit.Count, event.Records.length);
    // FIFO: records of one message group run one after another; once one fails, the rest of its
    // group in this batch is handed back too, so SQS redelivers them in order.
    const groups = new Map<string, SQSRecord[]>();
    const seen = new Set<string>();
    for (const record of event.Records) {
      if (seen.has(record.messageId)) continue;
      seen.add(record.messageId);
      const group = record.attributes.MessageGroupId ?? record.messageId;
      groups.set(group, [...(groups.get(group) ?? []), record]);
    }
    const failures: SQSBatchResponse['batchItemFailures'] = [];
    await Promise.all(
      [...groups.values()].map(async (records) => {
        for (const [i, record] of records.entries()) {
          // Each notification logs in a context of its own: its message id, then its notification id.
          const ok = await withLogKeys({ messageId: record.messageId }, async () => {
            try {
              await tracing().withSubsegment('automation notification', (subsegment) => {
                subsegment?.addMetadata(queuedMessage(record));
                return processRecord(record, deadline);
              });
              return true;
            } catch (error) {
              if (error instanceof RetryLater) {
                // The rest of the group comes back with it, in order, instead of holding the group
                // for a whole visibility timeout.
                const seconds = Math.max(0, error.at - now()) / 1000;
                for (const rest of records.slice(i)) {
                  await deps.queue.delay(rest.receiptHandle, seconds).catch(() => undefined);
                }
              } else {
                logger().error('Notification could not be processed', { error: error as Error });
              }
              return false;
            }
          });
          if (!ok) {
            for (const rest of records.slice(i)) failures.push({ itemIdentifier: rest.messageId });
            return;
          }
        }
      }),
    );
    return { batchItemFailures: failures };
  };
}
