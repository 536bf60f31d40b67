/**
 * Bulk jobs as the HTTP API offers them: submit (validate every item, record the job, queue the
 * valid items), status, failures and retry-failed. The job record is written before any item is
 * queued, and every write is repeatable, so a request retried after a crash or a timeout neither
 * loses nor duplicates items.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  isCreatedBy,
  isVisibleTo,
  keyOwner,
  type OwnerId,
  scopesFor,
  WORKSPACE_OWNER,
} from '../auth/ownership.ts';
import { findOperation } from '../catalog/index.ts';
import type { ApiKeyScope, Operation } from '../catalog/types.ts';
import type { ApiKeyRecord } from '../config/types.ts';
import type { WorkspaceJobChunk } from '../delivery/workspace-jobs.ts';
import { DomainError } from '../errors.ts';
import type { Headroom, RateGovernor } from '../governor/rate-governor.ts';
import { QueueSendError, type WorkQueue } from '../queue/work-queue.ts';
import { decodeCursorToken, encodeCursorToken } from '../validation/cursor-token.ts';
import { ByteBudget } from '../validation/response-size.ts';
import {
  normalizeInput,
  type ValidationIssue,
  type ValidatorMap,
  validateInput,
} from '../validation/validate.ts';
import type { JobStore } from './job-store.ts';
import { encodeItemMessage } from './messages.ts';
import { type Counted, type ItemError, JOB_LIST_SORT_KEY, type JobRecord } from './records.ts';
import type { BulkRequest, JobListQuery, JobStatus } from './request.ts';

export interface Rejection {
  index: number;
  error: { code: 'validation_failed'; message: string; details: ValidationIssue[] };
}

export type { JobStatus };

/** A job as `GET /bulk/jobs` lists it: its counters as its record holds them. */
export interface JobSummary {
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
}

