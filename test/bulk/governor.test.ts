/** The rate governor against the DynamoDB emulator: a shared, evenly spent budget per workspace. */

import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RateGovernor } from '../../lib/governor/rate-governor.ts';
import { createTables, type Emulators, startEmulators } from '../../lib/local/emulators.ts';
import { createTableInput, RATE_TABLE } from '../../lib/tables/definitions.ts';

let emulators: Emulators;
let db: DynamoDBDocumentClient;
beforeAll(async () => {
  emulators = await startEmulators();
  await createTables(emulators.dynamodb, [createTableInput(RATE_TABLE, 'rate')]);
  db = DynamoDBDocumentClient.from(emulators.dynamodb);
});
afterAll(async () => emulators?.close());

const governor = (options: Partial<ConstructorParameters<typeof RateGovernor>[1]> = {}) =>
  new RateGovernor(db, { table: 'rate', defaultLimit: 20, windowSeconds: 1, reserveFraction: 0, ...options });

describe('rate governor', () => {
  it('shares one budget between workers and spreads it across each window', async () => {
    const workers = [governor(), governor(), governor()];
    // Each slot as the governor took it: its window and the instant it was taken (a timestamp taken
    // after acquire() returns would drift into the next window whenever the event loop is busy).
    const taken: Array<{ windowStart: number; at: number }> = [];
    const until = Date.now() + 2_600;
    // 12 concurrent callers spread over three governor instances, as three Lambda containers would be.
    await Promise.all(
      Array.from({ length: 12 }, async (_, i) => {
        const g = workers[i % 3]!;
        for (;;) {
          const slot = await g.acquire('ws-shared', until);
          if (!slot.ok) return;
          taken.push({ windowStart: slot.windowStart, at: slot.at });
        }
      }),
    );
    const perWindow = new Map<number, number[]>();
    for (const { windowStart, at } of taken)
      perWindow.set(windowStart, [...(perWindow.get(windowStart) ?? []), at - windowStart]);
    for (const [, offsets] of perWindow) {
      expect(offsets.length).toBeLessThanOrEqual(20);
      // Even spending: never more than the share of the window elapsed (plus the 250 ms lead).
      offsets.sort((a, b) => a - b);
      for (const [n, ms] of offsets.entries()) {
        expect(n + 1).toBeLessThanOrEqual(Math.ceil((20 * (ms + 250)) / 1000) + 1);
      }
    }
    // Full windows in the middle are spent completely.
    const full = [...perWindow.values()].slice(1, -1);
    expect(full.length).toBeGreaterThan(0);
    for (const offsets of full) expect(offsets.length).toBeGreaterThanOrEqual(16);
  });

  it('keeps the reserve for interactive calls', async () => {
    const g = governor({ reserveFraction: 0.25 });
    expect(g.budget(20)).toBe(15);
    const state = await g.describe('ws-reserve');
    expect(state).toMatchObject({ limit: 20, budget: 15, used: 0, remaining: 15, windowSeconds: 1 });
  });

  it("learns Intercom's limit from its headers", async () => {
    const g = governor();
    const now = Date.now();
    await g.observe('ws-learn', {
      limit: 60,
      remaining: 59,
      resetAt: Math.ceil(now / 1000) * 1000,
      observedAt: now,
    });
    expect((await governor().describe('ws-learn')).limit).toBe(60);
  });

  it('pauses every worker of a workspace until the reset after a 429', async () => {
    const a = governor();
    const b = governor();
    const until = Date.now() + 400;
    await a.pause('ws-429', until);
    const refused = await b.acquire('ws-429', until - 100);
    expect(refused).toEqual({ ok: false, retryAt: until });
    const waited = await b.acquire('ws-429', Date.now() + 2_000);
    expect(waited.ok).toBe(true);
    expect(Date.now()).toBeGreaterThanOrEqual(until);
  });

  it('pauses when other callers spend the reserve', async () => {
    const g = governor({ reserveFraction: 0.2 });
    const now = Date.now();
    const resetAt = now + 700;
    await g.observe('ws-busy', { limit: 20, remaining: 1, resetAt, observedAt: now });
    expect((await governor().describe('ws-busy')).pausedUntil).toBe(resetAt);
  });
});

