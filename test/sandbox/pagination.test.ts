import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SEED_COUNTS } from '../../lib/sandbox/seed.ts';
import type { Sandbox } from '../../lib/sandbox/server.ts';
import { call, clock, errorCode, start } from './helpers.ts';

const time = clock();
let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await start({ now: time.now });
});
afterAll(async () => {
  await sandbox.close();
});

describe('pages', () => {
  it('defaults to 50 per page and clamps per_page to 60', async () => {
    const first = await call(sandbox, '/users');
    expect(first.body.pages).toMatchObject({ type: 'pages', page: 1, per_page: 50, total_pages: 3 });
    expect(first.body.users).toHaveLength(50);
    expect(first.body.total_count).toBe(SEED_COUNTS.users);
    const clamped = await call(sandbox, '/users?per_page=500');
    expect(clamped.body.pages.per_page).toBe(60);
    expect(clamped.body.users).toHaveLength(60);
  });

  it('builds pages.next from the Host header and follows it to the end', async () => {
    let url: string | null = `${sandbox.url}/users?per_page=40&order=asc&sort=created_at`;
    const seen: string[] = [];
    const pageNumbers: number[] = [];
    while (url) {
      expect(url.startsWith(sandbox.url)).toBe(true);
      const res = await call(sandbox, url);
      expect(res.status).toBe(200);
      seen.push(...res.body.users.map((u: any) => u.id));
      pageNumbers.push(res.body.pages.page);
      url = res.body.pages.next;
    }
    expect(pageNumbers).toEqual([1, 2, 3, 4]);
    expect(new Set(seen).size).toBe(SEED_COUNTS.users);
  });

  it('keeps the other query parameters in pages.next', async () => {
    const res = await call(sandbox, '/users?per_page=10&sort=updated_at&order=asc');
    const next = new URL(res.body.pages.next);
    expect(Object.fromEntries(next.searchParams)).toEqual({
      sort: 'updated_at',
      order: 'asc',
      page: '2',
      per_page: '10',
    });
  });

  it('answers pages past the end with no items and next null', async () => {
    const res = await call(sandbox, '/users?page=9');
    expect(res.body.users).toEqual([]);
    expect(res.body.pages.next).toBeNull();
  });

  it('refuses pages past 10,000 records: use scroll', async () => {
    const capped = await call(sandbox, '/users?page=201&per_page=50');
    expect(capped.status).toBe(400);
    expect(capped.body.errors[0]).toEqual({
      code: 'bad_request',
      message: 'page limit reached, please use scroll API',
    });
    expect((await call(sandbox, '/users?page=200&per_page=50')).status).toBe(200);
    // The cap counts records: at 60 per page, page 167 still holds records 9,961-10,000.
    expect((await call(sandbox, '/companies?page=167&per_page=60')).status).toBe(200);
    expect((await call(sandbox, '/companies?page=168&per_page=60')).status).toBe(400);
  });

  it('rejects a page or per_page that is not a positive integer', async () => {
    expect(errorCode(await call(sandbox, '/users?page=0'))).toBe('parameter_invalid');
    expect(errorCode(await call(sandbox, '/users?per_page=abc'))).toBe('parameter_invalid');
  });

  it('filters users by segment', async () => {
    const segments = await call(sandbox, '/segments?include_count=true');
    const all = segments.body.segments.find((s: any) => s.name === 'All users');
    expect(all.count).toBe(SEED_COUNTS.users);
    const res = await call(sandbox, `/users?segment_id=${all.id}&per_page=1`);
    expect(res.body.total_count).toBe(SEED_COUNTS.users);
  });
});