export interface JobView extends JobSummary {
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

const JOBS_CURSOR = 'bulk-jobs';
/**
 * Queries per owner list per request at most: a filter that matches few jobs answers a short (even
 * empty) page with `next` rather than reading the whole history in one request.
 */
const MAX_JOB_LIST_ROUNDS = 5;

/** The per-window accepted requests of a job, against the workspace's budget (`GET /bulk/jobs/{jobId}/throughput`). */
export interface JobThroughput {
  jobId: string;
  windowSeconds: number;
  /** Intercom's limit per window, and the bulk share of it, as the governor sees them now. */
  limit: number;
  budget: number;
  windows: Array<{ start: string; accepted: number }>;
}

/** One entry of `GET /bulk/jobs/{jobId}/failures`. */
export interface FailedItem {
  index: number;
  attempt: number;
  error: ItemError;
  input: Record<string, unknown>;
}
export const MAX_FAILURES_PAGE = 1000;
const FAILURES_CURSOR = 'bulk-failures';
/** An item travels as one SQS message (256 KiB with our envelope) and is kept in DynamoDB (400 KB) when it fails. */
export const MAX_ITEM_BYTES = 200 * 1024;
/** How long a final job may sit short of its total before its items are counted one by one. */
const STUCK_MS = 5 * 60_000;

/** How long a retry-failed call holds the job's requeue before another call may take it over. */
const RETRY_LEASE_MS = 60_000;

/** An Idempotency-Key names a job of its workspace and key: the same key string from another key is another job. */
function jobIdFor(key: ApiKeyRecord, idempotencyKey: string | undefined): string {
  if (!idempotencyKey) return `job_${randomBytes(12).toString('base64url')}`;
  const scope = `${key.workspace}\u0000${keyOwner(key)}\u0000${idempotencyKey}`;
  return `job_${createHash('sha256').update(scope).digest('base64url').slice(0, 24)}`;
}

/** The job a workspace owns under `name`: in another id space than any key's Idempotency-Key. */
export function workspaceJobId(workspace: string, name: string): string {
  const scope = `${workspace}\u0000${WORKSPACE_OWNER}\u0000${name}`;
  return `job_${createHash('sha256').update(scope).digest('base64url').slice(0, 24)}`;
}

/** Each item's state, attempt and what it is counted as, by index. */
type ItemStates = Awaited<ReturnType<JobStore['itemStates']>>;

/** What a route does with a job, for the scopes it needs (lib/auth/ownership.ts). */
type JobAccess = 'read' | 'retry';

function notFound(jobId: string): DomainError {
  return new DomainError('not_found', `No bulk job ${jobId.slice(0, 80)}`);
}

export function jobStatus(
  job: Pick<JobRecord, 'total' | 'succeeded' | 'failed' | 'final' | 'attempt' | 'retry'>,
): JobStatus {
  // A retry that is still queueing its items is running, whatever the counters say yet.
  if (job.retry) return 'running';
  const done = job.succeeded + job.failed;
  if (job.final && done >= job.total) return job.failed > 0 ? 'completed_with_errors' : 'completed';
  return done === 0 && job.attempt === 1 ? 'queued' : 'running';
}

function summary(job: JobRecord): JobSummary {
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
  };
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
    if (!validator) throw new DomainError('unknown_operation', `Unknown operation "${op.name}"`);
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
    const jobId = request.jobId ?? jobIdFor(key, idempotencyKey);
    const now = this.#now();
    // A client names a job only to append to it or to repeat its first chunk: never to create one
    // (ids derived from another key's Idempotency-Key must not be taken in advance).
    if (request.jobId !== undefined && request.offset === 0) {
      const existing = await this.#d.store.getJob(jobId);
      if (!existing || !isCreatedBy(existing, key)) throw notFound(jobId);
    }
    const keyed = idempotencyKey !== undefined && request.jobId === undefined;
    if (keyed) {
      const usedAt = await this.#d.store.idempotencyUsed(jobId);
      if (usedAt !== undefined && !(await this.#d.store.getJob(jobId))) {
        throw new DomainError(
          'idempotency_key_expired',
          `This Idempotency-Key made job ${jobId} on ${new Date(usedAt).toISOString()}, whose records have expired; its items are not run again. Send a new Idempotency-Key to run them again.`,
        );
      }
    }
    const result = await this.#register(
      op,
      request,
      jobId,
      { workspace: key.workspace, ownerId: keyOwner(key), createdBy: key.name },
      accepted,
    );
    if (keyed && result.created) await this.#d.store.markIdempotencyUsed(jobId, now);
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