describe('rate governor slots', () => {
  it('takes several slots at once for a caller that makes several requests', async () => {
    // A fixed clock at the end of a window: the whole budget (20) is allowed.
    const at = Math.floor(Date.now() / 1000) * 1000 + 999;
    const g = governor({ now: () => at });
    expect(await g.acquire('ws-slots', at + 1_000, 2)).toMatchObject({ ok: true, windowStart: at - 999, at });
    expect((await g.describe('ws-slots')).used).toBe(2);
    for (let i = 0; i < 17; i++) await g.acquire('ws-slots', at + 1_000);
    expect((await g.describe('ws-slots')).used).toBe(19);
    // One slot left will not do for two: the caller is told when to come back.
    const refused = await governor({ now: () => at, sleep: async () => {} }).acquire('ws-slots', at + 1, 2);
    expect(refused.ok).toBe(false);
    expect((await g.describe('ws-slots')).used).toBe(19);
    expect(await g.acquire('ws-slots', at + 1_000)).toMatchObject({ ok: true });
  });

  it("records each job's slots per window in the window's own write, for charting a job against the budget", async () => {
    let now = Math.floor(Date.now() / 1000) * 1000 + 999;
    const g = governor({ now: () => now });
    const first = now - 999;
    expect(await g.acquire('ws-jobs', now + 1_000, 10, { job_a: 7, job_b: 3 })).toMatchObject({ ok: true });
    expect(await g.acquire('ws-jobs', now + 1_000, 2, { job_a: 2 })).toMatchObject({ ok: true });
    now += 1_000;
    expect(await g.acquire('ws-jobs', now + 1_000, 4, { job_b: 4 })).toMatchObject({ ok: true });
    expect(await g.jobWindows('ws-jobs', 'job_a', first, now)).toEqual([{ windowStart: first, granted: 9 }]);
    expect(await g.jobWindows('ws-jobs', 'job_b', first, now)).toEqual([
      { windowStart: first, granted: 3 },
      { windowStart: first + 1_000, granted: 4 },
    ]);
    // Only the windows asked for.
    expect(await g.jobWindows('ws-jobs', 'job_b', first + 1_000, now)).toEqual([
      { windowStart: first + 1_000, granted: 4 },
    ]);
    expect(await g.jobWindows('ws-jobs', 'job_c', first, now)).toEqual([]);
  });
});

/**
 * The app's budget shared with another client, in simulated time (no real waiting): an Intercom that
 * counts requests per fixed window and answers with its `X-RateLimit-*` headers, our workers taking
 * slots from governors on a fake clock, their requests arriving `latencyMs` after the grant and the
 * answers `latencyMs` later, and another client spending `others(window, tick)` requests a tick.
 */
