/** The rate governor against the DynamoDB emulator: a shared, evenly spent budget per workspace. */

import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RateGovernor } from '../../lib/bulk/governor.ts';
import { createTableInput, RATE_TABLE } from '../../lib/bulk/tables.ts';
import { createTables, type Emulators, startEmulators } from '../../lib/local/emulators.ts';

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
});
