/**
 * The rate governor: one budget per Intercom workspace, shared by every concurrent worker through
 * atomic counters in DynamoDB, one per rate window. Intercom counts requests per fixed window
 * (10 s); bursting a window's budget at its start invites 429s whenever windows drift, so slots are
 * released evenly across the window: by time t into a window, at most `budget * (t + lead) / window`
 * requests may have started. A share (`reserveFraction`) is left to interactive action calls; the
 * window size and limit follow Intercom's `X-RateLimit-*` headers once seen; a 429 pauses every worker
 * of the workspace until the reset.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { RateLimitState } from '../intercom/rate-limit.ts';
import { isConditionFailure } from './dynamo.ts';

export interface GovernorOptions {
  table: string;
  defaultLimit: number;
  windowSeconds: number;
  reserveFraction: number;
  /** How long a worker trusts its copy of the workspace state (limit, pause). */
  stateTtlMs?: number;
  /** How far ahead of the even line a slot may start (smooths request latency). */
  leadMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

interface WorkspaceState {
  limit: number;
  /** Window boundaries sit at multiples of the window plus this offset (from Intercom's reset times). */
  phaseMs: number;
  pausedUntil: number;
  readAt: number;
}

export interface Headroom {
  /** Intercom's limit per window (or the configured default before the first response). */
  limit: number;
  /** The bulk share of it. */
  budget: number;
  /** Slots bulk workers took in the current window. */
  used: number;
  remaining: number;
  /** End of the current window, epoch ms. */
  resetAt: number;
  windowSeconds: number;
  pausedUntil: number;
}

/** A job's slots on a window record are kept as the attribute `job_<jobId>`. */
const JOB_PREFIX = 'job_';
/** Window records (with each job's slots) are kept a day: long enough to chart a job's run. */
const WINDOW_RECORD_TTL_SECONDS = 86_400;

export type Acquired =
  /** The slots were taken in the window starting at `windowStart`, at `at` (epoch ms). */
  { ok: true; windowStart: number; at: number } | { ok: false; retryAt: number };

export class RateGovernor {
  readonly #db: DynamoDBDocumentClient;
  readonly #o: Required<Omit<GovernorOptions, 'now' | 'sleep'>>;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #states = new Map<string, WorkspaceState>();
  /** Callers of `acquire` waiting in this process right now. */
  #waiting = 0;

  constructor(db: DynamoDBDocumentClient, options: GovernorOptions) {
    this.#db = db;
    this.#o = { stateTtlMs: 1_000, leadMs: 250, ...options } as Required<
      Omit<GovernorOptions, 'now' | 'sleep'>
    >;
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? ((ms) => sleep(ms));
  }

  get windowMs(): number {
    return this.#o.windowSeconds * 1000;
  }

