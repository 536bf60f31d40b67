/**
 * Admins, replayed against the sandbox and compared by shape with recorded 1.x responses
 * (test/fixtures/intercom-v1, sources in its sources.json).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Sandbox } from '../../../lib/sandbox/server.ts';
import { call, start } from '../helpers.ts';
import { NO_STAFF_AVATAR, NULL_TEAM_EMAIL, under } from './exceptions.ts';
import { fixture } from './fixtures.ts';
import { expectShapeOf } from './shape.ts';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await start();
});
afterAll(async () => {
  await sandbox.close();
});

describe('admins, by shape', () => {
  it('GET /admins: admins and team entries, ids in team_ids/admin_ids as integers', async () => {
    const res = await call(sandbox, '/admins');
    expect(res.status).toBe(200);
    expectShapeOf(res.body, fixture('intercom-java/admins.json'), [
      ...under('admins[type=admin]', [NO_STAFF_AVATAR]),
      ...under('admins[type=team]', [NO_STAFF_AVATAR, NULL_TEAM_EMAIL]),
    ]);
    expectShapeOf(res.body, fixture('intercom-ruby/test_admin_list.json'));
  });

  it('GET /admins/{id}', async () => {
    const admin = (await call(sandbox, '/admins')).body.admins[0];
    const res = await call(sandbox, `/admins/${admin.id}`);
    expectShapeOf(res.body, fixture('intercom-java/admin.json'), [NO_STAFF_AVATAR]);
    expectShapeOf(res.body, fixture('intercom-ruby/test_admin.json'));
  });

  it('PUT /admins/{id}/away answers the admin, as R1.0 set-admin-away-mode shows', async () => {
    const admin = (await call(sandbox, '/admins')).body.admins[1];
    const res = await call(sandbox, `/admins/${admin.id}/away`, {
      method: 'PUT',
      body: { away_mode_enabled: true, away_mode_reassign: false },
    });
    expect(res.status).toBe(200);
    expectShapeOf(res.body, fixture('intercom-docs/set-admin-away-mode-1.0.json'));
  });

  it('GET /me: the admin, with email_verified and the app', async () => {
    const res = await call(sandbox, '/me');
    expectShapeOf(res.body, fixture('intercom-java/admin.json'), [NO_STAFF_AVATAR]);
    expect(res.body).toMatchObject({ type: 'admin', email_verified: true, app: { type: 'app' } });
    expect(typeof res.body.job_title).toBe('string');
  });
});
