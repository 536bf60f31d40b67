/**
 * The rate governor: one budget per Intercom workspace, shared by every concurrent worker through
 * atomic counters in DynamoDB, one per rate window. Intercom counts requests per fixed window
 * (10 s); bursting a window's budget at its start invites 429s whenever windows drift, so slots are
 * released evenly across the window: by time t into a window, at most `budget * (t + lead) / window`
 * requests may have started. A share (`reserveFraction`) is left to interactive action calls; the
 * window size and limit follow Intercom's `X-RateLimit-*` headers once seen; a 429 pauses every worker
 * of the workspace until the reset.
 *
 * The budget belongs to the Intercom app, and other clients of it spend it too. Bulk work takes only
 * what they leave: every answer's `X-RateLimit-Remaining` tells how many requests Intercom has
 * counted in the window, and what our workers can have been granted by then is known (the window's
 * counter), so the difference is a lower bound of the others' use. Each process keeps, per window,
 * the most Intercom had counted at any of its answers; when the window is over it compares that with
 * the window's final grants (one read) and publishes the others' use on the workspace's shared state
 * (one conditional write, only while someone else spends or was expected to). The next windows' bulk
 * budget is the bulk share minus the others' expected use: their last measured window's, or half the
 * one before (so the budget comes back within two windows of the others stopping). Within a window,
 * answers showing the others already past that (a burst at the window's start, a new client) shrink
 * this process's budget at once.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { RateLimitState } from '../intercom/rate-limit.ts';
import { isConditionFailure } from '../tables/table-store.ts';

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
  /** Other clients' requests in the last measured windows, newest first (from the shared state). */
  others: OthersMeasure[];
}

interface OthersMeasure {
  windowStart: number;
  used: number;
}

/** What this process saw of one Intercom rate window at its own answers. */
interface WindowWatch {
  windowStart: number;
  /** The most requests Intercom had counted in the window at any of them (limit - remaining). */
  counted: number;
  /** The most of those that cannot have been ours: counted - the most our workers could have been granted by then. */
  others: number;
}

/** Grants on a window's counter as this process last saw them (after its own takes). */
interface KnownGrants {
  windowStart: number;
  granted: number;
}

export interface Headroom {
  /** Intercom's limit per window (or the configured default before the first response). */
  limit: number;
  /** The bulk share of it. */
  budget: number;
  /** Slots bulk workers took in the current window. */
  used: number;
  /** Requests other clients of the app are expected to make in the current window (taken off the budget). */
  others: number;
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
/** An older measure of the others' use counts for this much less per window it is older than the newest. */
const OTHERS_DECAY = 0.5;
/** Measures older than this many windows are forgotten. */
const OTHERS_MEMORY_WINDOWS = 6;

export type Acquired =
  /**
   * `granted` slots were taken in the window starting at `windowStart`, at `at` (epoch ms): all that
   * were asked for, or a whole budget when more were asked than a window allows.
   */
  { ok: true; windowStart: number; at: number; granted: number } | { ok: false; retryAt: number };

export class RateGovernor {
  readonly #db: DynamoDBDocumentClient;
  readonly #o: Required<Omit<GovernorOptions, 'now' | 'sleep'>>;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #states = new Map<string, WorkspaceState>();
  readonly #watches = new Map<string, WindowWatch>();
  /** Per workspace, the last two windows' grants as this process saw them. */
  readonly #grants = new Map<string, KnownGrants[]>();
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
    const others = this.#othersIn(workspace, state, start);
    const budget = this.#bulkBudget(state, others);
    const used = typeof Item?.used === 'number' ? Item.used : 0;
    return {
      limit: state.limit,
      budget,
      used,
      others,
      remaining: Math.max(0, budget - used),
      resetAt: start + this.windowMs,
      windowSeconds: this.#o.windowSeconds,
      pausedUntil: state.pausedUntil,
    };
  }

