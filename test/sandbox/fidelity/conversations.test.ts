/**
 * Conversations, replayed against the sandbox and compared by shape with recorded 1.x responses
 * (test/fixtures/intercom-v1, sources in its sources.json).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Sandbox } from '../../../lib/sandbox/server.ts';
import { call, start } from '../helpers.ts';
import { fixture } from './fixtures.ts';
import { expectShapeOf, type ShapeException } from './shape.ts';

const NO_MESSAGE_ATTACHMENTS: ShapeException = {
  path: 'conversation_message.attachments',
  kind: 'empty',
  reason: 'POST /messages takes no attachments, so a conversation message has none (replies keep theirs)',
};
/** 1.x webhook payloads a connector's tests hold, as Intercom sent them in 2020. */
const HULL_FIXTURES =
  'hull/hull-connectors packages/connectors/hull-intercom/test/unit/purplefusion/fixtures/webhook-conversation-admin';
const NO_MESSENGER_URL: ShapeException = {
  path: 'conversation_message.url',
  kind: 'null',
  reason: `the web page a customer started the conversation on (R1.2 conversation-model); the sandbox has no Messenger, and Intercom's was null for the others too (intercom-java conversations.json; ${HULL_FIXTURES}-assigned.js)`,
};
const BODILESS_PARTS: ShapeException = {
  path: 'conversation_parts.conversation_parts[type=conversation_part].body',
  kind: 'null',
  reason: `the sandbox's assignment, close and snoozed parts have no body, as Intercom's had none (${HULL_FIXTURES}-assigned.js, -closed.js, -snoozed.js); intercom-java's parts are all comments`,
};
const NOT_WAITING: ShapeException = {
  path: 'conversations[type=conversation].waiting_since',
  kind: 'null',
  reason:
    "null while no customer waits for a reply (intercom-client 6.x Conversation.waiting_since: 'Set to null if last reply is from an Admin'), as in the sandbox's answered and closed conversations; intercom-java's three all wait",
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

describe('conversations, by shape', () => {
  it('GET /conversations/{id}: message (with delivered_as), parts and tags', async () => {
    // Its customer writes again, as in the recorded conversation: a comment part, and a customer waiting.
    const replied = await call(sandbox, `/conversations/${tagged.id}/reply`, {
      method: 'POST',
      body: {
        type: 'user',
        message_type: 'comment',
        intercom_user_id: tagged.user.id,
        body: '<p>Any news?</p>',
      },
    });
    expect(replied.status).toBe(200);
    const res = await call(sandbox, `/conversations/${tagged.id}`);
    expect(res.status).toBe(200);
    expect(res.body.conversation_parts.conversation_parts.length).toBeGreaterThan(0);
    expectShapeOf(res.body, fixture('intercom-java/conversation.json'), [
      NO_MESSAGE_ATTACHMENTS,
      NO_MESSENGER_URL,
      BODILESS_PARTS,
    ]);
    expectShapeOf(res.body, fixture('intercom-ruby/test_conversation.json'), [NO_MESSAGE_ATTACHMENTS]);
  });

  it('GET /conversations: list items without parts', async () => {
    const res = await call(sandbox, '/conversations');
    expect(res.status).toBe(200);
    expectShapeOf(res.body, fixture('intercom-java/conversations.json'), [NOT_WAITING]);
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
