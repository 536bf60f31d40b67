/**
 * The bulk worker: runs each queued item through the shared client exactly once per attempt.
 * An SQS batch is processed in parallel; each item is claimed in DynamoDB before Intercom is called,
 * waits for a slot from the workspace's rate governor, and ends recorded (succeeded / failed) or
 * handed back to the queue with a delay (`ReportBatchItemFailures` + ChangeMessageVisibility).
 */
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { findOperation } from '../catalog/index.ts';
import { WorkspaceNotConfiguredError } from '../config/types.ts';
import { backoffMs, judge } from '../delivery/outcomes.ts';
import { canVerify, type Verification, verifyWrite } from '../delivery/verify.ts';
import type { Acquired, RateGovernor } from '../governor/rate-governor.ts';
import type { IntercomClient } from '../intercom/client.ts';
import { IntercomError, IntercomHttpError } from '../intercom/errors.ts';
import { appendLogKeys, logger, withLogKeys } from '../observability/logger.ts';
import { MetricUnit, metrics } from '../observability/metrics.ts';
import { queuedMessage, tracing } from '../observability/tracing.ts';
import type { WorkQueue } from '../queue/work-queue.ts';
import { BatchSlots, BatchTally } from './batch.ts';
import type { JobStore } from './job-store.ts';
import { decodeItemMessage, type ItemMessage } from './messages.ts';
import type { Counted, ItemError } from './records.ts';

export interface WorkerDeps {
  store: JobStore;
  governor: RateGovernor;
  queue: WorkQueue;
  clientFor: (workspace: string) => IntercomClient;
  maxAttempts: number;
  maxReceiveCount: number;
  /** How long after a call whose answer was lost its lookup waits (default 60 s). */
  verifyDelayMs?: number;
  now?: () => number;
  /**
   * Time kept back from the Lambda's end to record outcomes (default 3 s), and the least time a
   * call is given (default 5 s). Only tests change them, to run with a function timeout of a few
   * seconds: a dead worker's lease ends with its timeout, so its items are taken over sooner.
   */
  endMarginMs?: number;
  minCallMs?: number;
  /** Test hook: runs after Intercom answered and before the outcome is recorded (crash tests). */
  afterCall?: (message: ItemMessage) => void | Promise<void>;
  /** Test hook: runs after a batch's outcomes are recorded and before its counters are (crash tests). */
  beforeCount?: () => void | Promise<void>;
}

/** What one item's processing shares with its batch. */
interface ItemBatch {
  tally: BatchTally;
  slots: ReturnType<BatchSlots['participant']>;
}

type Result = 'done' | 'retry';

/** Time kept back from the Lambda's end to record outcomes and answer. */
const END_MARGIN_MS = 3_000;
/** The least time an Intercom call is given; less than this left and the item waits for the next delivery. */
const MIN_CALL_MS = 5_000;
/** Per-call Intercom budget inside a worker (the client's own timeouts apply too). */
const MAX_CALL_MS = 20_000;

