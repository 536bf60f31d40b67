/**
 * Admins, replayed against the sandbox and compared by shape with recorded 1.x responses
 * (test/fixtures/intercom-v1/SOURCES-staff.md).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Sandbox } from '../../../lib/sandbox/server.ts';
import { call, start } from '../helpers.ts';
import { checkShape, describeDifferences, type Exceptions, fixture } from './shape-compare.ts';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await start();
});
afterAll(async () => {
  await sandbox.close();
});

function expectShape(recorded: unknown, answer: unknown, exceptions: Exceptions = {}) {
  const check = checkShape(recorded, answer, exceptions);
  expect(describeDifferences(check.differences)).toBe('');
  expect(check.unusedExceptions).toEqual([]);
}

describe('admins, by shape', () => {
  it('GET /admins: admins and team entries, ids in team_ids/admin_ids as integers', async () => {
    const res = await call(sandbox, '/admins');
    expect(res.status).toBe(200);
    expectShape(fixture('intercom-java/admins.json'), res.body);
    expectShape(fixture('intercom-ruby/test_admin_list.json'), res.body);
  });

  it('GET /admins/{id}', async () => {
    const admin = (await call(sandbox, '/admins')).body.admins[0];
    const res = await call(sandbox, `/admins/${admin.id}`);
    expectShape(fixture('intercom-java/admin.json'), res.body);
    expectShape(fixture('intercom-ruby/test_admin.json'), res.body);
  });

  it('PUT /admins/{id}/away answers the admin, as R1.0 set-admin-away-mode shows', async () => {
    const admin = (await call(sandbox, '/admins')).body.admins[1];
    const res = await call(sandbox, `/admins/${admin.id}/away`, {
      method: 'PUT',
      body: { away_mode_enabled: true, away_mode_reassign: false },
    });
    expect(res.status).toBe(200);
    expectShape(fixture('intercom-docs/set-admin-away-mode-1.0.json'), res.body);
  });

  it('GET /me: the admin, with email_verified and the app', async () => {
    const res = await call(sandbox, '/me');
    expectShape(fixture('intercom-java/admin.json'), res.body);
    expect(res.body).toMatchObject({ type: 'admin', email_verified: true, app: { type: 'app' } });
    expect(typeof res.body.job_title).toBe('string');
  });
});
