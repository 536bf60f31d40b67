import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { latencyFromEnv, type Sandbox, SandboxConfigError, startSandbox } from '../../lib/sandbox/server.ts';
import { call, clock, errorCode, start } from './helpers.ts';

/**
 * Node's timers count from the event loop's cached clock, which can lag the wall clock by a
 * millisecond; lower bounds on measured delays allow for that and nothing more.
 */
const TIMER_SLACK_MS = 2;

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await start({ seed: false });
});
beforeEach(() => {
  sandbox.reset({ seed: false });
  sandbox.configure({ latency: null, faults: null });
});
afterAll(async () => {
  await sandbox.close();
});

async function putConfig(body: unknown) {
  const res = await fetch(`${sandbox.url}/__sandbox/config`, { method: 'PUT', body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as any };
}

async function getConfig() {
  return (await (await fetch(`${sandbox.url}/__sandbox/config`)).json()) as any;
}

/** A call with its client-side duration; `reset` when the connection was dropped. */
async function timed(
  target: Sandbox,
  path: string,
  options: Parameters<typeof call>[2] = {},
): Promise<{ status: number | 'reset'; ms: number; code?: string | undefined }> {
  const t0 = performance.now();
  try {
    const res = await call(target, path, options);
    return { status: res.status, ms: performance.now() - t0, code: errorCode(res) };
  } catch {
    return { status: 'reset', ms: performance.now() - t0 };
  }
}

/** Polls `done` every tick; fails (rather than spinning on) after 10 s. */
async function until(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('latency config', () => {
  it('is off by default, applied by PUT /__sandbox/config and shown by GET', async () => {
    expect((await getConfig()).latency).toBeNull();
    const res = await putConfig({
      latency: { baseMs: 200, jitterMs: 50, routes: { 'POST /users': { baseMs: 300 } } },
    });
    expect(res.status).toBe(200);
    const expected = {
      baseMs: 200,
      jitterMs: 50,
      routes: { 'POST /users': { baseMs: 300, jitterMs: 0 } },
    };
    expect(res.body.latency).toEqual(expected);
    expect((await getConfig()).latency).toEqual(expected);
    expect(sandbox.config().latency).toEqual(expected);
    // Other settings are left as they were.
    expect(res.body.rateLimit).toEqual({ perWindow: 1667, windowSeconds: 10 });
  });

  const notARoute =
    'is not a route: use "<METHOD> <route template>" as GET /__sandbox/stats counts requests, e.g. "POST /users" or "GET /users/{id}"';
  it.each([
    ['a number', 5, 'latency must be an object or null'],
    ['an array', [200], 'latency must be an object or null'],
    ['no baseMs', { jitterMs: 5 }, 'latency.baseMs is required'],
    ['a negative baseMs', { baseMs: -1 }, 'latency.baseMs must be an integer from 0 to 60000'],
    ['a fractional baseMs', { baseMs: 1.5 }, 'latency.baseMs must be an integer from 0 to 60000'],
    ['a baseMs in a string', { baseMs: '200' }, 'latency.baseMs must be an integer from 0 to 60000'],
    ['a baseMs above 60000', { baseMs: 60_001 }, 'latency.baseMs must be an integer from 0 to 60000'],
    [
      'a negative jitterMs',
      { baseMs: 10, jitterMs: -1 },
      'latency.jitterMs must be an integer from 0 to 60000',
    ],
    [
      'a jitter above the base',
      { baseMs: 100, jitterMs: 101 },
      'latency.jitterMs must not exceed latency.baseMs',
    ],
    [
      'a base plus jitter above 60000',
      { baseMs: 60_000, jitterMs: 1 },
      'latency.baseMs + latency.jitterMs must not exceed 60000',
    ],
    ['an unknown setting', { baseMs: 1, seed: 3 }, 'latency.seed is not a setting'],
    [
      'routes that are not an object',
      { baseMs: 1, routes: ['POST /users'] },
      'latency.routes must be an object',
    ],
    [
      'a lower-case method',
      { baseMs: 1, routes: { 'post /users': { baseMs: 2 } } },
      `latency.routes["post /users"] ${notARoute}`,
    ],
    [
      'a path instead of a template',
      { baseMs: 1, routes: { 'GET /users/5f0c': { baseMs: 2 } } },
      `latency.routes["GET /users/5f0c"] ${notARoute}`,
    ],
    [
      'no method',
      { baseMs: 1, routes: { '/users': { baseMs: 2 } } },
      `latency.routes["/users"] ${notARoute}`,
    ],
    [
      'a method the route does not have',
      { baseMs: 1, routes: { 'PATCH /users': { baseMs: 2 } } },
      `latency.routes["PATCH /users"] ${notARoute}`,
    ],
    [
      'an unknown route',
      { baseMs: 1, routes: { 'GET /nowhere': { baseMs: 2 } } },
      `latency.routes["GET /nowhere"] ${notARoute}`,
    ],
    [
      'a route given a bare number',
      { baseMs: 1, routes: { 'POST /users': 300 } },
      'latency.routes["POST /users"] must be an object with baseMs and optionally jitterMs',
    ],
    [
      'a route with a negative baseMs',
      { baseMs: 1, routes: { 'POST /users': { baseMs: -5 } } },
      'latency.routes["POST /users"].baseMs must be an integer from 0 to 60000',
    ],
    [
      'a route with a jitter above its base',
      { baseMs: 1, routes: { 'GET /users/{id}': { baseMs: 10, jitterMs: 20 } } },
      'latency.routes["GET /users/{id}"].jitterMs must not exceed latency.routes["GET /users/{id}"].baseMs',
    ],
    [
      'a route with its own routes',
      { baseMs: 1, routes: { 'POST /users': { baseMs: 10, routes: {} } } },
      'latency.routes["POST /users"].routes is not a setting',
    ],
  ])('rejects %s with 400 parameter_invalid and changes nothing', async (_label, latency, problem) => {
    sandbox.configure({ latency: { baseMs: 7 } });
    const res = await putConfig({ latency });
    expect(res.status).toBe(400);
    expect(res.body.type).toBe('error.list');
    expect(res.body.errors[0].code).toBe('parameter_invalid');
    expect(res.body.problems).toEqual([problem]);
    expect((await getConfig()).latency).toEqual({ baseMs: 7, jitterMs: 0, routes: {} });
  });

  it('throws SandboxConfigError from configure() and from startSandbox()', async () => {
    expect(() => sandbox.configure({ latency: { baseMs: 10, jitterMs: 11 } })).toThrow(SandboxConfigError);
    await expect(startSandbox({ quiet: true, latency: { baseMs: -1 } })).rejects.toThrow(SandboxConfigError);
  });

  it('takes a latency from startSandbox() options', async () => {
    const other = await start({ seed: false, latency: { baseMs: 40, jitterMs: 10 } });
    try {
      expect(other.config().latency).toEqual({ baseMs: 40, jitterMs: 10, routes: {} });
      await call(other, '/tags');
      const [entry] = other.requests();
      expect(entry!.delayMs).toBeGreaterThanOrEqual(30);
      expect(entry!.delayMs).toBeLessThanOrEqual(50);
    } finally {
      await other.close();
    }
  });
});

describe('latencyFromEnv', () => {
  it('is undefined when neither variable is set (or both are empty)', () => {
    expect(latencyFromEnv({})).toBeUndefined();
    expect(latencyFromEnv({ SANDBOX_LATENCY_MS: '', SANDBOX_JITTER_MS: ' ' })).toBeUndefined();
  });

  it('reads SANDBOX_LATENCY_MS and SANDBOX_JITTER_MS (jitter 0 when unset)', () => {
    expect(latencyFromEnv({ SANDBOX_LATENCY_MS: '200', SANDBOX_JITTER_MS: '50' })).toEqual({
      baseMs: 200,
      jitterMs: 50,
    });
    expect(latencyFromEnv({ SANDBOX_LATENCY_MS: ' 80 ' })).toEqual({ baseMs: 80, jitterMs: 0 });
  });

  it.each([
    [{ SANDBOX_LATENCY_MS: 'fast' }, 'SANDBOX_LATENCY_MS must be a whole number of milliseconds, not "fast"'],
    [{ SANDBOX_LATENCY_MS: '-5' }, 'SANDBOX_LATENCY_MS must be a whole number of milliseconds, not "-5"'],
    [
      { SANDBOX_LATENCY_MS: '100', SANDBOX_JITTER_MS: '2.5' },
      'SANDBOX_JITTER_MS must be a whole number of milliseconds, not "2.5"',
    ],
    [{ SANDBOX_LATENCY_MS: '60001' }, 'SANDBOX_LATENCY_MS must be an integer from 0 to 60000'],
    [{ SANDBOX_JITTER_MS: '10' }, 'SANDBOX_JITTER_MS must not exceed SANDBOX_LATENCY_MS'],
    [
      { SANDBOX_LATENCY_MS: '100', SANDBOX_JITTER_MS: '150' },
      'SANDBOX_JITTER_MS must not exceed SANDBOX_LATENCY_MS',
    ],
  ])('refuses %j', (env, problem) => {
    let thrown: unknown;
    try {
      latencyFromEnv(env);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SandboxConfigError);
    expect((thrown as SandboxConfigError).problems).toEqual([problem]);
  });
});

describe('latency', () => {
  it('holds every answer: successes, 404s, 401s, 400s and injected faults', async () => {
    sandbox.configure({ latency: { baseMs: 150, jitterMs: 0 } });
    const results = await Promise.all([
      timed(sandbox, '/tags'),
      timed(sandbox, '/nowhere'),
      timed(sandbox, '/tags', { auth: null }),
      timed(sandbox, '/tags', { version: '9.9' }),
    ]);
    expect(results.map((r) => [r.status, r.code])).toEqual([
      [200, undefined],
      [404, 'not_found'],
      [401, 'unauthorized'],
      [400, 'intercom_version_invalid'],
    ]);
    for (const r of results) expect(r.ms).toBeGreaterThanOrEqual(150 - TIMER_SLACK_MS);

    sandbox.configure({ faults: { rates: { '503': 1 } } });
    const fault = await timed(sandbox, '/tags');
    expect(fault.status).toBe(503);
    expect(fault.ms).toBeGreaterThanOrEqual(150 - TIMER_SLACK_MS);

    const log = sandbox.requests();
    expect(log.map((r) => r.status).sort()).toEqual([200, 400, 401, 404, 503]);
    for (const entry of log) {
      expect(entry.delayMs).toBe(150);
      expect(entry.answeredAt).toBeGreaterThanOrEqual(entry.receivedAt);
    }
  });

  it('holds a dropped connection (the reset fault) too', async () => {
    sandbox.configure({ latency: { baseMs: 150, jitterMs: 0 }, faults: { rates: { reset: 1 } } });
    const dropped = await timed(sandbox, '/tags', { method: 'POST', body: { name: 'Never' } });
    expect(dropped.status).toBe('reset');
    expect(dropped.ms).toBeGreaterThanOrEqual(150 - TIMER_SLACK_MS);
    expect(sandbox.requests()).toEqual([expect.objectContaining({ status: 0, delayMs: 150 })]);
  });

  it('draws each delay from baseMs - jitterMs to baseMs + jitterMs', async () => {
    sandbox.configure({ latency: { baseMs: 40, jitterMs: 20 } });
    const results = await Promise.all(Array.from({ length: 30 }, () => timed(sandbox, '/tags')));
    const delays = sandbox.requests().map((r) => r.delayMs);
    expect(delays).toHaveLength(30);
    for (const d of delays) {
      expect(Number.isInteger(d)).toBe(true);
      expect(d).toBeGreaterThanOrEqual(20);
      expect(d).toBeLessThanOrEqual(60);
    }
    // Uniform draws over 41 values: 30 of them are far from all alike.
    expect(new Set(delays).size).toBeGreaterThan(5);
    for (const r of results) expect(r.ms).toBeGreaterThanOrEqual(20 - TIMER_SLACK_MS);
  });

  it('gives a route its override and every other route the default', async () => {
    sandbox.configure({
      latency: {
        baseMs: 20,
        jitterMs: 0,
        routes: { 'POST /tags': { baseMs: 250, jitterMs: 0 }, 'GET /users/{id}': { baseMs: 120 } },
      },
    });
    const [created, listed, missingUser] = await Promise.all([
      timed(sandbox, '/tags', { method: 'POST', body: { name: 'Slow' } }),
      timed(sandbox, '/tags'),
      timed(sandbox, '/users/ffffffffffffffffffffffff'),
    ]);
    expect([created.status, listed.status, missingUser.status]).toEqual([200, 200, 404]);
    expect(created.ms).toBeGreaterThanOrEqual(250 - TIMER_SLACK_MS);
    expect(missingUser.ms).toBeGreaterThanOrEqual(120 - TIMER_SLACK_MS);
    const byRoute = Object.fromEntries(sandbox.requests().map((r) => [`${r.method} ${r.path}`, r.delayMs]));
    expect(byRoute).toEqual({
      'POST /tags': 250,
      'GET /tags': 20,
      'GET /users/ffffffffffffffffffffffff': 120,
    });
  });

  it('turns off with "latency": null', async () => {
    // Were it still on, this request would wait a minute and the test would time out.
    sandbox.configure({ latency: { baseMs: 60_000 } });
    const res = await putConfig({ latency: null });
    expect(res.status).toBe(200);
    expect(res.body.latency).toBeNull();
    expect((await getConfig()).latency).toBeNull();
    expect((await call(sandbox, '/tags')).status).toBe(200);
    expect(sandbox.requests()).toEqual([expect.objectContaining({ status: 200, delayMs: 0 })]);
  });

  it('does not hold the control API', async () => {
    sandbox.configure({ latency: { baseMs: 60_000 } });
    expect((await fetch(`${sandbox.url}/__sandbox/health`)).status).toBe(200);
    expect((await fetch(`${sandbox.url}/__sandbox/stats`)).status).toBe(200);
  });

  it('holds answers on timers: 10 concurrent requests are all held at once', async () => {
    sandbox.configure({ latency: { baseMs: 1000, jitterMs: 0 } });
    const pending = Array.from({ length: 10 }, (_, i) => timed(sandbox, `/tags?n=${i}`));
    // Held side by side: all ten at once (held one after another, or in a busy wait, never are).
    await until(() => sandbox.stats().answersHeld === 10, 'ten answers are held at once');
    expect(sandbox.stats().responses).toEqual({});
    const results = await Promise.all(pending);
    expect(sandbox.stats().answersHeld).toBe(0);
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    for (const r of results) expect(r.ms).toBeGreaterThanOrEqual(1000 - TIMER_SLACK_MS);
    const log = sandbox.requests();
    expect(log).toHaveLength(10);
    // Every request arrived before the first answer left.
    const lastArrival = Math.max(...log.map((r) => r.receivedAt));
    const firstAnswer = Math.min(...log.map((r) => r.answeredAt));
    expect(lastArrival).toBeLessThanOrEqual(firstAnswer);
    for (const entry of log) expect(entry.delayMs).toBe(1000);
  });
});

describe('latency and the rate limit', () => {
  const time = clock(Date.UTC(2026, 0, 15, 12, 0, 3));
  let limited: Sandbox;
  beforeAll(async () => {
    limited = await start({ seed: false, now: time.now, rateLimit: { perWindow: 3, windowSeconds: 10 } });
  });
  beforeEach(() => {
    limited.reset({ seed: false });
    limited.configure({ latency: null });
  });
  afterAll(async () => {
    await limited.close();
  });

  it('holds 429s too', async () => {
    for (let i = 0; i < 3; i++) expect((await call(limited, '/tags')).status).toBe(200);
    limited.configure({ latency: { baseMs: 200, jitterMs: 0 } });
    const limitedAnswer = await timed(limited, '/tags');
    expect(limitedAnswer.status).toBe(429);
    expect(limitedAnswer.code).toBe('rate_limit_exceeded');
    expect(limitedAnswer.ms).toBeGreaterThanOrEqual(200 - TIMER_SLACK_MS);
    expect(limited.requests().at(-1)).toMatchObject({ status: 429, delayMs: 200 });
  });

  it('counts a request and applies it when it arrives, not when its answer leaves', async () => {
    limited.configure({ latency: { baseMs: 800, jitterMs: 0 } });
    const pending = Array.from({ length: 4 }, (_, i) =>
      timed(limited, '/tags', { method: 'POST', body: { name: `Tag ${i}` } }),
    );
    // Wait until the three allowed requests have made their tags, or until an answer left.
    const arrived = () => limited.stats().objects.tags === 3 && limited.stats().requests['POST /tags'] === 4;
    await until(
      () => arrived() || Object.keys(limited.stats().responses).length > 0,
      'all four arrived or an answer left',
    );
    expect(limited.stats().responses).toEqual({});
    expect(limited.stats().objects.tags).toBe(3);
    expect(limited.stats().requests).toEqual({ 'POST /tags': 4 });

    const results = await Promise.all(pending);
    expect(results.map((r) => r.status).sort()).toEqual([200, 200, 200, 429]);
    for (const r of results) expect(r.ms).toBeGreaterThanOrEqual(800 - TIMER_SLACK_MS);
    expect(limited.stats().responses).toEqual({ '200': 3, '429': 1 });
    expect(limited.stats().objects.tags).toBe(3);
  });
});

describe('closing with answers held', () => {
  it('lets held answers leave at once instead of hanging', async () => {
    const held = await start({ seed: false, latency: { baseMs: 60_000 } });
    const pending = Array.from({ length: 3 }, (_, i) =>
      call(held, '/tags', { method: 'POST', body: { name: `Held ${i}` } }).then((res) => res.status),
    );
    // All three have had their effect and are waiting for their minute.
    try {
      await until(() => held.stats().objects.tags === 3, 'the three tags exist');
      expect(held.stats().responses).toEqual({});
    } finally {
      await held.close();
    }
    expect(await Promise.all(pending)).toEqual([200, 200, 200]);
    expect(held.requests().map((r) => r.delayMs)).toEqual([60_000, 60_000, 60_000]);
  });
});
