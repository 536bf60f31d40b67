/**
 * Teams, replayed against the sandbox and compared by shape with recorded 1.x responses
 * (test/fixtures/intercom-v1, sources in its sources.json).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Sandbox } from '../../../lib/sandbox/server.ts';
import { call, start } from '../helpers.ts';
import { NO_STAFF_AVATAR, NULL_TEAM_EMAIL } from './exceptions.ts';
import { fixture } from './fixtures.ts';
import { expectShapeOf } from './shape.ts';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await start();
});
afterAll(async () => {
  await sandbox.close();
});

describe('teams, by shape', () => {
  it('GET /teams', async () => {
    const res = await call(sandbox, '/teams');
    expect(res.status).toBe(200);
    expectShapeOf(res.body, fixture('intercom-ruby/test_team_list.json'));
  });

  it('GET /teams/{id}', async () => {
    const team = (await call(sandbox, '/teams')).body.teams[0];
    const res = await call(sandbox, `/teams/${team.id}`);
    expectShapeOf(res.body, fixture('intercom-ruby/test_team.json'));
    expect(res.body.admin_ids.every(Number.isInteger)).toBe(true);
  });

  it('a team entry of GET /admins', async () => {
    const admins = (await call(sandbox, '/admins')).body.admins;
    const entry = admins.find((a: any) => a.type === 'team');
    expectShapeOf(entry, fixture('intercom-java/admin_team.json'), [NO_STAFF_AVATAR, NULL_TEAM_EMAIL]);
    // Every id in admin_ids names an admin of the list, whose team_ids names the team back.
    for (const id of entry.admin_ids) {
      const admin = admins.find((a: any) => a.type === 'admin' && a.id === String(id));
      expect(admin.team_ids).toContain(Number(entry.id));
    }
  });
});
