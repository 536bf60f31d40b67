import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { SEED_COUNTS } from '../../lib/sandbox/seed.ts';
import { type Sandbox, SandboxConfigError } from '../../lib/sandbox/server.ts';
import { call, start, TOKEN } from './helpers.ts';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await start();
});
beforeEach(() => {
  sandbox.reset();
  sandbox.configure({ faults: null, rateLimit: { perWindow: 1667, windowSeconds: 10 } });
});
afterAll(async () => {
  await sandbox.close();
});

async function control(method: string, path: string, body?: unknown) {
  const res = await fetch(`${sandbox.url}/__sandbox/${path}`, {
    method,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

describe('control API', () => {
  it('reports health without a token', async () => {
    const res = await control('GET', 'health');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('resets to a seeded or an empty workspace; the app, admins and teams always remain', async () => {
    await call(sandbox, '/tags', { method: 'POST', body: { name: 'Extra' } });
    const empty = await control('POST', 'reset', { seed: false });
    expect(empty.status).toBe(200);
    expect(sandbox.stats().objects).toEqual({
      users: 0,
      leads: 0,
      visitors: 0,
      companies: 0,
      conversations: 0,
      tags: 0,
      notes: 0,
      events: 0,
      admins: 5,
      teams: 2,
      segments: 0,
    });
    expect((await call(sandbox, '/me')).body.app.id_code).toEqual(expect.any(String));

    const seeded = await control('POST', 'reset', { seed: true });
    expect(seeded.body.objects).toMatchObject({
      users: SEED_COUNTS.users,
      leads: SEED_COUNTS.leads,
      tags: 5,
    });
    expect((await control('POST', 'reset')).body.seed).toBe(true);
    expect((await control('POST', 'reset', { seed: 'no' })).status).toBe(400);
  });

  it('gives the same ids after every seeded reset', async () => {
    const before = (await call(sandbox, '/users?per_page=5')).body.users.map((u: any) => u.id);
    await control('POST', 'reset', { seed: true });
    expect((await call(sandbox, '/users?per_page=5')).body.users.map((u: any) => u.id)).toEqual(before);
  });

  it('applies any subset of config and returns the effective config', async () => {
    const res = await control('PUT', 'config', { rateLimit: { perWindow: 167, windowSeconds: 10 } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      rateLimit: { perWindow: 167, windowSeconds: 10 },
      faults: null,
      defaultVersion: '1.4',
      latency: null,
    });
    const faults = await control('PUT', 'config', {
      faults: {
        rates: { '500': 0.1, '503': 0, '429': 0.05, reset: 0.02, stall: 0.01 },
        stallMs: 3000,
        seed: 42,
      },
    });
    expect(faults.body.rateLimit.perWindow).toBe(167);
    expect(faults.body.faults).toEqual({
      rates: { '500': 0.1, '503': 0, '429': 0.05, reset: 0.02, stall: 0.01 },
      stallMs: 3000,
      seed: 42,
    });
    expect((await control('PUT', 'config', { faults: null })).body.faults).toBeNull();
    expect((await control('GET', 'config')).body.faults).toBeNull();
    expect((await call(sandbox, '/tags')).headers.get('x-ratelimit-limit')).toBe('167');
  });

  it.each([
    ['not an object', [1]],
    ['an unknown setting', { colour: 'red' }],
    ['a zero budget', { rateLimit: { perWindow: 0, windowSeconds: 10 } }],
    ['a missing windowSeconds', { rateLimit: { perWindow: 5 } }],
    ['an unknown fault', { faults: { rates: { '418': 0.5 } } }],
    ['a rate above 1', { faults: { rates: { '500': 2 } } }],
    ['rates adding up to more than 1', { faults: { rates: { '500': 0.6, '503': 0.6 } } }],
    ['a negative stallMs', { faults: { stallMs: -1 } }],
    ['a fractional seed', { faults: { seed: 1.5 } }],
    ['an unknown version', { defaultVersion: '2.0' }],
  ])('rejects %s with 400 and changes nothing', async (_label, body) => {
    const res = await control('PUT', 'config', body);
    expect(res.status).toBe(400);
    expect(res.body.type).toBe('error.list');
    expect(res.body.problems.length).toBeGreaterThan(0);
    expect((await control('GET', 'config')).body.rateLimit.perWindow).toBe(1667);
  });

  it('rejects a body that is not JSON', async () => {
    expect((await control('PUT', 'config', '{nope')).status).toBe(400);
  });

  it('throws SandboxConfigError from configure()', () => {
    expect(() => sandbox.configure({ rateLimit: { perWindow: -1, windowSeconds: 1 } })).toThrow(
      SandboxConfigError,
    );
  });

  it('counts requests by route template, responses by status, faults and objects', async () => {
    const users = (await call(sandbox, '/users?per_page=2')).body.users;
    await call(sandbox, `/users/${users[0].id}`);
    await call(sandbox, `/users/${users[1].id}`);
    await call(sandbox, '/users/ffffffffffffffffffffffff');
    await call(sandbox, '/nowhere');
    await call(sandbox, '/tags', { method: 'POST', body: { name: 'Counted' } });
    sandbox.configure({ faults: { rates: { '503': 1 } } });
    await call(sandbox, '/tags');
    const stats = (await control('GET', 'stats')).body;
    expect(stats.requests).toEqual({
      'GET /users': 1,
      'GET /users/{id}': 3,
      'GET (unmatched)': 1,
      'POST /tags': 1,
      'GET /tags': 1,
    });
    expect(stats.responses).toEqual({ '200': 4, '404': 2, '503': 1 });
    expect(stats.faults).toEqual({ '503': 1 });
    expect(stats.objects.tags).toBe(6);
    expect(stats).toEqual(sandbox.stats());
  });

  it('records the last API requests with their wire format, oldest first', async () => {
    await call(sandbox, '/users?user_id=u-0001', { headers: { 'x-extra': 'yes' } });
    await call(sandbox, '/users', { method: 'POST', body: { user_id: 'rec', custom_attributes: { a: 1 } } });
    await control('GET', 'stats');
    const log = (await control('GET', 'requests')).body.requests;
    expect(log).toHaveLength(2);
    expect(log[0]).toMatchObject({
      method: 'GET',
      path: '/users',
      query: { user_id: 'u-0001' },
      status: 200,
      headers: { authorization: `Bearer ${TOKEN}`, 'intercom-version': '1.4', 'x-extra': 'yes' },
    });
    expect(log[0].body).toBeUndefined();
    expect(log[1]).toMatchObject({
      method: 'POST',
      body: { user_id: 'rec', custom_attributes: { a: 1 } },
      query: {},
    });
    expect(sandbox.requests()).toEqual(log);
  });

  it('keeps only the last 1,000 requests, and reset clears them', async () => {
    await Promise.all(Array.from({ length: 1005 }, (_, i) => call(sandbox, `/tags?n=${i}`)));
    const log = sandbox.requests();
    expect(log).toHaveLength(1000);
    sandbox.reset();
    expect(sandbox.requests()).toEqual([]);
    expect(sandbox.stats().requests).toEqual({});
  });

  it('creates visitors, which Intercom 1.x has no API for', async () => {
    const res = await control('POST', 'visitors', {
      name: 'Browsing',
      custom_attributes: { page: '/pricing' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      type: 'visitor',
      anonymous: true,
      name: 'Browsing',
      custom_attributes: { page: '/pricing' },
    });
    expect(res.body.id).toMatch(/^[0-9a-f]{24}$/);
    expect((await call(sandbox, `/visitors?user_id=${res.body.user_id}`)).body.id).toBe(res.body.id);
    expect((await control('POST', 'visitors')).body.type).toBe('visitor');
    expect((await control('POST', 'visitors', { email: 'v@example.com' })).status).toBe(400);
    expect((await control('POST', 'visitors', { name: 5 })).status).toBe(400);
    expect(sandbox.stats().objects.visitors).toBe(SEED_COUNTS.visitors + 2);
  });

  it('answers unknown control routes with 404 and wrong methods with 405', async () => {
    expect((await control('GET', 'nothing')).status).toBe(404);
    expect((await control('PUT', 'webhooks', { url: 'http://x' })).status).toBe(405);
    expect((await control('DELETE', 'stats')).status).toBe(405);
  });
});