  /**
   * A chunk of the job the workspace owns under `name` (a rule's for-each run): the port other
   * features use (lib/delivery/workspace-jobs.ts). The id is derived from the workspace and the name
   * alone, so a repeated submission names the same job and replays; no key can create or append to it.
   */
  async submitForWorkspace(
    chunk: WorkspaceJobChunk,
  ): Promise<{ jobId: string; accepted: number; rejected: number }> {
    const op = findOperation(chunk.operation);
    if (!op) throw new DomainError('unknown_operation', `Unknown operation "${chunk.operation}"`);
    const request: BulkRequest = {
      items: chunk.items,
      dryRun: false,
      offset: chunk.offset,
      final: chunk.final,
    };
    const { accepted, rejected } = this.validate(op, request);
    const jobId = workspaceJobId(chunk.workspace, chunk.name);
    await this.#register(
      op,
      request,
      jobId,
      { workspace: chunk.workspace, ownerId: WORKSPACE_OWNER, createdBy: chunk.createdBy },
      accepted,
    );
    return { jobId, accepted: accepted.length, rejected: rejected.length };
  }

  /** Registers a chunk of `jobId` for `owner` and queues its accepted items (once, whatever the repeats). */
  async #register(
    op: Operation,
    request: BulkRequest,
    jobId: string,
    owner: { workspace: string; ownerId: OwnerId; createdBy: string },
    accepted: Array<{ index: number; input: Record<string, unknown> }>,
  ): Promise<{ created: boolean }> {
    const now = this.#now();
    const outcome = await this.#d.store.registerChunk({
      jobId,
      operation: op.name,
      workspace: owner.workspace,
      ownerId: owner.ownerId,
      createdBy: owner.createdBy,
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
        throw new DomainError('job_conflict', `Job ${jobId} runs ${outcome.job.operation}, not ${op.name}`);
      }
      if (outcome.reason === 'chunk') {
        throw new DomainError(
          'chunk_mismatch',
          `Job ${jobId} registered a different chunk at offset ${request.offset} (${outcome.differs.join(', ')}); a repeated chunk must be the same request`,
        );
      }
      if (outcome.reason === 'closed')
        throw new DomainError('job_closed', `Job ${jobId} received its final chunk`);
      throw new DomainError(
        'offset_mismatch',
        `Job ${jobId} expects its next chunk at offset ${outcome.job.nextOffset}`,
      );
    }
    const alreadyQueued = outcome.kind === 'replay' && outcome.queued;
    if (!alreadyQueued && accepted.length > 0) {
      // Kept before queueing: a lost message is queued again from here (`recover`).
      await this.#d.store.putInputs(jobId, request.offset, accepted, this.#d.store.expiresAt(now));
      try {
        await this.#d.queue.sendAll(
          accepted.map(({ index, input }) => ({
            id: String(index),
            body: encodeItemMessage({
              jobId,
              index,
              attempt: 1,
              operation: op.name,
              workspace: owner.workspace,
              input,
            }),
          })),
        );
      } catch (error) {
        if (!(error instanceof QueueSendError)) throw error;
        throw new DomainError(
          'queue_unavailable',
          `Job ${jobId}: ${error.failedIds.length} item(s) could not be queued; repeat the same request with "jobId": "${jobId}", "offset": ${request.offset} (safe: no item runs twice)`,
          { cause: error },
        );
      }
    }
    if (!alreadyQueued) await this.#d.store.markChunkQueued(jobId, request.offset);
    return { created: outcome.kind === 'created' };
  }

  /**
   * The job if `key` may see it (another key's or workspace's job is reported as missing: job ids
   * must not leak), with the scopes `access` needs on it checked.
   */
  async #visibleJob(jobId: string, key: ApiKeyRecord, access: JobAccess): Promise<JobRecord> {
    const job = await this.#d.store.getJob(jobId);
    if (!job || !isVisibleTo(job, key)) throw notFound(jobId);
    const op = findOperation(job.operation);
    const needs: readonly ApiKeyScope[] =
      access === 'read'
        ? scopesFor(job, { own: ['bulk'], shared: ['read'] })
        : ['bulk', ...(op ? [op.scope] : [])];
    const missing = needs.filter((scope) => !key.scopes.includes(scope));
    if (missing.length > 0) {
      throw new DomainError(
        'forbidden',
        `This API key lacks the ${missing.map((s) => `"${s}"`).join(' and ')} scope that ${access === 'read' ? 'reading this job' : `retrying ${job.operation}`} needs`,
      );
    }
    return job;
  }

  /**
   * The job with its counters verified item by item where they may be off: once per attempt when
   * they say the job is over, and when a final job has been stuck short for a while (a worker died
   * between an item's record and its count). Not while a retry is queueing its items: the counters
   * are moving item by item then.
   */
  async #verified(job: JobRecord): Promise<JobRecord> {
    const now = this.#now();
    const done = job.succeeded + job.failed;
    const over = job.final && !job.retry && done >= job.total && job.reconciledAttempt !== job.attempt;
    const stuck =
      job.final &&
      done < job.total &&
      now - job.updatedAt > STUCK_MS &&
      now - (job.checkedAt ?? 0) > STUCK_MS;
    if (!over && !stuck) return job;
    const states = await this.#d.store.itemStates(job.jobId);
    const counts = { pending: job.total - states.size, succeeded: 0, failed: 0 };
    const uncounted: number[] = [];
    for (const [index, item] of states) {
      // A failed item of an older attempt is pending: retry-failed queued it for this one. One that
      // succeeded in an older attempt is done: no newer attempt runs it again.
      const retried = item.state === 'failed' && item.attempt < job.attempt;
      if (item.state === 'queued' || item.state === 'in_progress' || retried) {
        counts.pending++;
        continue;
      }
      counts[item.state]++;
      if (item.counted !== item.state) uncounted.push(index);
    }
    if (counts.pending > 0) {
      if (stuck) await this.#d.store.markChecked(job.jobId, now);
      return job;
    }
    // Finished items a worker died before counting are counted through their markers, as that worker
    // would have: a later delivery of theirs then finds them counted, and retry-failed uncounts them.
    for (const index of uncounted) {
      const item = states.get(index)!;
      await this.#d.store.settle(job.jobId, index, item.counted, item.state as Counted, now);
    }
    let current = job;
    if (uncounted.length > 0) current = (await this.#d.store.getJob(job.jobId)) ?? job;
    if (current.attempt !== job.attempt) return current;
    // Every marker now says what its item is; counters short of them lost a write to a crash between
    // a marker and its count. Conditional on the job being unchanged since it was read; a later write
    // of ours conditions on these counters, so a reconcile that lost its race cannot mislead it.
    const at = await this.#d.store.reconcile(
      job.jobId,
      job.attempt,
      counts.succeeded,
      counts.failed,
      now,
      current.updatedAt,
    );
    return at === undefined
      ? current
      : {
          ...current,
          succeeded: counts.succeeded,
          failed: counts.failed,
          reconciledAttempt: job.attempt,
          updatedAt: at,
        };
  }

  async status(jobId: string, key: ApiKeyRecord): Promise<JobView> {
    const job = await this.#verified(await this.#visibleJob(jobId, key, 'read'));
    const headroom: Headroom = await this.#d.governor.describe(job.workspace);
    return {
      ...summary(job),
      rateLimit: {
        limit: headroom.limit,
        budget: headroom.budget,
        remaining: headroom.remaining,
        resetAt: headroom.resetAt,
        pausedUntil: headroom.pausedUntil > this.#now() ? headroom.pausedUntil : null,
      },
    };
  }

  /**
   * The jobs `key` may read, newest first: its own (with `bulk`) and its workspace's (with `read`),
   * each owner's list one Query, merged by creation time. Filters apply to the entries read: a page
   * may hold fewer than `limit` jobs (none, even) and still have a `next`.
   */
  async list(key: ApiKeyRecord, query: JobListQuery): Promise<{ jobs: JobSummary[]; next: string | null }> {
    const owners: OwnerId[] = [
      ...(key.scopes.includes('bulk') ? [keyOwner(key)] : []),
      ...(key.scopes.includes('read') ? [WORKSPACE_OWNER] : []),
    ];
    let before = query.next === undefined ? undefined : this.#listPosition(query.next, key);
    const jobs: JobSummary[] = [];
    let more = owners.length > 0;
    for (let round = 0; more && jobs.length < query.limit && round < MAX_JOB_LIST_ROUNDS; round++) {
      const pages = await Promise.all(
        owners.map((owner) =>
          this.#d.store.listEntries(key.workspace, owner, query.limit, before, query.operation),
        ),
      );
      // An owner's unread entries all sort below its last entry read: merged entries above the
      // highest such key are complete, and are taken in order.
      const horizon = pages.reduce<string | undefined>(
        (most, page) =>
          page.lastKey !== undefined && (most === undefined || page.lastKey > most) ? page.lastKey : most,
        undefined,
      );
      more = horizon !== undefined;
      const entries = pages
        .flatMap((page) => page.entries)
        .filter((entry) => horizon === undefined || entry.sk >= horizon)
        .sort((a, b) => (a.sk < b.sk ? 1 : -1));
      const records = await this.#d.store.getJobs(entries.map((entry) => entry.jobId));
      let position = horizon;
      for (const [i, entry] of entries.entries()) {
        const job = records.get(entry.jobId);
        // An entry outlives its job by TTL's own delay at most: such a job is gone.
        if (job && isVisibleTo(job, key) && (query.status === undefined || jobStatus(job) === query.status))
          jobs.push(summary(job));
        if (jobs.length === query.limit) {
          position = entry.sk;
          more = i < entries.length - 1 || more;
          break;
        }
      }
      before = position;
    }
    return {
      jobs,
      next:
        more && before !== undefined
          ? encodeCursorToken(JOBS_CURSOR, { ws: key.workspace, key: key.id, before })
          : null,
    };
  }

  /** The position a `GET /bulk/jobs` cursor of this key names; anything else is refused. */
  #listPosition(next: string, key: ApiKeyRecord): string {
    const cursor = decodeCursorToken(JOBS_CURSOR, next, ['ws', 'key', 'before']);
    const before = cursor?.before;
    if (
      cursor?.ws !== key.workspace ||
      cursor.key !== key.id ||
      typeof before !== 'string' ||
      !JOB_LIST_SORT_KEY.test(before)
    ) {
      throw new DomainError('validation_failed', 'Invalid parameters', {
        details: [{ path: '/next', message: 'is not a cursor of this job list' }],
      });
    }
    return before;
  }

  /**
   * The requests the governor granted the job in each rate window of its run (one counter per window,
   * written with the batch's slots: lib/governor), and the budget they were spent against.
   */
  async throughput(jobId: string, key: ApiKeyRecord): Promise<JobThroughput> {
    const job = await this.#visibleJob(jobId, key, 'read');
    const [headroom, windows] = await Promise.all([
      this.#d.governor.describe(job.workspace),
      this.#d.governor.jobWindows(
        job.workspace,
        job.jobId,
        job.createdAt,
        Math.max(job.updatedAt, this.#now()),
      ),
    ]);
    return {
      jobId: job.jobId,
      windowSeconds: headroom.windowSeconds,
      limit: headroom.limit,
      budget: headroom.budget,
      windows: windows.map((w) => ({ start: new Date(w.windowStart).toISOString(), accepted: w.granted })),
    };
  }

  /**
   * A page of the job's failed items, in index order: at most `limit`, and no more than `maxBytes`
   * of response (lib/validation/response-size.ts): `next` then resumes at the first item left out.
   */
  async failures(
    jobId: string,
    key: ApiKeyRecord,
    limit: number,
    next: string | undefined,
    maxBytes?: number,
  ) {
    await this.#visibleJob(jobId, key, 'read');
    let after: number | undefined;
    if (next !== undefined) {
      // A cursor names its job: one of another job (or anything else) is refused, not read as a position.
      const cursor = decodeCursorToken(FAILURES_CURSOR, next, ['job', 'after']);
      if (cursor?.job !== jobId || !Number.isSafeInteger(cursor.after) || (cursor.after as number) < 0) {
        throw new DomainError('validation_failed', 'Invalid parameters', {
          details: [{ path: '/next', message: "is not a cursor of this job's failures" }],
        });
      }
      after = cursor.after as number;
    }
    const page = await this.#d.store.failures(jobId, limit, after);
    const bytes = new ByteBudget(maxBytes);
    const failures: FailedItem[] = [];
    for (const item of page.items) {
      const failure: FailedItem = {
        index: item.index,
        attempt: item.attempt,
        error: item.error as ItemError,
        input: item.input ?? {},
      };
      if (!bytes.take(failure)) break;
      failures.push(failure);
    }
    const last = failures.length < page.items.length ? failures.at(-1)!.index : page.last;
    return {
      failures,
      next: last === undefined ? null : encodeCursorToken(FAILURES_CURSOR, { job: jobId, after: last }),
    };
  }

  /**
   * Queues every failed item again as a new attempt of the job. Starting the attempt is one
   * conditional write on the attempt and the counters the caller judged "completed with errors", and
   * it takes the job's requeue lease: of any number of concurrent calls one starts the attempt and
   * queues the items; the others answer with that attempt (`started: false`) while the lease lives.
   * Each item leaves the failed count before its message is sent, so workers never race this for
   * the counters. A call made once the lease has lapsed (its holder died, or the queue refused) takes
   * it over and resumes: items already taken by a worker are not in the failures index any more, and
   * a repeated message of the same attempt is acknowledged unrun.
   */
  async retryFailed(jobId: string, key: ApiKeyRecord) {
    let job = await this.#verified(await this.#visibleJob(jobId, key, 'retry'));
    const holder = randomBytes(9).toString('base64url');
    for (let round = 0; round < 5; round++) {
      const now = this.#now();
      if (job.retry && job.retry.leaseUntil > now)
        return { jobId, attempt: job.attempt, requeued: 0, started: false };
      const status = jobStatus(job);
      let attempt: number;
      let won: boolean;
      if (!job.retry && status === 'completed_with_errors') {
        attempt = job.attempt + 1;
        won = await this.#d.store.startRetry(jobId, job, holder, now + RETRY_LEASE_MS, now);
      } else if (job.attempt > 1 && status === 'running') {
        // The attempt a retry started is running: the caller gets it. Only a retry whose holder
        // died while queueing (its lease lapsed) is resumed here; lost messages are `recover`'s.
        if (!job.retry) return { jobId, attempt: job.attempt, requeued: 0, started: false };
        attempt = job.attempt;
        won = await this.#d.store.takeRetryLease(jobId, job, holder, now + RETRY_LEASE_MS, now);
      } else {
        throw new DomainError(
          'job_not_retryable',
          `Job ${jobId} is ${status}; only a job completed with errors can be retried`,
        );
      }
      if (won) {
        const { requeued, kept } = await this.#requeueFailed(job, attempt, holder);
        // `started` is the one call that started the attempt and queued all of it: not a call that
        // resumed it, nor a holder that lost its lease mid-way (another call took it over).
        return { jobId, attempt, requeued, started: kept && attempt > job.attempt };
      }
      // Another call moved the job first: judge again from what it wrote.
      const fresh = await this.#d.store.getJob(jobId);
      if (!fresh) throw notFound(jobId);
      job = await this.#verified(fresh);
    }
    throw new DomainError('job_conflict', `Job ${jobId} changed during every try; call retry-failed again`);
  }

  /**
   * Queues again every item of the job that has not finished its current attempt, from the stored
   * inputs: after a queue purge, a lost message or a local restart. Safe to call any time: the
   * claims let each item run once per attempt, and a duplicate message is acknowledged unrun. A
   * retry-failed whose caller died (its lease lapsed) is finished here too.
   */
  async recover(jobId: string, key: ApiKeyRecord) {
    const job = await this.#visibleJob(jobId, key, 'retry');
    return { jobId, attempt: job.attempt, requeued: await this.#recoverJob(job, false) };
  }

  /** Every unfinished job of the table, queued again (the local stack runs this at start). */
  async recoverAll(): Promise<{ jobs: number; requeued: number }> {
    let jobs = 0;
    let requeued = 0;
    for (const job of await this.#d.store.allJobs()) {
      if (!job.retry && job.final && job.succeeded + job.failed >= job.total) continue;
      jobs++;
      const states = await this.#d.store.itemStates(job.jobId);
      // Nothing of this job is on the queue yet, so no worker is between an item's marker and its
      // count: the counters must equal the items' markers. A process killed between the two writes
      // left them short; put them right before queueing anything.
      const counted = { succeeded: 0, failed: 0 };
      for (const item of states.values()) if (item.counted !== 'none') counted[item.counted]++;
      if (counted.succeeded !== job.succeeded || counted.failed !== job.failed)
        await this.#d.store.setCounters(job.jobId, counted.succeeded, counted.failed, this.#now());
      // The process that held a retry's lease is gone, whatever its lease says.
      requeued += await this.#recoverJob(job, true, states);
    }
    return { jobs, requeued };
  }

  async #recoverJob(job: JobRecord, holderGone: boolean, states?: ItemStates): Promise<number> {
    const retry = await this.#resumeRetry(job, holderGone);
    // While a live retry-failed queues the failed items of older attempts, they are its to queue.
    const skip = retry === 'live' ? 'older-failures' : retry.queued;
    return (retry === 'live' ? 0 : retry.requeued) + (await this.requeuePending(job, states, skip));
  }

  /** Finishes a retry-failed whose holder is gone: takes its lease and queues the rest of its items. */
  async #resumeRetry(job: JobRecord, holderGone: boolean) {
    if (!job.retry) return { requeued: 0, queued: new Set<number>() };
    const now = this.#now();
    if (!holderGone && job.retry.leaseUntil > now) return 'live';
    const holder = randomBytes(9).toString('base64url');
    if (!(await this.#d.store.takeRetryLease(job.jobId, job, holder, now + RETRY_LEASE_MS, now)))
      return 'live';
    return this.#requeueFailed(job, job.attempt, holder);
  }

  /**
   * Queues every item not finished in its attempt, but those in `skip`: items queued just now, or
   * the failed items of older attempts a live retry-failed is queueing.
   */
  async requeuePending(
    job: JobRecord,
    known?: ItemStates,
    skip?: ReadonlySet<number> | 'older-failures',
  ): Promise<number> {
    const { jobId } = job;
    const [inputs, states] = await Promise.all([
      this.#d.store.inputs(jobId),
      known ?? this.#d.store.itemStates(jobId),
    ]);
    const messages = [];
    for (const { index, input } of inputs) {
      if (skip instanceof Set && skip.has(index)) continue;
      const item = states.get(index);
      let attempt: number;
      if (!item) attempt = job.attempt;
      else if (item.state === 'queued' || item.state === 'in_progress') attempt = item.attempt;
      // retry-failed queues every failed item of older attempts into the current one.
      else if (item.state === 'failed' && item.attempt < job.attempt) {
        if (skip === 'older-failures') continue;
        attempt = job.attempt;
      }
      // Finished, but a worker died before counting it: a message of its attempt finds it done and counts it.
      else if (item.counted !== item.state) attempt = item.attempt;
      else continue;
      messages.push({
        id: String(index),
        body: encodeItemMessage({
          jobId,
          index,
          attempt,
          operation: job.operation,
          workspace: job.workspace,
          input,
        }),
      });
    }
    try {
      await this.#d.queue.sendAll(messages);
    } catch (error) {
      if (!(error instanceof QueueSendError)) throw error;
      throw new DomainError(
        'queue_unavailable',
        `Job ${jobId}: the queue refused some items; call recover again (nothing runs twice)`,
        { cause: error },
      );
    }
    for (const offset of await this.#d.store.unqueuedChunks(jobId))
      await this.#d.store.markChunkQueued(jobId, offset);
    return messages.length;
  }

  /**
   * Queues the failed items of older attempts into `attempt`, page by page, renewing the lease before
   * each page. `kept` is false when the lease was lost on the way (it lapsed and another call took
   * over): the items queued so far are safe (a repeated message is acknowledged unrun).
   */
  async #requeueFailed(job: JobRecord, attempt: number, holder: string) {
    const { jobId } = job;
    const queued = new Set<number>();
    let after: number | undefined;
    do {
      if (!(await this.#d.store.renewRetryLease(jobId, holder, this.#now() + RETRY_LEASE_MS)))
        return { requeued: queued.size, queued, kept: false };
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
        // The next call may resume at once, not a lease later.
        await this.#d.store.releaseRetryLease(jobId, holder, 0);
        throw new DomainError(
          'queue_unavailable',
          `Job ${jobId}: the queue refused some items; call retry-failed again to resume (nothing runs twice)`,
          { cause: error },
        );
      }
      for (const item of items) queued.add(item.index);
      after = page.last;
    } while (after !== undefined);
    const kept = await this.#d.store.endRetry(jobId, holder, this.#now());
    return { requeued: queued.size, queued, kept };
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
