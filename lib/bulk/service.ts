/**
 * Bulk jobs as the HTTP API offers them: submit (validate every item, record the job, queue the
 * valid items), status, failures and retry-failed. The job record is written before any item is
 * queued, and every write is repeatable, so a request retried after a crash or a timeout neither
 * loses nor duplicates items.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Operation } from '../catalog/types.ts';
import type { ApiKeyRecord } from '../config/types.ts';
import { HttpError } from '../http/errors.ts';
import { decodeCursorToken, encodeCursorToken } from '../validation/cursor-token.ts';
import {
  normalizeInput,
  type ValidationIssue,
  type ValidatorMap,
  validateInput,
} from '../validation/validate.ts';
import type { Headroom, RateGovernor } from './governor.ts';
import type { JobStore } from './job-store.ts';
import { encodeItemMessage } from './messages.ts';
import { QueueSendError, type WorkQueue } from './queue.ts';
import type { ItemError, JobRecord } from './records.ts';
import type { BulkRequest } from './request.ts';

export interface Rejection {
  index: number;
  error: { code: 'validation_failed'; message: string; details: ValidationIssue[] };
}

export type JobStatus = 'queued' | 'running' | 'completed' | 'completed_with_errors';

export interface JobView {
  jobId: string;
  operation: string;
  status: JobStatus;
  total: number;
  succeeded: number;
  failed: number;
  pending: number;
  attempt: number;
  final: boolean;
  createdAt: string;
  updatedAt: string;
  rateLimit: {
    limit: number;
    budget: number;
    remaining: number;
    resetAt: number;
    pausedUntil: number | null;
  };
}

export interface BulkServiceDeps {
  store: JobStore;
  queue: WorkQueue;
  governor: RateGovernor;
  validators: ValidatorMap;
  now?: () => number;
}

const LIST_CONTROLS = ['resultsPath', 'limit', 'next'];
export const MAX_FAILURES_PAGE = 1000;
const FAILURES_CURSOR = 'bulk-failures';
/** An item travels as one SQS message (256 KiB with our envelope) and is kept in DynamoDB (400 KB) when it fails. */
export const MAX_ITEM_BYTES = 200 * 1024;
/** How long a final job may sit short of its total before its items are counted one by one. */
const STUCK_MS = 5 * 60_000;

function jobIdFor(owner: string, idempotencyKey: string | undefined): string {
  if (!idempotencyKey) return `job_${randomBytes(12).toString('base64url')}`;
  return `job_${createHash('sha256').update(`${owner}\u0000${idempotencyKey}`).digest('base64url').slice(0, 24)}`;
}

function notFound(jobId: string): HttpError {
  return new HttpError(404, 'not_found', `No bulk job ${jobId.slice(0, 80)}`);
}

export function jobStatus(
  job: Pick<JobRecord, 'total' | 'succeeded' | 'failed' | 'final' | 'attempt'>,
): JobStatus {
  const done = job.succeeded + job.failed;
  if (job.final && done >= job.total) return job.failed > 0 ? 'completed_with_errors' : 'completed';
  return done === 0 && job.attempt === 1 ? 'queued' : 'running';
}

export class BulkService {
  readonly #d: BulkServiceDeps;
  readonly #now: () => number;

  constructor(deps: BulkServiceDeps) {
    this.#d = deps;
    this.#now = deps.now ?? Date.now;
  }

  /** Validates each item: the valid ones with their global index, the others as rejections. */
  validate(
    op: Operation,
    request: BulkRequest,
  ): { accepted: Array<{ index: number; input: Record<string, unknown> }>; rejected: Rejection[] } {
    const validator = this.#d.validators[op.name];
    if (!validator) throw new HttpError(404, 'unknown_operation', `Unknown operation "${op.name}"`);
    const accepted: Array<{ index: number; input: Record<string, unknown> }> = [];
    const rejected: Rejection[] = [];
    request.items.forEach((item, i) => {
      const index = request.offset + i;
      let details: ValidationIssue[];
      if (typeof item !== 'object' || item === null || Array.isArray(item)) {
        details = [{ path: '/', message: "must be an object of the operation's parameters" }];
      } else {
        const input = normalizeInput(item as Record<string, unknown>);
        // One item is one Intercom call: the list controls of /actions have no meaning here.
        const controls = LIST_CONTROLS.filter((c) => Object.hasOwn(input, c));
        details = controls.length
          ? controls.map((c) => ({ path: `/${c}`, message: 'is not supported in bulk items' }))
          : validateInput(validator, input);
        if (details.length === 0 && Buffer.byteLength(JSON.stringify(input)) > MAX_ITEM_BYTES) {
          details = [{ path: '/', message: `is larger than ${MAX_ITEM_BYTES} bytes (one SQS message)` }];
        }
        if (details.length === 0) {
          accepted.push({ index, input });
          return;
        }
      }
      rejected.push({ index, error: { code: 'validation_failed', message: 'Invalid parameters', details } });
    });
    return { accepted, rejected };
  }