describe('events', () => {
  const DAY = 86_400;
  const nowSeconds = () => Math.floor(time.now() / 1000);

  beforeAll(async () => {
    await call(sandbox, '/users', { method: 'POST', body: { user_id: 'ev', email: 'ev@example.com' } });
    for (let i = 0; i < 7; i++) {
      const created = await call(sandbox, '/events', {
        method: 'POST',
        body: { event_name: i % 2 ? 'opened' : 'paid', created_at: nowSeconds() - i * 60, user_id: 'ev' },
      });
      expect(created.status).toBe(202);
      expect(created.text).toBe('');
      expect(created.headers.get('content-type')).toBeNull();
    }
    // Two in the same second, and one older than Intercom's 90 days.
    await call(sandbox, '/events', {
      method: 'POST',
      body: { event_name: 'paid', created_at: nowSeconds(), email: 'ev@example.com' },
    });
    await call(sandbox, '/events', {
      method: 'POST',
      body: { event_name: 'ancient', created_at: nowSeconds() - 91 * DAY, user_id: 'ev' },
    });
  });

  it('validates submissions', async () => {
    const post = (body: unknown) => call(sandbox, '/events', { method: 'POST', body });
    expect(errorCode(await post({ created_at: 1, user_id: 'ev' }))).toBe('parameter_not_found');
    expect(errorCode(await post({ event_name: 'x', user_id: 'ev' }))).toBe('parameter_not_found');
    expect(errorCode(await post({ event_name: 'x', created_at: 1 }))).toBe('parameter_not_found');
    expect((await post({ event_name: 'x', created_at: 1, user_id: 'ghost' })).status).toBe(404);
  });

  it('lists the last 90 days newest first and pages with a before= cursor', async () => {
    const ids: string[] = [];
    const times: number[] = [];
    let url: string | null = `/events?type=user&user_id=ev&per_page=3`;
    let pages = 0;
    while (url) {
      const res = await call(sandbox, url);
      expect(res.body.type).toBe('event.list');
      ids.push(...res.body.events.map((e: any) => e.id));
      times.push(...res.body.events.map((e: any) => e.created_at));
      expect(res.body.pages.since).toContain('since=');
      url = res.body.pages.next;
      if (url) expect(new URL(url).searchParams.get('before')).toMatch(/^\d+$/);
      pages++;
    }
    expect(pages).toBe(3);
    expect(new Set(ids).size).toBe(8);
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it('finds events by intercom_user_id and email too, and checks the type', async () => {
    const user = await call(sandbox, '/users?user_id=ev');
    const byId = await call(sandbox, `/events?type=user&intercom_user_id=${user.body.id}`);
    expect(byId.body.events).toHaveLength(8);
    expect(byId.body.events[0]).toMatchObject({
      type: 'event',
      user_id: 'ev',
      intercom_user_id: user.body.id,
    });
    expect((await call(sandbox, '/events?type=user&email=ev%40example.com')).body.events).toHaveLength(8);
    expect(errorCode(await call(sandbox, '/events?user_id=ev'))).toBe('parameter_not_found');
    expect(errorCode(await call(sandbox, '/events?type=company&user_id=ev'))).toBe('parameter_invalid');
  });

  it('returns only newer events from the since link', async () => {
    const first = await call(sandbox, '/events?type=user&user_id=ev');
    time.advance(1000);
    await call(sandbox, '/events', {
      method: 'POST',
      body: { event_name: 'later', created_at: nowSeconds() + 5, user_id: 'ev' },
    });
    const newer = await call(sandbox, first.body.pages.since);
    expect(newer.body.events.map((e: any) => e.event_name)).toEqual(['later']);
  });

  it('summarises with summary=true', async () => {
    const res = await call(sandbox, '/events?type=user&user_id=ev&summary=true');
    expect(res.body).toMatchObject({ type: 'event.summary', user_id: 'ev', email: 'ev@example.com' });
    const byName = Object.fromEntries(res.body.events.map((e: any) => [e.name, e.count]));
    expect(byName).toEqual({ paid: 5, opened: 3, later: 1 });
    expect(res.body.events[0].first).toMatch(/^\d{4}-\d\d-\d\dT/);
  });
});

describe('notes', () => {
  it('creates notes authored by the owner or a given admin and lists them for a user', async () => {
    await call(sandbox, '/users', { method: 'POST', body: { user_id: 'noted', email: 'noted@example.com' } });
    const admins = (await call(sandbox, '/admins')).body.admins.filter((a: any) => a.type === 'admin');
    const owner = (await call(sandbox, '/me')).body;
    const byOwner = await call(sandbox, '/notes', {
      method: 'POST',
      body: { body: 'Hello', user: { user_id: 'noted' } },
    });
    expect(byOwner.body).toMatchObject({
      type: 'note',
      body: '<p>Hello</p>',
      author: { type: 'admin', id: owner.id },
    });
    const byAdmin = await call(sandbox, '/notes', {
      method: 'POST',
      body: { body: '<p>Second</p>', user: { email: 'noted@example.com' }, admin_id: admins[1].id },
    });
    expect(byAdmin.body.author.id).toBe(admins[1].id);
    expect((await call(sandbox, `/notes/${byAdmin.body.id}`)).body.body).toBe('<p>Second</p>');

    const list = await call(sandbox, '/notes?user_id=noted');
    expect(list.body.type).toBe('note.list');
    expect(list.body.notes).toHaveLength(2);
    expect(errorCode(await call(sandbox, '/notes'))).toBe('parameter_not_found');
    expect(
      errorCode(await call(sandbox, '/notes', { method: 'POST', body: { user: { user_id: 'noted' } } })),
    ).toBe('parameter_not_found');
  });
});