  #windowStart(now: number, phaseMs: number): number {
    return Math.floor((now - phaseMs) / this.windowMs) * this.windowMs + phaseMs;
  }

  /** The bulk share left once the others' expected use is taken off. */
  #bulkBudget(state: WorkspaceState, others: number): number {
    return Math.max(1, Math.floor(this.budget(state.limit) - others));
  }

  /**
   * Requests other clients are expected to make in the window starting at `windowStart`: the most
   * of their recent measured windows (each older one counting for less), or what this process has
   * seen them spend in this very window, if more.
   */
  #othersIn(workspace: string, state: WorkspaceState, windowStart: number): number {
    const watch = this.#watches.get(workspace);
    const seen = watch?.windowStart === windowStart ? watch.others : 0;
    return Math.min(state.limit, Math.max(this.#expected(state, windowStart), seen));
  }

  /** The others' expected use of a window from the measures on the shared state alone. */
  #expected(state: WorkspaceState, windowStart: number): number {
    let expected = 0;
    for (const m of state.others) {
      const ago = Math.round((windowStart - m.windowStart) / this.windowMs);
      if (ago > OTHERS_MEMORY_WINDOWS) continue;
      expected = Math.max(expected, m.used * OTHERS_DECAY ** Math.max(0, ago - 1));
    }
    return Math.ceil(expected);
  }

  /** This process's last view of a window's grant counter (0 when it took none there). */
  #knownGrants(workspace: string, windowStart: number): number {
    return this.#grants.get(workspace)?.find((g) => g.windowStart === windowStart)?.granted ?? 0;
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
      const budget = this.#bulkBudget(state, this.#othersIn(workspace, state, start));
      const allowed = Math.min(budget, Math.ceil((budget * (now - start + this.#o.leadMs)) / windowMs));
      // More slots than a whole budget (a batch's, against a tiny budget) could never be taken at
      // once: a whole budget is granted, and the caller runs what it covers.
      const need = Math.min(slots, budget);
      if (allowed >= need && (await this.#take(workspace, start, allowed, need, byJob, now)))
        return { ok: true, windowStart: start, at: now, granted: need };
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
   * The slots a job was granted in each rate window that overlaps `from` to `to` (epoch ms; window records
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
            ':from': `window#${Math.max(0, from - this.windowMs + 1)}`,
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

  /**
   * Learns the limit and window phase from Intercom's headers, and the others' use of the window;
   * pauses when the reserve is being spent.
   */
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
    const ended = this.#watch(workspace, state, rate);
    if (ended) await this.#publish(workspace, ended);
    if (pause && rate.resetAt > state.pausedUntil) await this.pause(workspace, rate.resetAt);
  }

  /**
   * Adds an answer to what this process saw of its window. Returns the previous window's watch when
   * this answer is the first of a later window (for its caller alone to publish).
   */
  #watch(workspace: string, state: WorkspaceState, rate: RateLimitState): WindowWatch | undefined {
    const windowStart = rate.resetAt - this.windowMs;
    const current = this.#watches.get(workspace);
    // A late answer from a window already closed here.
    if (current && current.windowStart > windowStart) return undefined;
    const fresh = !current || current.windowStart < windowStart;
    const watch = fresh ? { windowStart, counted: 0, others: 0 } : current;
    const counted = Math.max(0, rate.limit - rate.remaining);
    // The most our workers can have been granted by then: the counter as this process last saw it,
    // or the even line of the current budget (others' grants since), whichever is more. Slots granted
    // whose requests had not arrived yet make this an underestimate of the others, never an over.
    const budget = this.#bulkBudget(state, this.#othersIn(workspace, state, windowStart));
    const line = Math.min(
      budget,
      Math.ceil((budget * (rate.observedAt - windowStart + this.#o.leadMs)) / this.windowMs),
    );
    const ours = Math.max(this.#knownGrants(workspace, windowStart), line);
    watch.counted = Math.max(watch.counted, counted);
    watch.others = Math.max(watch.others, counted - ours);
    if (!fresh) return undefined;
    this.#watches.set(workspace, watch);
    return current && current.counted > 0 ? current : undefined;
  }

  /**
   * At a window's end: the others' use of it, Intercom's count at our latest answer less the
   * window's final grants (read once, unless this process's own view shows none could be others'),
   * published on the shared state for every worker.
   */
  async #publish(workspace: string, ended: WindowWatch): Promise<void> {
    let others = ended.others;
    if (ended.counted > this.#knownGrants(workspace, ended.windowStart)) {
      const { Item } = await this.#db.send(
        new GetCommand({
          TableName: this.#o.table,
          Key: { pk: `ws#${workspace}`, sk: `window#${ended.windowStart}` },
          ProjectionExpression: '#used',
          ExpressionAttributeNames: { '#used': 'used' },
        }),
      );
      const granted = typeof Item?.used === 'number' ? Item.used : 0;
      others = Math.max(others, ended.counted - granted);
    }
    const state = await this.#state(workspace);
    others = Math.max(0, Math.min(state.limit, others));
    const next = ended.windowStart + this.windowMs;
    // Alone, and nobody else expected: nothing to write.
    if (others === 0 && this.#expected(state, next) === 0) return;
    await this.#recordOthers(workspace, state, { windowStart: ended.windowStart, used: others });
  }

  /** The others' use of a window onto the shared state: a newer window shifts, the same one keeps the most. */
  async #recordOthers(workspace: string, state: WorkspaceState, measure: OthersMeasure): Promise<void> {
    const names = {
      '#w': 'othersWindow',
      '#n': 'others',
      '#pw': 'othersPrevWindow',
      '#pn': 'othersPrev',
    };
    try {
      await this.#db.send(
        new UpdateCommand({
          TableName: this.#o.table,
          Key: { pk: `ws#${workspace}`, sk: 'state' },
          UpdateExpression:
            'SET #pw = if_not_exists(#w, :none), #pn = if_not_exists(#n, :zero), #w = :w, #n = :n',
          ConditionExpression: 'attribute_not_exists(#w) OR #w < :w',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: {
            ':w': measure.windowStart,
            ':n': measure.used,
            ':none': 0,
            ':zero': 0,
          },
        }),
      );
      const newest = state.others[0];
      state.others = [measure, ...(newest && newest.windowStart < measure.windowStart ? [newest] : [])];
      return;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    // Another process published this window (or a later one) first: keep the larger measure.
    try {
      await this.#db.send(
        new UpdateCommand({
          TableName: this.#o.table,
          Key: { pk: `ws#${workspace}`, sk: 'state' },
          UpdateExpression: 'SET #n = :n',
          ConditionExpression: '#w = :w AND #n < :n',
          ExpressionAttributeNames: { '#w': names['#w'], '#n': names['#n'] },
          ExpressionAttributeValues: { ':w': measure.windowStart, ':n': measure.used },
        }),
      );
      state.others = state.others.map((m) => (m.windowStart === measure.windowStart ? measure : m));
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
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
      const { Attributes } = await this.#db.send(
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
          // The counter after this take: what this process knows of the window's grants, at no extra cost.
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      if (typeof Attributes?.used === 'number') this.#noteGrants(workspace, windowStart, Attributes.used);
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  #noteGrants(workspace: string, windowStart: number, granted: number): void {
    const known = this.#grants.get(workspace) ?? [];
    const same = known.find((g) => g.windowStart === windowStart);
    if (same) same.granted = Math.max(same.granted, granted);
    else
      this.#grants.set(
        workspace,
        [{ windowStart, granted }, ...known].sort((a, b) => b.windowStart - a.windowStart).slice(0, 2),
      );
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
      others: [
        ...(typeof Item?.othersWindow === 'number' && typeof Item?.others === 'number'
          ? [{ windowStart: Item.othersWindow, used: Item.others }]
          : []),
        ...(typeof Item?.othersPrevWindow === 'number' &&
        Item.othersPrevWindow > 0 &&
        typeof Item?.othersPrev === 'number'
          ? [{ windowStart: Item.othersPrevWindow, used: Item.othersPrev }]
          : []),
      ],
    };
    this.#states.set(workspace, state);
    return state;
  }
}
