/**
 * Users: each recorded Intercom answer's request replayed against the sandbox, and the answer's shape
 * compared with the recording (test/fixtures/intercom-v1, sources in its sources.json).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { Sandbox } from '../../../lib/sandbox/server.ts';
import { call, start } from '../helpers.ts';
import {
  COMPANY_REFERENCES,
  HAND_WRITTEN_COORDINATES,
  NO_AVATAR,
  NO_SOCIAL_PROFILES,
  NOT_PLACED,
  under,
} from './exceptions.ts';
import { fixture, recording, replay } from './fixtures.ts';
import { expectShapeOf } from './shape.ts';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await start();
});
// Seeded: every user is in the "All users" segment, so segment lists have elements to compare.
beforeEach(() => sandbox.reset({ seed: true }));
afterAll(async () => {
  await sandbox.close();
});

const post = (path: string, body: unknown) => call(sandbox, path, { method: 'POST', body });

/** A fixture's writable user attributes, as a create/update body. */
function attributesOf(user: Record<string, unknown>): Record<string, unknown> {
  const keys = [
    'email',
    'phone',
    'name',
    'remote_created_at',
    'signed_up_at',
    'last_request_at',
    'last_seen_ip',
    'unsubscribed_from_emails',
    'custom_attributes',
  ];
  const body: Record<string, unknown> = {};
  for (const key of keys) if (user[key] !== undefined) body[key] = user[key];
  if (typeof user.user_agent_data === 'string') body.last_seen_user_agent = user.user_agent_data;
  return body;
}

/** A seeded user the Messenger placed (its location_data filled), to write a fixture's attributes onto. */
async function placedUser(): Promise<{ id: string; user_id: string }> {
  const page = await call(sandbox, '/users?per_page=60');
  const placed = page.body.users.find((u: any) => u.location_data.latitude !== null);
  expect(placed).toBeDefined();
  return placed;
}

const RECORDED_EXCEPTIONS = [NO_AVATAR, NOT_PLACED, NO_SOCIAL_PROFILES];

describe('recorded answers (intercom.io client, api.intercom.io 2016)', () => {
  it('POST /users: create', async () => {
    const { request, status } = recording('intercom.io/post-users.json');
    const res = await replay(sandbox, request);
    expect(res.status).toBe(status);
    expectShapeOf(res.body, fixture('intercom.io/post-users.json'), RECORDED_EXCEPTIONS);
  });

  it('GET /users?email=: one user, as API 1.0 still answers', async () => {
    await replay(sandbox, recording('intercom.io/post-users.json').request);
    const { request, status } = recording('intercom.io/get-users-by-email.json');
    const res = await replay(sandbox, request, { version: '1.0' });
    expect(res.status).toBe(status);
    expectShapeOf(res.body, fixture('intercom.io/get-users-by-email.json'), RECORDED_EXCEPTIONS);
  });

  it('DELETE /users with the email in a JSON body: the archived user', async () => {
    await replay(sandbox, recording('intercom.io/post-users.json').request);
    const { request, status } = recording('intercom.io/delete-users-by-body.json');
    const res = await replay(sandbox, request);
    expect(res.status).toBe(status);
    expectShapeOf(res.body, fixture('intercom.io/delete-users-by-body.json'), RECORDED_EXCEPTIONS);
    expect((await call(sandbox, '/users?email=somebody%40example.com', { version: '1.0' })).status).toBe(404);
  });
});

describe("the clients' test fixtures", () => {
  it('intercom-java user.json: its attributes written onto a placed user, with a company and a tag', async () => {
    const java = fixture('intercom-java/user.json');
    const { user_id } = await placedUser();
    const updated = await post('/users', {
      ...attributesOf(java),
      user_id,
      companies: [{ company_id: 'j' }],
    });
    expect(updated.status).toBe(200);
    await post('/tags', { name: 'java', users: [{ id: updated.body.id }] });
    const res = await call(sandbox, `/users/${updated.body.id}`);
    expectShapeOf(res.body, java, [NO_AVATAR, NO_SOCIAL_PROFILES]);
  });

  it('intercom-ruby test_user: its attributes written onto a placed user, with its company', async () => {
    const ruby = fixture('intercom-ruby/test_user.json');
    const { user_id } = await placedUser();
    const companies = ruby.companies.companies.map((c: any) => ({ company_id: c.company_id, name: c.name }));
    const res = await post('/users', { ...attributesOf(ruby), user_id, companies });
    expect(res.status).toBe(200);
    expectShapeOf(res.body, ruby, [
      NO_AVATAR,
      NO_SOCIAL_PROFILES,
      COMPANY_REFERENCES,
      ...HAND_WRITTEN_COORDINATES,
    ]);
  });

  it('python-intercom page_of_users: GET /users, and the 1.1+ user.list of GET /users?email=', async () => {
    sandbox.reset({ seed: false });
    const page = fixture('python-intercom/page_of_users.json');
    for (const user of page.users) {
      const companies = user.companies.companies.map((c: any) => ({
        company_id: c.company_id,
        name: c.name,
      }));
      expect((await post('/users', { ...attributesOf(user), user_id: user.email, companies })).status).toBe(
        200,
      );
    }
    // API-made users are not placed, so the hand-written string coordinates meet nulls, not numbers.
    const exceptions = under('users[type=user]', [
      NO_AVATAR,
      NOT_PLACED,
      NO_SOCIAL_PROFILES,
      COMPANY_REFERENCES,
    ]);
    expectShapeOf((await call(sandbox, '/users')).body, page, exceptions);
    const byEmail = await call(sandbox, '/users?email=user1%40example.com', { version: '1.1' });
    expect(byEmail.body.users).toHaveLength(1);
    expectShapeOf(byEmail.body, page, exceptions);
  });
});
