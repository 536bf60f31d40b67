/**
 * Conversations, replayed against the sandbox and compared by shape with recorded 1.x responses
 * (test/fixtures/intercom-v1/SOURCES-staff.md).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Sandbox } from '../../../lib/sandbox/server.ts';
import { call, start } from '../helpers.ts';
import { checkShape, describeDifferences, type Exceptions, fixture } from './shape-compare.ts';

const NOT_MODELLED: Exceptions = {
  'conversation_message.attachments':
    'POST /messages takes no attachments, so a conversation message has none (replies keep theirs)',
};

let sandbox: Sandbox;
let tagged: any;
beforeAll(async () => {
  sandbox = await start();
  const list = await call(sandbox, '/conversations?per_page=60');
  tagged = list.body.conversations.find((c: any) => c.tags.tags.length > 0);
});
afterAll(async () => {
  await sandbox.close();
});

function expectShape(recorded: unknown, answer: unknown) {
  const check = checkShape(recorded, answer, NOT_MODELLED);
  expect(describeDifferences(check.differences)).toBe('');
  expect(check.excused.every((d) => d.path.startsWith('conversation_message.attachments'))).toBe(true);
}

describe('conversations, by shape', () => {
  it('GET /conversations/{id}: message (with delivered_as), parts and tags', async () => {
    const res = await call(sandbox, `/conversations/${tagged.id}`);
    expect(res.status).toBe(200);
    expect(res.body.conversation_parts.conversation_parts.length).toBeGreaterThan(0);
    expectShape(fixture('intercom-java/conversation.json'), res.body);
    expectShape(fixture('intercom-ruby/test_conversation.json'), res.body);
    // The exception is still needed: the recorded message has attachments the sandbox cannot have.
    expect(
      checkShape(fixture('intercom-java/conversation.json'), res.body, NOT_MODELLED).unusedExceptions,
    ).toEqual([]);
  });

  it('GET /conversations: list items without parts', async () => {
    const res = await call(sandbox, '/conversations');
    expect(res.status).toBe(200);
    expectShape(fixture('intercom-java/conversations.json'), res.body);
  });

  it('delivered_as tells customer-initiated from admin-initiated conversations', async () => {
    const admin = (await call(sandbox, '/admins')).body.admins[0];
    const user = (await call(sandbox, '/users?per_page=1')).body.users[0];
    const post = (body: unknown) => call(sandbox, '/messages', { method: 'POST', body });
    const fromUser = (await post({ from: { type: 'user', id: user.id }, body: 'Hi' })).body;
    const fromAdmin = (
      await post({ from: { type: 'admin', id: admin.id }, to: { type: 'user', id: user.id }, body: 'Hello' })
    ).body;
    const list = await call(sandbox, `/conversations?type=user&intercom_user_id=${user.id}`);
    const byMessage = (id: string) =>
      list.body.conversations.find((c: any) => c.conversation_message.id === id).conversation_message;
    expect(byMessage(fromUser.id).delivered_as).toBe('customer_initiated');
    expect(byMessage(fromAdmin.id).delivered_as).toBe('admin_initiated');
  });
});