describe('rate governor shared with other clients', () => {
  const WINDOW_MS = 10_000;
  const TICK_MS = 50;
  const TICKS = WINDOW_MS / TICK_MS;
  const T0 = 1_800_000_000_000;

  interface WindowTally {
    granted: number;
    ours: number;
    others: number;
    othersRefused: number;
    oursRefused: number;
  }

  async function simulate(options: {
    workspace: string;
    limit: number;
    windows: number;
    /** The other client's requests in tick `tick` (0-199) of window `window`. */
    others: (window: number, tick: number) => number;
    latencyMs: number;
    governors?: number;
  }) {
    const clock = { now: T0 };
    // The governors' DynamoDB calls beyond the per-slot takes: writes of the shared state, reads of a
    // window's counter.
    const extra = { stateWrites: 0, windowReads: 0, counting: true };
    const counting = {
      send: (command: { input: { Key?: { sk?: string } } }) => {
        const sk = command.input.Key?.sk ?? '';
        if (extra.counting && command instanceof UpdateCommand && sk === 'state') extra.stateWrites++;
        if (extra.counting && command instanceof GetCommand && sk.startsWith('window#')) extra.windowReads++;
        return db.send(command as UpdateCommand);
      },
    } as unknown as DynamoDBDocumentClient;
    const gs = Array.from(
      { length: options.governors ?? 1 },
      () =>
        new RateGovernor(counting, {
          table: 'rate',
          defaultLimit: options.limit,
          windowSeconds: WINDOW_MS / 1000,
          reserveFraction: 0.1,
          now: () => clock.now,
          sleep: async () => {},
        }),
    );
    const counted = new Map<number, number>();
    const tallies: WindowTally[] = Array.from({ length: options.windows }, () => ({
      granted: 0,
      ours: 0,
      others: 0,
      othersRefused: 0,
      oursRefused: 0,
    }));
    const budgets: number[] = [];
    let arrivals: Array<{ at: number; g: number }> = [];
    let answers: Array<{ at: number; g: number; remaining: number; resetAt: number }> = [];
    /** Intercom counts a request in the window it arrives in; false: refused (a 429). */
    const take = (at: number) => {
      const start = Math.floor(at / WINDOW_MS) * WINDOW_MS;
      const used = counted.get(start) ?? 0;
      const allowed = used < options.limit;
      if (allowed) counted.set(start, used + 1);
      return { allowed, remaining: options.limit - (counted.get(start) ?? 0), resetAt: start + WINDOW_MS };
    };
    let othersCarry = 0;
    for (let w = 0; w < options.windows; w++) {
      for (let tick = 0; tick < TICKS; tick++) {
        clock.now = T0 + w * WINDOW_MS + tick * TICK_MS;
        const tally = tallies[w]!;
        for (const a of arrivals.filter((a) => a.at <= clock.now)) {
          const r = take(a.at);
          if (r.allowed) tally.ours++;
          else tally.oursRefused++;
          answers.push({ at: a.at + options.latencyMs, g: a.g, remaining: r.remaining, resetAt: r.resetAt });
        }
        arrivals = arrivals.filter((a) => a.at > clock.now);
        othersCarry += options.others(w, tick);
        for (; othersCarry >= 1; othersCarry--) {
          if (take(clock.now).allowed) tally.others++;
          else tally.othersRefused++;
        }
        for (const a of answers.filter((a) => a.at <= clock.now)) {
          await gs[a.g]!.observe(options.workspace, {
            limit: options.limit,
            remaining: a.remaining,
            resetAt: a.resetAt,
            observedAt: clock.now,
          });
        }
        answers = answers.filter((a) => a.at > clock.now);
        // Every worker takes what the governor allows now (a deadline of now + 1 ms: no waiting).
        for (const [g, gov] of gs.entries()) {
          while ((await gov.acquire(options.workspace, clock.now + 1)).ok) {
            tally.granted++;
            arrivals.push({ at: clock.now + options.latencyMs, g });
          }
        }
      }
      // The test's own look (describe reads the window's counter) is not counted.
      extra.counting = false;
      budgets.push((await gs[0]!.describe(options.workspace)).budget);
      extra.counting = true;
    }
    return { tallies, budgets, extra, describe: () => gs[0]!.describe(options.workspace) };
  }

  const steady40 = (limit: number) => () => (0.4 * limit) / TICKS;
  /** 40% of the budget in the first 100 ms of every window. */
  const burst40 = (limit: number) => (_w: number, tick: number) => (tick < 2 ? (0.4 * limit) / 2 : 0);

  it.each([
    ['steady', steady40],
    ['burst', burst40],
  ])('leaves a %s 40%% spender its share: the bulk budget shrinks to about half', async (kind, spender) => {
    const limit = 200;
    const { tallies, budgets, extra } = await simulate({
      workspace: `ws-share-${kind}`,
      limit,
      windows: 6,
      others: spender(limit),
      latencyMs: 120,
    });
    // From the second window on: the bulk budget is the bulk share (90%) less the others' 40%,
    // within a few requests, and the other client is never refused.
    for (const [w, t] of tallies.entries()) {
      if (w === 0) continue;
      expect(budgets[w]).toBeGreaterThanOrEqual(0.47 * limit);
      expect(budgets[w]).toBeLessThanOrEqual(0.52 * limit);
      expect(t.granted).toBeGreaterThanOrEqual(0.45 * limit);
      expect(t.granted).toBeLessThanOrEqual(0.54 * limit);
      expect(t.othersRefused).toBe(0);
      expect(t.oursRefused).toBe(0);
      // Together, the app's budget is spent all but the interactive reserve.
      expect(t.ours + t.others).toBeGreaterThanOrEqual(0.85 * limit);
    }
    // The first window (the other client appears): reacting within it, nobody is refused either.
    expect(tallies[0]!.othersRefused + tallies[0]!.oursRefused).toBe(0);
    // Learning it costs one read and one write per window (the windows after the first), not per request.
    expect(extra.windowReads).toBeLessThanOrEqual(6);
    expect(extra.stateWrites).toBeLessThanOrEqual(6);
  });

  it('gives the budget back once the other client stops', async () => {
    const limit = 200;
    const { tallies, budgets, describe } = await simulate({
      workspace: 'ws-share-stop',
      limit,
      windows: 8,
      // Spends 40% in windows 0-3, then nothing.
      others: (w) => (w < 4 ? steady40(limit)() : 0),
      latencyMs: 120,
    });
    expect(budgets[3]).toBeLessThanOrEqual(0.52 * limit);
    // Within two windows of the stop the whole bulk share is back.
    expect(budgets[6]).toBe(0.9 * limit);
    expect(tallies[7]!.granted).toBeGreaterThanOrEqual(0.88 * limit);
    expect(await describe()).toMatchObject({ others: 0, budget: 0.9 * limit });
    for (const t of tallies) expect(t.othersRefused + t.oursRefused).toBe(0);
  });

  it('does not take its own requests in flight for another client', async () => {
    const limit = 500;
    // Alone, two governors (two worker processes) sharing the budget, and a long latency: up to
    // ~40 granted requests not yet counted by Intercom at any time, and answers arriving after
    // their window ended.
    const { tallies, budgets, extra, describe } = await simulate({
      workspace: 'ws-share-alone',
      limit,
      windows: 5,
      others: () => 0,
      latencyMs: 450,
      governors: 2,
    });
    for (const b of budgets) expect(b).toBe(0.9 * limit);
    for (const t of tallies.slice(1)) expect(t.granted).toBe(0.9 * limit);
    expect((await describe()).others).toBe(0);
    // Nothing measured, nothing written.
    expect(extra.stateWrites).toBe(0);
  });
});
