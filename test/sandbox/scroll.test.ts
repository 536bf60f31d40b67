import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { SEED_COUNTS } from '../../lib/sandbox/seed.ts';
import type { Sandbox } from '../../lib/sandbox/server.ts';
import { call, clock, errorCode, start } from './helpers.ts';

const time = clock();
let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await start({ now: time.now });
});
beforeEach(() => {
  sandbox.reset();
  sandbox.configure({ faults: null });
});
afterAll(async () => {
  await sandbox.close();
});

const scroll = (path: string, param?: string) =>
  call(sandbox, param ? `${path}?scroll_param=${encodeURIComponent(param)}` : path);

describe('scroll', () => {
  it('serves 100 users per call, then an empty page that closes the scroll', async () => {
    const first = await scroll('/users/scroll');
    expect(first.body.type).toBe('user.list');
    expect(first.body.users).toHaveLength(100);
    expect(typeof first.body.scroll_param).toBe('string');
    const second = await scroll('/users/scroll', first.body.scroll_param);
    expect(second.body.users).toHaveLength(SEED_COUNTS.users - 100);
    const end = await scroll('/users/scroll', second.body.scroll_param);
    expect(end.body.users).toEqual([]);
    const ids = new Set([...first.body.users, ...second.body.users].map((u: any) => u.id));
    expect(ids.size).toBe(SEED_COUNTS.users);

    // Closed: the param is gone and a new scroll may open.
    expect((await scroll('/users/scroll', first.body.scroll_param)).status).toBe(404);
    expect((await scroll('/users/scroll')).status).toBe(200);
  });

  it('scrolls leads under contacts and companies under companies', async () => {
    const leads = await scroll('/contacts/scroll');
    expect(leads.body.type).toBe('contact.list');
    expect(leads.body.contacts).toHaveLength(SEED_COUNTS.leads);
    expect((await scroll('/contacts/scroll', leads.body.scroll_param)).body.contacts).toEqual([]);
    const companies = await scroll('/companies/scroll');
    expect(companies.body.type).toBe('company.list');
    expect(companies.body.companies).toHaveLength(SEED_COUNTS.companies);
  });

  it('allows one open scroll per app: a second first call is 400 scroll_exists', async () => {
    const open = await scroll('/users/scroll');
    const again = await scroll('/users/scroll');
    expect(again.status).toBe(400);
    expect(errorCode(again)).toBe('scroll_exists');
    expect(errorCode(await scroll('/companies/scroll'))).toBe('scroll_exists');
    // The open scroll still works, and its param does not continue another resource's scroll.
    expect((await scroll('/contacts/scroll', open.body.scroll_param)).status).toBe(404);
    expect((await scroll('/users/scroll', open.body.scroll_param)).body.users).toHaveLength(50);
  });

  it('expires a scroll_param after a minute idle (injected clock)', async () => {
    const first = await scroll('/users/scroll');
    time.advance(59_000);
    const second = await scroll('/users/scroll', first.body.scroll_param);
    expect(second.status).toBe(200);
    time.advance(60_001);
    const expired = await scroll('/users/scroll', first.body.scroll_param);
    expect(expired.status).toBe(404);
    expect(errorCode(expired)).toBe('not_found');
    expect(expired.body.errors[0].message).toMatch(/expired/);
    expect((await scroll('/users/scroll')).status).toBe(200);
  });

  it('closes the scroll when a 500 is injected mid-scroll, so it must restart', async () => {
    const first = await scroll('/users/scroll');
    sandbox.configure({ faults: { rates: { '500': 1 }, seed: 7 } });
    const failed = await scroll('/users/scroll', first.body.scroll_param);
    expect(failed.status).toBe(500);
    expect(errorCode(failed)).toBe('server_error');
    sandbox.configure({ faults: null });
    expect((await scroll('/users/scroll', first.body.scroll_param)).status).toBe(404);
    const restarted = await scroll('/users/scroll');
    expect(restarted.status).toBe(200);
    expect(restarted.body.users).toHaveLength(100);
  });

  it('skips records deleted since the scroll opened', async () => {
    const first = await scroll('/users/scroll');
    const served = new Set(first.body.users.map((u: any) => u.id));
    const all = [
      ...(await call(sandbox, '/users?per_page=60&page=1')).body.users,
      ...(await call(sandbox, '/users?per_page=60&page=2')).body.users,
      ...(await call(sandbox, '/users?per_page=60&page=3')).body.users,
    ];
    const later = all.find((u: any) => !served.has(u.id));
    await call(sandbox, `/users/${later.id}`, { method: 'DELETE' });
    const second = await scroll('/users/scroll', first.body.scroll_param);
    expect(second.body.users).toHaveLength(SEED_COUNTS.users - 100 - 1);
    expect(second.body.users.map((u: any) => u.id)).not.toContain(later.id);
  });
});