  async estimate(op: Operation, workspace: string, requests: number) {
    const headroom = await this.#d.governor.describe(workspace);
    const perCall = op.lookup ? 2 : 1;
    const calls = requests * perCall;
    const seconds = Math.ceil((calls / headroom.budget) * headroom.windowSeconds);
    return {
      requests: calls,
      seconds,
      minutes: Math.round((seconds / 60) * 10) / 10,
      ratePerWindow: headroom.budget,
      windowSeconds: headroom.windowSeconds,
    };
  }

  async submit(op: Operation, request: BulkRequest, key: ApiKeyRecord, idempotencyKey?: string) {
    const { accepted, rejected } = this.validate(op, request);
    if (request.dryRun) {
      return {
        status: 200,
        body: {
          dryRun: true,
          operation: op.name,
          total: request.items.length,
          accepted: accepted.length,
          rejected,
          estimate: await this.estimate(op, key.workspace, accepted.length),
        },
      };
    }
    const jobId = request.jobId ?? jobIdFor(key.name, idempotencyKey);
    const now = this.#now();
    // A client names a job only to append to it or to repeat its first chunk: never to create one
    // (ids derived from another key's Idempotency-Key must not be taken in advance).
    if (request.jobId !== undefined && request.offset === 0) {
      const existing = await this.#d.store.getJob(jobId);
      if (!existing || existing.owner !== key.name) throw notFound(jobId);
    }
    const outcome = await this.#d.store.registerChunk({
      jobId,
      operation: op.name,
      workspace: key.workspace,
      owner: key.name,
      offset: request.offset,
      size: request.items.length,
      accepted: accepted.length,
      final: request.final,
      hash: createHash('sha256').update(JSON.stringify(request.items)).digest('base64url'),
      now,
      expiresAt: this.#d.store.expiresAt(now),
    });
    if (outcome.kind === 'missing') throw notFound(jobId);
    if (outcome.kind === 'conflict') {
      if (outcome.reason === 'not_owner') throw notFound(jobId);
      if (outcome.reason === 'operation') {
        throw new HttpError(
          409,
          'job_conflict',
          `Job ${jobId} runs ${outcome.job.operation}, not ${op.name}`,
        );
      }
      if (outcome.reason === 'chunk') {
        throw new HttpError(
          409,
          'chunk_mismatch',
          `Job ${jobId} registered a different chunk at offset ${request.offset} (${outcome.differs.join(', ')}); a repeated chunk must be the same request`,
        );
      }
      if (outcome.reason === 'closed')
        throw new HttpError(409, 'job_closed', `Job ${jobId} received its final chunk`);
      throw new HttpError(
        409,
        'offset_mismatch',
        `Job ${jobId} expects its next chunk at offset ${outcome.job.nextOffset}`,
      );
    }
    const alreadyQueued = outcome.kind === 'replay' && outcome.queued;
    if (!alreadyQueued && accepted.length > 0) {
      try {
        await this.#d.queue.sendAll(
          accepted.map(({ index, input }) => ({
            id: String(index),
            body: encodeItemMessage({
              jobId,
              index,
              attempt: 1,
              operation: op.name,
              workspace: key.workspace,
              input,
            }),
          })),
        );
      } catch (error) {
        if (!(error instanceof QueueSendError)) throw error;
        throw new HttpError(
          503,
          'queue_unavailable',
          `Job ${jobId}: ${error.failedIds.length} item(s) could not be queued; repeat the same request with "jobId": "${jobId}", "offset": ${request.offset} (safe: no item runs twice)`,
          { cause: error },
        );
      }
    }
    if (!alreadyQueued) await this.#d.store.markChunkQueued(jobId, request.offset);
    return {
      status: 202,
      body: {
        jobId,
        operation: op.name,
        total: request.items.length,
        accepted: accepted.length,
        rejected,
        offset: request.offset,
        final: request.final,
      },
    };
  }

  async #ownedJob(jobId: string, key: ApiKeyRecord): Promise<JobRecord> {
    const job = await this.#d.store.getJob(jobId);
    // Another key's job is reported as missing: job ids must not leak across keys.
    if (!job || job.owner !== key.name) throw notFound(jobId);
    return job;
  }

  async status(jobId: string, key: ApiKeyRecord): Promise<JobView> {
    let job = await this.#ownedJob(jobId, key);
    const now = this.#now();
    const done = job.succeeded + job.failed;
    // Verify the counters item by item: once per attempt when they say the job is over, and when a
    // final job has been stuck short for a while (a worker died between an item's record and its count).
    const over = job.final && done >= job.total && job.reconciledAttempt !== job.attempt;
    const stuck =
      job.final &&
      done < job.total &&
      now - job.updatedAt > STUCK_MS &&
      now - (job.checkedAt ?? 0) > STUCK_MS;
    if (over || stuck) {
      const counts = await this.#d.store.countStates(jobId);
      const settledItems = counts.succeeded + counts.failed;
      if (counts.queued + counts.in_progress === 0 && settledItems === job.total) {
        await this.#d.store.reconcile(
          jobId,
          job.attempt,
          counts.succeeded,
          counts.failed,
          now,
          job.updatedAt,
        );
        job = { ...job, succeeded: counts.succeeded, failed: counts.failed, reconciledAttempt: job.attempt };
      } else if (stuck) {
        await this.#d.store.markChecked(jobId, now);
      }
    }
    const headroom: Headroom = await this.#d.governor.describe(job.workspace);
    const settled = Math.min(job.total, job.succeeded + job.failed);
    return {
      jobId: job.jobId,
      operation: job.operation,
      status: jobStatus(job),
      total: job.total,
      succeeded: job.succeeded,
      failed: job.failed,
      pending: job.total - settled,
      attempt: job.attempt,
      final: job.final,
      createdAt: new Date(job.createdAt).toISOString(),
      updatedAt: new Date(job.updatedAt).toISOString(),
      rateLimit: {
        limit: headroom.limit,
        budget: headroom.budget,
        remaining: headroom.remaining,
        resetAt: headroom.resetAt,
        pausedUntil: headroom.pausedUntil > this.#now() ? headroom.pausedUntil : null,
      },
    };
  }

  async failures(jobId: string, key: ApiKeyRecord, limit: number, next: string | undefined) {
    await this.#ownedJob(jobId, key);
    let after: number | undefined;
    if (next !== undefined) {
      // A cursor names its job: one of another job (or anything else) is refused, not read as a position.
      const cursor = decodeCursorToken(FAILURES_CURSOR, next, ['job', 'after']);
      if (cursor?.job !== jobId || !Number.isSafeInteger(cursor.after) || (cursor.after as number) < 0) {
        throw new HttpError(400, 'validation_failed', 'Invalid parameters', {
          details: [{ path: '/next', message: "is not a cursor of this job's failures" }],
        });
      }
      after = cursor.after as number;
    }
    const page = await this.#d.store.failures(jobId, limit, after);
    return {
      failures: page.items.map((item) => ({
        index: item.index,
        attempt: item.attempt,
        error: item.error as ItemError,
        input: item.input ?? {},
      })),
      next:
        page.last === undefined ? null : encodeCursorToken(FAILURES_CURSOR, { job: jobId, after: page.last }),
    };
  }

  /**
   * Queues every failed item again as a new attempt of the job. Each item leaves the failed count
   * before its message is sent, so workers never race this for the counters. Calling it again while
   * that attempt runs resumes an interrupted retry (items already taken by a worker are not in the
   * failures index any more, and a repeated message of the same attempt is acknowledged unrun).
   */
  async retryFailed(jobId: string, key: ApiKeyRecord) {
    const job = await this.#ownedJob(jobId, key);
    const status = jobStatus(job);
    const resuming = status === 'running' && job.attempt > 1;
    if (status !== 'completed_with_errors' && !resuming) {
      throw new HttpError(
        409,
        'job_not_retryable',
        `Job ${jobId} is ${status}; only a job completed with errors can be retried`,
      );
    }
    // A concurrent retry may start the attempt first: then this call resumes it instead of starting another.
    const attempt = resuming
      ? job.attempt
      : ((await this.#d.store.nextAttempt(jobId, job.attempt, this.#now())) ?? job.attempt + 1);
    let requeued = 0;
    let after: number | undefined;
    do {
      const page = await this.#d.store.failures(jobId, MAX_FAILURES_PAGE, after);
      const items = page.items.filter((item) => item.attempt < attempt);
      await forEachLimited(items, 16, (item) =>
        this.#d.store.settle(jobId, item.index, item.counted, 'none', this.#now()),
      );
      try {
        await this.#d.queue.sendAll(
          items.map((item) => ({
            id: String(item.index),
            body: encodeItemMessage({
              jobId,
              index: item.index,
              attempt,
              operation: job.operation,
              workspace: job.workspace,
              input: item.input ?? {},
            }),
          })),
        );
      } catch (error) {
        if (!(error instanceof QueueSendError)) throw error;
        throw new HttpError(
          503,
          'queue_unavailable',
          `Job ${jobId}: the queue refused some items; call retry-failed again to resume (nothing runs twice)`,
          {
            cause: error,
          },
        );
      }
      requeued += items.length;
      after = page.last;
    } while (after !== undefined);
    return { jobId, attempt, requeued };
  }
}

async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  run: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await run(items[next++]!);
  });
  await Promise.all(lanes);
}
