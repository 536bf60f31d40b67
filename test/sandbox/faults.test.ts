import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { Sandbox } from '../../lib/sandbox/server.ts';
import { call, errorCode, start } from './helpers.ts';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await start({ seed: false });
});
beforeEach(() => {
  sandbox.reset({ seed: false });
  sandbox.configure({ faults: null });
});
afterAll(async () => {
  await sandbox.close();
});

/** The outcome of one request: its status, or 'reset' when the connection was dropped. */
async function outcome(
  path = '/tags',
  init: { method?: string; body?: unknown } = {},
): Promise<number | 'reset'> {
  try {
    return (await call(sandbox, path, init)).status;
  } catch {
    return 'reset';
  }
}

describe('faults', () => {
  it.each([
    ['500', 500, 'server_error'],
    ['503', 503, 'service_unavailable'],
    ['429', 429, 'rate_limit_exceeded'],
  ] as const)('injects %s as an error.list with its code', async (kind, status, code) => {
    sandbox.configure({ faults: { rates: { [kind]: 1 } } });
    const res = await call(sandbox, '/tags');
    expect(res.status).toBe(status);
    expect(errorCode(res)).toBe(code);
    expect(res.headers.get('x-request-id')).toBe(res.body.request_id);
    expect(res.headers.get('x-ratelimit-limit')).not.toBeNull();
    if (kind === '429') expect(res.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(sandbox.stats().faults).toEqual({ [kind]: 1 });
  });

  it('injects faults before the request has any effect', async () => {
    sandbox.configure({ faults: { rates: { '503': 1 } } });
    expect(await outcome('/tags', { method: 'POST', body: { name: 'Never' } })).toBe(503);
    sandbox.configure({ faults: null });
    expect((await call(sandbox, '/tags')).body.tags).toEqual([]);
  });

  it('drops the connection without a response for reset', async () => {
    sandbox.configure({ faults: { rates: { reset: 1 } } });
    expect(await outcome('/tags', { method: 'POST', body: { name: 'Never' } })).toBe('reset');
    sandbox.configure({ faults: null });
    expect((await call(sandbox, '/tags')).body.tags).toEqual([]);
    const [dropped] = sandbox.requests();
    expect(dropped).toMatchObject({ method: 'POST', path: '/tags', status: 0, body: { name: 'Never' } });
    expect(sandbox.stats().faults).toEqual({ reset: 1 });
  });

  it('stalls for stallMs, then processes the request normally', async () => {
    sandbox.configure({ faults: { rates: { stall: 1 }, stallMs: 1000 } });
    const pending = call(sandbox, '/tags', { method: 'POST', body: { name: 'Slow' } });
    // While stalled, the fault is counted but the request has had no effect and no response yet.
    while (!sandbox.stats().faults.stall) await new Promise((resolve) => setImmediate(resolve));
    expect(sandbox.stats().responses).toEqual({});
    expect(sandbox.stats().objects.tags).toBe(0);
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.body.name).toBe('Slow');
    expect(sandbox.stats().objects.tags).toBe(1);
  });

  it('draws the same faults from the same seed, and other faults from another', async () => {
    const run = async (seed: number) => {
      sandbox.configure({ faults: { rates: { '500': 0.3, '503': 0.2, '429': 0.1 }, seed } });
      const statuses: Array<number | 'reset'> = [];
      for (let i = 0; i < 30; i++) statuses.push(await outcome());
      return statuses;
    };
    const a = await run(42);
    const b = await run(42);
    const c = await run(43);
    expect(a).toEqual(b);
    expect(c).not.toEqual(a);
    expect(new Set(a)).toEqual(new Set([200, 500, 503, 429]));
  });

  it('never applies faults to the control API', async () => {
    sandbox.configure({ faults: { rates: { '500': 1 } } });
    for (let i = 0; i < 5; i++) expect((await fetch(`${sandbox.url}/__sandbox/stats`)).status).toBe(200);
  });
});