  /** Requests per window that bulk work may spend. */
  budget(limit: number): number {
    return Math.max(1, Math.floor(limit * (1 - this.#o.reserveFraction)));
  }

  /** The workspace's known limit (Intercom's, or the default), this window's use and any pause: for estimates and progress. */
  async describe(workspace: string): Promise<Headroom> {
    const state = await this.#state(workspace);
    const now = this.#now();
    const start = this.#windowStart(now, state.phaseMs);
    const { Item } = await this.#db.send(
      new GetCommand({ TableName: this.#o.table, Key: { pk: `ws#${workspace}`, sk: `window#${start}` } }),
    );
    const budget = this.budget(state.limit);
    const used = typeof Item?.used === 'number' ? Item.used : 0;
    return {
      limit: state.limit,
      budget,
      used,
      remaining: Math.max(0, budget - used),
      resetAt: start + this.windowMs,
      windowSeconds: this.#o.windowSeconds,
      pausedUntil: state.pausedUntil,
    };
  }

  #windowStart(now: number, phaseMs: number): number {
    return Math.floor((now - phaseMs) / this.windowMs) * this.windowMs + phaseMs;
  }

  /**
   * Waits for a slot until `deadline` (epoch ms). Returns `{ ok: false, retryAt }` when none comes in
   * time, so the caller can hand the item back to the queue for then. `slots`: the Intercom requests
   * the caller will make (an operation that looks an id up first makes two), taken at once.
   * `byJob`: whose slots they are (job id to slots), kept on the window's record in the same write,
   * so each job's requests per window can be charted against the budget (`jobWindows`).
   */
  async acquire(
    workspace: string,
    deadline: number,
    slots = 1,
    byJob: Record<string, number> = {},
  ): Promise<Acquired> {
    this.#waiting++;
    try {
      return await this.#acquire(workspace, deadline, Math.max(1, Math.floor(slots)), byJob);
    } finally {
      this.#waiting--;
    }
  }

  async #acquire(
    workspace: string,
    deadline: number,
    slots: number,
    byJob: Record<string, number>,
  ): Promise<Acquired> {
    for (;;) {
      const state = await this.#state(workspace);
      const now = this.#now();
      // Never a slot for a call that could not be made in time.
      if (now >= deadline) return { ok: false, retryAt: now + this.windowMs / this.budget(state.limit) };
      if (state.pausedUntil > now) {
        if (state.pausedUntil >= deadline) return { ok: false, retryAt: state.pausedUntil };
        await this.#sleep(state.pausedUntil - now + Math.floor(Math.random() * 100));
        continue;
      }
      const windowMs = this.windowMs;
      const start = this.#windowStart(now, state.phaseMs);
      const budget = this.budget(state.limit);
      const allowed = Math.min(budget, Math.ceil((budget * (now - start + this.#o.leadMs)) / windowMs));
      // More slots than a whole budget (a batch's, against a tiny budget) are taken a budget at a time.
      const need = Math.min(slots, budget);
      if (allowed >= need && (await this.#take(workspace, start, allowed, need, byJob, now))) {
        if (need === slots) return { ok: true, windowStart: start, at: now };
        slots -= need;
        byJob = {};
        continue;
      }
      // The even line allows the next slot one slot-length from now (or at the next window). The
      // callers waiting in this process spread over that many slots, so the shared counter sees
      // about one try per slot from each process instead of one per waiting item.
      const slotMs = windowMs / budget;
      const nextWindow = start + windowMs;
      const wait = Math.min(nextWindow - now, slotMs * Math.max(1, this.#waiting)) * (0.5 + Math.random());
      if (now + wait >= deadline) return { ok: false, retryAt: Math.min(nextWindow, now + wait) };
      await this.#sleep(Math.max(1, wait));
    }
  }

  /**
   * The slots a job was granted in each rate window from `from` to `to` (epoch ms; window records
   * are kept a day), oldest first.
   */
  async jobWindows(
    workspace: string,
    jobId: string,
    from: number,
    to: number,
  ): Promise<Array<{ windowStart: number; granted: number }>> {
    const windows: Array<{ windowStart: number; granted: number }> = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.#db.send(
        new QueryCommand({
          TableName: this.#o.table,
          // Window starts are 13-digit epoch milliseconds: they sort as strings as they do as numbers.
          KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
          ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk', '#job': `${JOB_PREFIX}${jobId}` },
          ExpressionAttributeValues: {
            ':pk': `ws#${workspace}`,
            ':from': `window#${Math.max(0, from - this.windowMs)}`,
            ':to': `window#${to}`,
          },
          ProjectionExpression: '#sk, #job',
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of page.Items ?? []) {
        const granted = item[`${JOB_PREFIX}${jobId}`];
        if (typeof granted === 'number')
          windows.push({ windowStart: Number(String(item.sk).slice('window#'.length)), granted });
      }
      start = page.LastEvaluatedKey;
    } while (start);
    return windows.sort((a, b) => a.windowStart - b.windowStart);
  }

  /** Learns the limit and window phase from Intercom's headers; pauses when the reserve is being spent. */
  async observe(workspace: string, rate: RateLimitState): Promise<void> {
    const state = await this.#state(workspace);
    const phaseMs = ((rate.resetAt % this.windowMs) + this.windowMs) % this.windowMs;
    const reserve = rate.limit - this.budget(rate.limit);
    // Others (interactive calls) used the reserve: bulk work waits for the next window.
    const pause = rate.remaining <= 0 || rate.remaining < reserve / 2;
    const changed = rate.limit !== state.limit || phaseMs !== state.phaseMs;
    if (changed) {
      state.limit = rate.limit;
      state.phaseMs = phaseMs;
      await this.#write(workspace, { limit: rate.limit, phaseMs });
    }
    if (pause && rate.resetAt > state.pausedUntil) await this.pause(workspace, rate.resetAt);
  }

  /** A 429: every worker of the workspace waits until `until`. */
  async pause(workspace: string, until: number): Promise<void> {
    const state = await this.#state(workspace);
    if (until <= state.pausedUntil) return;
    state.pausedUntil = until;
    try {
      await this.#db.send(
        new UpdateCommand({
          TableName: this.#o.table,
          Key: { pk: `ws#${workspace}`, sk: 'state' },
          UpdateExpression: 'SET #paused = :until',
          ConditionExpression: 'attribute_not_exists(#paused) OR #paused < :until',
          ExpressionAttributeNames: { '#paused': 'pausedUntil' },
          ExpressionAttributeValues: { ':until': until },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  async #take(
    workspace: string,
    windowStart: number,
    allowed: number,
    slots: number,
    byJob: Record<string, number>,
    now: number,
  ): Promise<boolean> {
    const jobs = Object.entries(byJob);
    try {
      await this.#db.send(
        new UpdateCommand({
          TableName: this.#o.table,
          Key: { pk: `ws#${workspace}`, sk: `window#${windowStart}` },
          UpdateExpression: `ADD #used :slots${jobs.map((_, i) => `, #j${i} :j${i}`).join('')} SET #expiresAt = :expiresAt`,
          // A comparison with a missing attribute is false: NOT makes a window's first take pass.
          ConditionExpression: 'NOT #used > :most',
          ExpressionAttributeNames: {
            '#used': 'used',
            '#expiresAt': 'expiresAt',
            ...Object.fromEntries(jobs.map(([jobId], i) => [`#j${i}`, `${JOB_PREFIX}${jobId}`])),
          },
          ExpressionAttributeValues: {
            ':slots': slots,
            ':most': allowed - slots,
            ':expiresAt': Math.floor(now / 1000) + WINDOW_RECORD_TTL_SECONDS,
            ...Object.fromEntries(jobs.map(([, n], i) => [`:j${i}`, n])),
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async #write(workspace: string, values: { limit: number; phaseMs: number }): Promise<void> {
    await this.#db.send(
      new UpdateCommand({
        TableName: this.#o.table,
        Key: { pk: `ws#${workspace}`, sk: 'state' },
        UpdateExpression: 'SET #limit = :limit, #phase = :phase',
        ExpressionAttributeNames: { '#limit': 'limit', '#phase': 'phaseMs' },
        ExpressionAttributeValues: { ':limit': values.limit, ':phase': values.phaseMs },
      }),
    );
  }

  async #state(workspace: string): Promise<WorkspaceState> {
    const cached = this.#states.get(workspace);
    const now = this.#now();
    if (cached && now - cached.readAt < this.#o.stateTtlMs) return cached;
    const { Item } = await this.#db.send(
      new GetCommand({ TableName: this.#o.table, Key: { pk: `ws#${workspace}`, sk: 'state' } }),
    );
    const state: WorkspaceState = {
      limit: typeof Item?.limit === 'number' ? Item.limit : this.#o.defaultLimit,
      phaseMs: typeof Item?.phaseMs === 'number' ? Item.phaseMs : 0,
      pausedUntil: Math.max(
        typeof Item?.pausedUntil === 'number' ? Item.pausedUntil : 0,
        cached?.pausedUntil ?? 0,
      ),
      readAt: now,
    };
    this.#states.set(workspace, state);
    return state;
  }
}
