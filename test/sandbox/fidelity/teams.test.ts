/**
 * Teams, replayed against the sandbox and compared by shape with recorded 1.x responses
 * (test/fixtures/intercom-v1/SOURCES-staff.md).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Sandbox } from '../../../lib/sandbox/server.ts';
import { call, start } from '../helpers.ts';
import { checkShape, describeDifferences, fixture } from './shape-compare.ts';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await start();
});
afterAll(async () => {
  await sandbox.close();
});

function expectShape(recorded: unknown, answer: unknown) {
  expect(describeDifferences(checkShape(recorded, answer).differences)).toBe('');
}

describe('teams, by shape', () => {
  it('GET /teams', async () => {
    const res = await call(sandbox, '/teams');
    expect(res.status).toBe(200);
    expectShape(fixture('intercom-ruby/test_team_list.json'), res.body);
  });

  it('GET /teams/{id}', async () => {
    const team = (await call(sandbox, '/teams')).body.teams[0];
    const res = await call(sandbox, `/teams/${team.id}`);
    expectShape(fixture('intercom-ruby/test_team.json'), res.body);
    expect(res.body.admin_ids.every(Number.isInteger)).toBe(true);
  });

  it('a team entry of GET /admins', async () => {
    const admins = (await call(sandbox, '/admins')).body.admins;
    const entry = admins.find((a: any) => a.type === 'team');
    expectShape(fixture('intercom-java/admin_team.json'), entry);
    // Every id in admin_ids names an admin of the list, whose team_ids names the team back.
    for (const id of entry.admin_ids) {
      const admin = admins.find((a: any) => a.type === 'admin' && a.id === String(id));
      expect(admin.team_ids).toContain(Number(entry.id));
    }
  });
});
