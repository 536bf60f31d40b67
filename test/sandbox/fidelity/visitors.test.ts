/**
 * Visitors: intercom-java's visitor.json (the only visitor fixture of the v1-era clients) compared
 * with a seeded visitor given its attributes through `PUT /visitors`.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SEED_VISITOR_USER_IDS } from '../../../lib/sandbox/seed.ts';
import type { Sandbox } from '../../../lib/sandbox/server.ts';
import { call, start } from '../helpers.ts';
import { NO_AVATAR } from './exceptions.ts';
import { fixture } from './fixtures.ts';
import { expectShapeOf, type ShapeException } from './shape.ts';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await start();
});
afterAll(async () => {
  await sandbox.close();
});

const EMAIL_MAKES_A_LEAD: ShapeException = {
  path: 'email',
  kind: 'null',
  reason:
    'an email given to a visitor turns it into a lead (the 1.x update-a-visitor page), so a sandbox visitor never has one; the fixture has',
};
const NO_MESSENGER: ShapeException = {
  path: 'referrer',
  kind: 'null',
  reason: 'the referrer is the page the Messenger first saw the visitor on; the sandbox has no Messenger',
};

describe("intercom-java's visitor.json", () => {
  it('matches a seeded (placed) visitor given its attributes, read back by id', async () => {
    const java = fixture('intercom-java/visitor.json');
    const [userId] = SEED_VISITOR_USER_IDS;
    const body: Record<string, unknown> = { user_id: userId, last_seen_user_agent: java.user_agent_data };
    for (const key of ['name', 'phone', 'last_seen_ip', 'custom_attributes']) body[key] = java[key];
    for (const key of Object.keys(java).filter((k) => k.startsWith('utm_'))) body[key] = java[key];
    const updated = await call(sandbox, '/visitors', { method: 'PUT', body });
    expect(updated.body.type).toBe('visitor');
    const res = await call(sandbox, `/visitors/${updated.body.id}`);
    expectShapeOf(res.body, java, [NO_AVATAR, EMAIL_MAKES_A_LEAD, NO_MESSENGER]);
  });
});
