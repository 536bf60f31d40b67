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

describe('admins and teams', () => {
  it('lists admins with team entries; gets an admin and a team', async () => {
    const list = await call(sandbox, '/admins');
    expect(list.body.type).toBe('admin.list');
    const types = list.body.admins.map((a: any) => a.type);
    expect(types.filter((t: string) => t === 'admin')).toHaveLength(5);
    expect(types.filter((t: string) => t === 'team')).toHaveLength(2);
    const admin = list.body.admins[1];
    expect(admin.id).toMatch(/^\d+$/);
    expect((await call(sandbox, `/admins/${admin.id}`)).body).toEqual(admin);
    expect(errorCode(await call(sandbox, '/admins/42'))).toBe('admin_not_found');

    const teams = await call(sandbox, '/teams');
    expect(teams.body.type).toBe('team.list');
    const team = teams.body.teams[0];
    expect((await call(sandbox, `/teams/${team.id}`)).body).toEqual({
      type: 'team',
      id: team.id,
      name: team.name,
      admin_ids: team.admin_ids,
    });
    expect(errorCode(await call(sandbox, '/teams/1'))).toBe('team_not_found');
  });

  it('sets away mode from a JSON body and logs the change', async () => {
    const admin = (await call(sandbox, '/admins')).body.admins[1];
    const res = await call(sandbox, `/admins/${admin.id}/away`, {
      method: 'PUT',
      body: { away_mode_enabled: true, away_mode_reassign: true },
    });
    expect(res.body).toMatchObject({
      type: 'admin',
      id: admin.id,
      away_mode_enabled: true,
      away_mode_reassign: true,
    });
    const after = Math.floor(time.now() / 1000) - 1;
    const logs = await call(sandbox, `/admins/activity_logs?created_at_after=${after}`);
    expect(logs.body.type).toBe('activity_log.list');
    expect(logs.body.activity_logs[0]).toMatchObject({
      performed_by: { type: 'admin', id: admin.id },
      activity_type: 'admin_away_mode_change',
      metadata: { away_mode: true, reassign_conversations: true },
    });
    expect(errorCode(await call(sandbox, `/admins/${admin.id}/away`, { method: 'PUT', body: {} }))).toBe(
      'parameter_not_found',
    );
  });

  it('refuses away mode for an admin without an Inbox seat', async () => {
    const admins = (await call(sandbox, '/admins')).body.admins;
    const viewer = admins.find((a: any) => a.type === 'admin' && !a.has_inbox_seat);
    const res = await call(sandbox, `/admins/${viewer.id}/away`, {
      method: 'PUT',
      body: { away_mode_enabled: true, away_mode_reassign: false },
    });
    expect(res.status).toBe(403);
    expect(errorCode(res)).toBe('action_forbidden');
  });

  it('needs created_at_after for activity logs (a 404, as R1.4 shows), and pages them by 20', async () => {
    const missing = await call(sandbox, '/admins/activity_logs');
    expect(missing.status).toBe(404);
    expect(missing.body.errors).toEqual([
      { code: 'parameter_not_found', message: 'Please provide the following parameters: created_at_after' },
    ]);
    const all = await call(sandbox, '/admins/activity_logs?created_at_after=0&per_page=5');
    expect(all.body.pages).toMatchObject({ type: 'pages', page: 1, per_page: 5 });
    expect(all.body.pages.next).toContain('page=2');
    expect(all.body).not.toHaveProperty('total_count');
    const firstPage = await call(sandbox, '/admins/activity_logs?created_at_after=0');
    expect(firstPage.body.pages.per_page).toBe(20);
    expect(firstPage.body.activity_logs.length).toBeGreaterThanOrEqual(12);
    const before = Math.floor(time.now() / 1000) - 10 * 86_400;
    const old = await call(sandbox, `/admins/activity_logs?created_at_after=0&created_at_before=${before}`);
    expect(old.body.activity_logs.every((l: any) => l.created_at <= before)).toBe(true);
  });
});

describe('segments and counts', () => {
  it('lists user segments, company segments with type=company, counts with include_count', async () => {
    const users = await call(sandbox, '/segments');
    expect(users.body.type).toBe('segment.list');
    expect(users.body.segments.every((s: any) => s.person_type !== 'company' && s.count === undefined)).toBe(
      true,
    );
    const companies = await call(sandbox, '/segments?type=company&include_count=true');
    expect(companies.body.segments.map((s: any) => s.name)).toEqual(['All companies', 'Big spenders']);
    expect(companies.body.segments[0].count).toBe(SEED_COUNTS.companies);
    const one = await call(sandbox, `/segments/${companies.body.segments[0].id}?include_count=true`);
    expect(one.body).toMatchObject({ type: 'segment', name: 'All companies', count: SEED_COUNTS.companies });
    expect(one.body.id).toMatch(/^[0-9a-f]{24}$/);
  });

  it('answers app totals and per-tag, per-segment and per-company counts', async () => {
    const totals = await call(sandbox, '/counts');
    expect(totals.body).toMatchObject({
      type: 'count.hash',
      user: { count: SEED_COUNTS.users },
      lead: { count: SEED_COUNTS.leads },
      company: { count: SEED_COUNTS.companies },
      tag: { count: 5 },
      segment: { count: 8 },
    });
    const userTags = await call(sandbox, '/counts?type=user&count=tag');
    expect(userTags.body.type).toBe('count');
    expect(userTags.body.user.tag.map((e: any) => Object.keys(e)[0])).toEqual([
      'VIP',
      'Beta',
      'Churn risk',
      'Enterprise',
      'Newsletter',
    ]);
    const userSegments = await call(sandbox, '/counts?type=user&count=segment');
    expect(userSegments.body.user.segment).toContainEqual({ 'All users': SEED_COUNTS.users });
    const companyUsers = await call(sandbox, '/counts?type=company&count=user');
    const [firstCompany] = companyUsers.body.company.user;
    expect(firstCompany.remote_company_id).toBe('c-001');
    const counted = Object.entries(firstCompany).filter(([key]) => key !== 'remote_company_id');
    expect(counted).toEqual([[expect.stringMatching(/ 1$/), expect.any(Number)]]);
    expect((await call(sandbox, '/counts?type=company&count=segment')).body.company.segment).toHaveLength(2);
    expect(errorCode(await call(sandbox, '/counts?type=user&count=admin'))).toBe('parameter_invalid');
    expect(errorCode(await call(sandbox, '/counts?type=planet'))).toBe('parameter_invalid');
  });
});