export function createBulkWorker(options: WorkerDeps) {
  const deps = { verifyDelayMs: 60_000, ...options };
  const now = deps.now ?? Date.now;
  const endMarginMs = deps.endMarginMs ?? END_MARGIN_MS;
  const minCallMs = deps.minCallMs ?? MIN_CALL_MS;

  async function finishFailed(m: ItemMessage, error: ItemError, batch: ItemBatch): Promise<Result> {
    if (
      await deps.store.finish(m.jobId, m.index, m.attempt, { state: 'failed', error, input: m.input }, now())
    ) {
      batch.tally.add(m.jobId, m.attempt, 'failed');
      metrics().addMetric('BulkItemsFailed', MetricUnit.Count, 1);
    }
    return 'done';
  }

  async function finishSucceeded(m: ItemMessage, batch: ItemBatch): Promise<Result> {
    if (await deps.store.finish(m.jobId, m.index, m.attempt, { state: 'succeeded' }, now())) {
      batch.tally.add(m.jobId, m.attempt, 'succeeded');
      metrics().addMetric('BulkItemsSucceeded', MetricUnit.Count, 1);
    }
    return 'done';
  }

  async function retryLater(
    record: SQSRecord,
    m: ItemMessage,
    at: number,
    error: ItemError | undefined,
    ran: boolean,
    verifySince?: number,
    verifyAfter?: number,
  ): Promise<Result> {
    await deps.store.release(m.jobId, m.index, m.attempt, error, ran, now(), verifySince, verifyAfter);
    await deps.queue.delay(record.receiptHandle, Math.max(0, at - now()) / 1000);
    metrics().addMetric('BulkItemsRetried', MetricUnit.Count, 1);
    return 'retry';
  }

  async function processRecord(record: SQSRecord, deadline: number, batch: ItemBatch): Promise<Result> {
    const m = decodeItemMessage(record.body);
    const op = m && findOperation(m.operation);
    if (!m || !op) {
      // Not one of ours: left to SQS, which moves it to the dead-letter queue for inspection.
      logger().error('Unreadable bulk message');
      return 'retry';
    }
    appendLogKeys({ jobId: m.jobId, index: m.index, attempt: m.attempt });
    const subsegment = tracing().current();
    subsegment?.annotate({ jobId: m.jobId });
    subsegment?.addMetadata({ index: m.index, attempt: m.attempt, operation: m.operation });
    const lastReceive = Number(record.attributes.ApproximateReceiveCount) >= deps.maxReceiveCount;
    const looksUp = !op.retrySafe && canVerify(op.name);
    const claim = await deps.store.claim(
      m.jobId,
      m.index,
      m.attempt,
      deadline + endMarginMs,
      now(),
      { operation: m.operation, workspace: m.workspace },
      // A holder's call is cut endMarginMs before its lease ends: the lookup delay counts from then.
      looksUp ? Math.max(0, deps.verifyDelayMs - endMarginMs) : 0,
      // A first delivery of a first attempt creates its record; anything else reads it first.
      m.attempt === 1 && Number(record.attributes.ApproximateReceiveCount || 1) <= 1,
    );
    // Only a claimed item asks for a slot: the batch's others need not wait for this one.
    if (claim.kind !== 'claimed') batch.slots.leave();
    if (claim.kind === 'stale') return 'done';
    if (claim.kind === 'done') {
      // Finished before (a redelivery): make sure the counters include it, then acknowledge.
      const { state, counted, attempt } = claim.item;
      if (state === 'failed') {
        // Unless retry-failed took it out of the counts for a newer attempt (it moves the job's
        // attempt first, and the item was read before the job): that attempt counts it.
        const job = await deps.store.getJob(m.jobId);
        if (!job || job.attempt > attempt) return 'done';
      }
      if (state === 'succeeded' || state === 'failed')
        await deps.store.settle(m.jobId, m.index, counted, state, now());
      return 'done';
    }
    if (claim.kind === 'wait') {
      // A lost answer's lookup is due later (a duplicate message came early): come back then.
      await deps.queue.delay(record.receiptHandle, Math.max(1_000, claim.until - now()) / 1000);
      return 'retry';
    }
    if (claim.kind === 'busy') {
      // A duplicate of an item another worker holds: it usually finishes within a call, so look again
      // soon (1, 2, 4 ... s), and never later than the holder's lease.
      const receives = Number(record.attributes.ApproximateReceiveCount) || 1;
      const wait = Math.min(
        Math.max(1_000, claim.leaseUntil - now()),
        1_000 * 2 ** Math.min(receives - 1, 6),
      );
      await deps.queue.delay(record.receiptHandle, wait / 1000);
      return 'retry';
    }
    const previous = claim.previous;
    const counted: Counted = previous?.counted ?? 'none';
    if (counted !== 'none') {
      // A new attempt of a failed item: it is pending again until this attempt ends.
      await deps.store.settle(m.jobId, m.index, counted, 'none', now());
    }
    let client: IntercomClient;
    try {
      client = deps.clientFor(m.workspace);
    } catch (error) {
      // Its workspace was removed from the configuration since the job was accepted: no token to
      // run it with. Final for this attempt; retry-failed runs it once the workspace is back.
      if (!(error instanceof WorkspaceNotConfiguredError)) throw error;
      return finishFailed(m, { code: error.code, message: error.message }, batch);
    }
    // An earlier try may have reached Intercom: its answer was lost, or its holder died mid-call
    // (lease ran out), in this attempt or an older one that had not finished. A non-idempotent write
    // is only run again once a lookup shows it did not happen; where Intercom offers no lookup it is
    // recorded as outcome_unknown. The lookup searches from the earliest such try.
    const uncertainSince =
      previous?.verifySince ?? (previous?.state === 'in_progress' ? (previous.updatedAt ?? 0) : undefined);
    if (uncertainSince !== undefined && !op.retrySafe) {
      // A lookup first, at its own pace: its slots, and its call's, are asked for on their own.
      batch.slots.leave();
      let verdict: Verification = 'unknown';
      if (canVerify(op.name)) {
        const slot = await deps.governor.acquire(m.workspace, deadline - minCallMs);
        if (!slot.ok && lastReceive) {
          return finishFailed(
            m,
            {
              code: 'outcome_unknown',
              message: `No rate budget to look up an earlier try of ${op.name} before the last delivery`,
            },
            batch,
          );
        }
        if (!slot.ok) return retryLater(record, m, slot.retryAt, undefined, false, uncertainSince);
        verdict = await verifyWrite(
          client,
          op.name,
          m.input,
          uncertainSince,
          Math.min(MAX_CALL_MS, deadline - now()),
          {
            // Every further page of the lookup is one more Intercom request.
            beforePage: async () => (await deps.governor.acquire(m.workspace, deadline - minCallMs)).ok,
            now,
          },
        );
      }
      if (verdict === 'applied') return finishSucceeded(m, batch);
      if (verdict === 'retry' && !lastReceive) {
        return retryLater(record, m, now() + backoffMs(claim.tries), undefined, false, uncertainSince);
      }
      if (verdict === 'unknown' || verdict === 'retry') {
        return finishFailed(
          m,
          {
            code: 'outcome_unknown',
            message: `An earlier try of ${op.name} may have reached Intercom and it cannot be looked up; it was not repeated to avoid a duplicate. Check, then retry it if needed.`,
          },
          batch,
        );
      }
    }
    if (claim.tries > deps.maxAttempts) {
      const last = previous?.lastError;
      return finishFailed(
        m,
        {
          ...(last ?? { code: 'upstream_unavailable' }),
          message: `Gave up after ${deps.maxAttempts} attempts: ${last?.message ?? 'no answer'}`,
        },
        batch,
      );
    }

    // An operation that first looks its id up (delete_visitor) makes two Intercom requests. The
    // batch's items take their slots together, in one governor write.
    let slot: Acquired;
    try {
      slot = await batch.slots.acquire(m.workspace, deadline - minCallMs, op.lookup ? 2 : 1, m.jobId);
    } catch (error) {
      // The governor failed (DynamoDB throttled, ...) before Intercom was called: give the item back
      // untried, so its next delivery does not take it for one whose call may have been made.
      await deps.store.release(m.jobId, m.index, m.attempt, undefined, false, now());
      throw error;
    }
    if (!slot.ok) {
      if (lastReceive)
        return finishFailed(
          m,
          { code: 'rate_limited', message: 'No rate budget before the last delivery' },
          batch,
        );
      return retryLater(record, m, slot.retryAt, undefined, false);
    }
    const calledAt = now();
    try {
      const result = await client.call(op, m.input, {
        timeoutMs: Math.min(MAX_CALL_MS, deadline - now()),
        requestId: `${m.jobId}:${m.index}:${m.attempt}`,
      });
      if (result.rateLimit) await deps.governor.observe(m.workspace, result.rateLimit);
      await deps.afterCall?.(m);
      return finishSucceeded(m, batch);
    } catch (error) {
      if (client.rateLimit) await deps.governor.observe(m.workspace, client.rateLimit);
      if (!(error instanceof IntercomError)) throw error;
      const verdict = judge(error, op, claim.tries, now(), deps.governor.windowMs);
      if (verdict.kind === 'retry') {
        if (verdict.rateLimited) {
          // Intercom refused it unrun: every worker of the workspace waits, and the try does not count.
          await deps.governor.pause(m.workspace, verdict.retryAt);
          if (!lastReceive) return retryLater(record, m, verdict.retryAt, verdict.error, false);
        }
        if (claim.tries >= deps.maxAttempts || lastReceive) {
          return finishFailed(
            m,
            {
              ...verdict.error,
              message: `Gave up after ${claim.tries} attempt(s): ${verdict.error.message}`,
            },
            batch,
          );
        }
        return retryLater(record, m, verdict.retryAt, verdict.error, true);
      }
      if (
        verdict.kind === 'unknown' &&
        canVerify(op.name) &&
        claim.tries < deps.maxAttempts &&
        !lastReceive
      ) {
        // Look it up at the next delivery, a little later, rather than now: a fresh write may not be listed yet.
        // Not before Intercom has surely finished with the first call (it may run up to the call's timeout).
        return retryLater(
          record,
          m,
          Math.max(now() + backoffMs(claim.tries), calledAt + deps.verifyDelayMs),
          verdict.error,
          true,
          calledAt,
          // Duplicates of this message must not look sooner either.
          calledAt + deps.verifyDelayMs,
        );
      }
      if (verdict.kind === 'failed' && error instanceof IntercomHttpError) {
        logger().warn('Bulk item failed', { code: verdict.error.code });
      }
      return finishFailed(m, verdict.error, batch);
    }
  }

  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const remaining = context.getRemainingTimeInMillis?.() ?? 60_000;
    const deadline = now() + remaining - endMarginMs;
    metrics().addMetric('BulkMessages', MetricUnit.Count, event.Records.length);
    // One record per message id (an emulated long poll may repeat one) and per item attempt.
    const byItem = new Map<string, SQSRecord>();
    const duplicates: SQSRecord[] = [];
    const seenIds = new Set<string>();
    for (const record of event.Records) {
      if (seenIds.has(record.messageId)) continue;
      seenIds.add(record.messageId);
      const m = decodeItemMessage(record.body);
      const key = m ? `${m.jobId}\u0000${m.index}\u0000${m.attempt}` : `raw\u0000${record.messageId}`;
      if (byItem.has(key)) duplicates.push(record);
      else byItem.set(key, record);
    }
    const failures: SQSBatchResponse['batchItemFailures'] = [];
    const tally = new BatchTally();
    const slots = new BatchSlots(deps.governor, byItem.size);
    await Promise.all(
      // Each item logs in a context of its own: its message id, then its job, index and attempt; and
      // is traced in a subsegment of its own, its Intercom calls inside it.
      [...byItem.values()].map((record) =>
        withLogKeys({ messageId: record.messageId }, async () => {
          const batch = { tally, slots: slots.participant() };
          try {
            const result = await tracing().withSubsegment('bulk item', (subsegment) => {
              subsegment?.addMetadata(queuedMessage(record));
              return processRecord(record, deadline, batch);
            });
            if (result === 'retry') failures.push({ itemIdentifier: record.messageId });
          } catch (error) {
            // Infrastructure trouble (DynamoDB, SQS) or a bug: the message comes back after its visibility timeout.
            logger().error('Bulk item could not be processed', { error: error as Error });
            failures.push({ itemIdentifier: record.messageId });
          } finally {
            batch.slots.leave();
          }
        }),
      ),
    );
    await deps.beforeCount?.();
    try {
      await tally.flush(deps.store, now());
    } catch (error) {
      // The items are recorded as finished and counted: their messages must not run again. The
      // counters stay short until `status` counts the job item by item.
      logger().error('Bulk counters could not be updated', { error: error as Error });
    }
    // A duplicate of an item handled in this batch comes back in a moment (not after a whole
    // visibility timeout), when its claim tells what to do: usually, acknowledge it unrun.
    for (const record of duplicates) {
      await deps.queue.delay(record.receiptHandle, 1).catch(() => undefined);
      failures.push({ itemIdentifier: record.messageId });
    }
    return { batchItemFailures: failures };
  };
}
