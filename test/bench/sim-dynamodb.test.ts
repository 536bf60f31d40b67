/**
 * The capacity simulation's DynamoDB stand-in (bench/sim/dynamodb.ts): the expressions the job store
 * and the governor send mean what they mean on DynamoDB, and concurrent conditional writes on one
 * record lose as they would.
 */
import { describe, expect, it } from '@jest/globals';
import { applyUpdate, evaluateCondition, MemoryDynamo } from '../../bench/sim/dynamodb.ts';
import { JobStore } from '../../lib/bulk/job-store.ts';
import { RateGovernor } from '../../lib/governor/rate-governor.ts';

describe('the simulation DynamoDB stand-in', () => {
  it('evaluates conditions as DynamoDB does: a comparison with a missing attribute is false', () => {
    const names = { '#used': 'used', '#s': 'state', '#r': 'retry', '#h': 'holder' };
    const values = { ':most': 5, ':q': 'queued', ':h': 'me' };
    expect(evaluateCondition('NOT #used > :most', {}, names, values)).toBe(true);
    expect(evaluateCondition('NOT #used > :most', { used: 6 }, names, values)).toBe(false);
    expect(evaluateCondition('NOT #used > :most', { used: 5 }, names, values)).toBe(true);
    expect(evaluateCondition('attribute_not_exists(#s) OR #s = :q', { state: 'queued' }, names, values)).toBe(
      true,
    );
    expect(evaluateCondition('attribute_not_exists(#s) OR #s = :q', { state: 'done' }, names, values)).toBe(
      false,
    );
    expect(
      evaluateCondition(
        '#r.#h = :h AND (#s = :q)',
        { retry: { holder: 'me' }, state: 'queued' },
        names,
        values,
      ),
    ).toBe(true);
    expect(() => evaluateCondition('#nope = :q', {}, names, values)).toThrow('ExpressionAttributeNames');
  });

  it('applies SET (if_not_exists, nested paths), ADD and REMOVE from the item as it was', () => {
    const item: Record<string, unknown> = {
      pk: 'a',
      used: 2,
      lease: 9,
      retry: { holder: 'x', leaseUntil: 1 },
    };
    applyUpdate(
      'ADD #used :n, #j :n SET #c = if_not_exists(#c, :none), #r.#l = :l REMOVE #lease',
      item,
      {
        '#used': 'used',
        '#j': 'job_1',
        '#c': 'counted',
        '#r': 'retry',
        '#l': 'leaseUntil',
        '#lease': 'lease',
      },
      { ':n': 3, ':none': 'none', ':l': 42 },
    );
    expect(item).toEqual({
      pk: 'a',
      used: 5,
      job_1: 3,
      counted: 'none',
      retry: { holder: 'x', leaseUntil: 42 },
    });
  });

  it('lets concurrent governor takes race on the window record without overspending it', async () => {
    const db = new MemoryDynamo({ minMs: 1, maxMs: 3 });
    let clock = 1_000_000;
    const governor = new RateGovernor(db.asDocumentClient(), {
      table: 'rate',
      defaultLimit: 100,
      windowSeconds: 10,
      reserveFraction: 0,
      leadMs: 10_000,
      now: () => clock,
      sleep: async () => {
        clock += 1;
      },
    });
    const results = await Promise.all(
      Array.from({ length: 30 }, () => governor.acquire('ws', clock + 50, 5, { job: 5 })),
    );
    const granted = results.filter((r) => r.ok).length;
    const window = db.scan('rate').find((item) => String(item.sk).startsWith('window#'))!;
    // 100 slots in the window: 20 takes of 5, and the others refused at the record, never over.
    expect(window.used).toBe(granted * 5);
    expect(window.used).toBeLessThanOrEqual(100);
    expect(db.stats.conditionFailures.window).toBeGreaterThan(0);
  });

  it('runs the job store: one claim wins, a finished item is done', async () => {
    const db = new MemoryDynamo({ minMs: 0, maxMs: 1 });
    const store = new JobStore(db.asDocumentClient(), 'jobs', 14);
    const context = { operation: 'create_update_user', workspace: 'ws' };
    const [a, b] = await Promise.all([
      store.claim('j', 0, 1, 5_000, 1_000, context),
      store.claim('j', 0, 1, 5_000, 1_000, context),
    ]);
    expect([a.kind, b.kind].sort()).toEqual(['busy', 'claimed']);
    expect(await store.finish('j', 0, 1, { state: 'succeeded' }, 1_100)).toBe(true);
    expect((await store.claim('j', 0, 1, 9_000, 1_200, context, 0, false)).kind).toBe('done');
    expect(await store.finish('j', 0, 1, { state: 'succeeded' }, 1_300)).toBe(false);
  });
});
