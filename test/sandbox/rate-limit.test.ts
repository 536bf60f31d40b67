import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { Sandbox } from '../../lib/sandbox/server.ts';
import { call, clock, start } from './helpers.ts';

// 12:00:03 UTC: three seconds into a 10-second window.
const time = clock(Date.UTC(2026, 0, 15, 12, 0, 3));
let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await start({ now: time.now, rateLimit: { perWindow: 5, windowSeconds: 10 } });
});
beforeEach(() => {
  sandbox.reset();
  time.state.now = Date.UTC(2026, 0, 15, 12, 0, 3);
});
afterAll(async () => {
  await sandbox.close();
});

const windowEnd = Date.UTC(2026, 0, 15, 12, 0, 10) / 1000;

describe('rate limit', () => {
  it('counts down X-RateLimit-Remaining with the window end in X-RateLimit-Reset', async () => {
    for (let i = 1; i <= 5; i++) {
      const res = await call(sandbox, '/tags');
      expect(res.status).toBe(200);
      expect(res.headers.get('x-ratelimit-limit')).toBe('5');
      expect(res.headers.get('x-ratelimit-remaining')).toBe(String(5 - i));
      expect(res.headers.get('x-ratelimit-reset')).toBe(String(windowEnd));
    }
  });

  it('answers 429 rate_limit_exceeded once the budget is spent, until the next window', async () => {
    for (let i = 0; i < 5; i++) await call(sandbox, '/tags');
    const limited = await call(sandbox, '/tags');
    expect(limited.status).toBe(429);
    // Intercom's wording (intercom-node 2.x test/errors.js), with the sandbox's configured numbers.
    expect(limited.body.errors).toEqual([
      { code: 'rate_limit_exceeded', message: 'Exceeded rate limit of 5 in 10_seconds' },
    ]);
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(limited.headers.get('x-ratelimit-reset')).toBe(String(windowEnd));

    time.advance(6_999); // 12:00:09.999, still the same window
    expect((await call(sandbox, '/tags')).status).toBe(429);
    time.advance(1); // 12:00:10: a new window
    const fresh = await call(sandbox, '/tags');
    expect(fresh.status).toBe(200);
    expect(fresh.headers.get('x-ratelimit-remaining')).toBe('4');
    expect(fresh.headers.get('x-ratelimit-reset')).toBe(String(windowEnd + 10));
  });

  it('does not spend budget on 401s, and sends no X-RateLimit headers with them', async () => {
    for (const auth of [null, 'Bearer some-other-token']) {
      const denied = await call(sandbox, '/tags', { auth });
      expect(denied.status).toBe(401);
      for (const name of ['x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'])
        expect(denied.headers.get(name)).toBeNull();
      expect(denied.headers.get('x-request-id')).toMatch(/^[0-9a-v]{20}$/);
    }
    expect((await call(sandbox, '/tags')).headers.get('x-ratelimit-remaining')).toBe('4');
  });

  it('does not rate-limit the control API', async () => {
    for (let i = 0; i < 8; i++) expect((await fetch(`${sandbox.url}/__sandbox/health`)).status).toBe(200);
    expect((await call(sandbox, '/tags')).status).toBe(200);
  });

  it('takes a new budget from PUT /__sandbox/config', async () => {
    sandbox.configure({ rateLimit: { perWindow: 1, windowSeconds: 60 } });
    try {
      const first = await call(sandbox, '/tags');
      expect(first.headers.get('x-ratelimit-reset')).toBe(String(Date.UTC(2026, 0, 15, 12, 1, 0) / 1000));
      expect((await call(sandbox, '/tags')).status).toBe(429);
    } finally {
      sandbox.configure({ rateLimit: { perWindow: 5, windowSeconds: 10 } });
    }
  });
});
