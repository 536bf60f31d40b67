import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Sandbox } from '../../lib/sandbox/server.ts';
import { call, clock, errorCode, start } from './helpers.ts';

const time = clock();
let sandbox: Sandbox;
let admins: any[];
beforeAll(async () => {
  sandbox = await start({ seed: false, now: time.now });
  admins = (await call(sandbox, '/admins')).body.admins.filter((a: any) => a.type === 'admin');
  await call(sandbox, '/users', { method: 'POST', body: { user_id: 'alice', email: 'alice@example.com' } });
  await call(sandbox, '/users', { method: 'POST', body: { user_id: 'bob', email: 'bob@example.com' } });
});
afterAll(async () => {
  await sandbox.close();
});

const post = (path: string, body: unknown) => call(sandbox, path, { method: 'POST', body });
const nowSeconds = () => Math.floor(time.now() / 1000);

/**
 * A 1.x `user_message` names the message, not its conversation: as R1.1 advises, find the user's
 * latest conversation, whose `conversation_message.id` is the message's id.
 */
async function conversationOf(message: { id: string }, userQuery: string) {
  const list = await call(sandbox, `/conversations?type=user&${userQuery}&sort=created_at&order=desc`);
  const found = list.body.conversations.find((c: any) => c.conversation_message.id === message.id);
  expect(found).toBeDefined();
  return found.id as string;
}

describe('conversation lifecycle', () => {
  let conversationId: string;
  let alice: any;

  it('starts a conversation from a user message', async () => {
    alice = (await call(sandbox, '/users?user_id=alice')).body;
    const message = await post('/messages', {
      from: { type: 'user', user_id: 'alice' },
      body: 'Help <b>please</b>',
    });
    expect(message.body).toEqual({
      type: 'user_message',
      id: expect.stringMatching(/^\d+$/),
      created_at: nowSeconds(),
      body: 'Help <b>please</b>',
      message_type: 'inapp',
    });
    conversationId = await conversationOf(message.body, 'user_id=alice');
    expect(conversationId).toMatch(/^\d+$/);

    const conversation = (await call(sandbox, `/conversations/${conversationId}`)).body;
    expect(conversation).toMatchObject({
      type: 'conversation',
      id: conversationId,
      open: true,
      state: 'open',
      read: false,
      user: { type: 'user', id: alice.id },
      assignee: { type: 'nobody_admin', id: null },
      conversation_message: {
        type: 'conversation_message',
        body: 'Help <b>please</b>',
        author: { type: 'user', id: alice.id },
      },
      conversation_parts: { type: 'conversation_part.list', conversation_parts: [], total_count: 0 },
    });
    expect(conversation.waiting_since).toBe(nowSeconds());
  });

  it('strips HTML with display_as=plaintext', async () => {
    const res = await call(sandbox, `/conversations/${conversationId}?display_as=plaintext`);
    expect(res.body.conversation_message.body).toBe('Help please');
  });

  it('assigns, notes, replies, snoozes, reopens and closes through admin replies', async () => {
    const [ada, brian] = admins;
    const reply = (body: unknown) => post(`/conversations/${conversationId}/reply`, body);

    const assigned = await reply({
      type: 'admin',
      admin_id: ada.id,
      message_type: 'assignment',
      assignee_id: brian.id,
    });
    expect(assigned.body.assignee).toEqual({ type: 'admin', id: brian.id });
    expect(assigned.body.conversation_parts.conversation_parts[0]).toMatchObject({
      type: 'conversation_part',
      part_type: 'assignment',
      assigned_to: { type: 'admin', id: brian.id },
      author: { type: 'admin', id: ada.id },
    });

    const noted = await reply({
      type: 'admin',
      admin_id: brian.id,
      message_type: 'note',
      body: '<p>VIP</p>',
    });
    expect(noted.body.conversation_parts.total_count).toBe(2);

    const answered = await reply({
      type: 'admin',
      admin_id: brian.id,
      message_type: 'comment',
      body: 'On it',
    });
    expect(answered.body.waiting_since).toBeNull();

    const until = nowSeconds() + 3600;
    const snoozed = await reply({
      type: 'admin',
      admin_id: brian.id,
      message_type: 'snoozed',
      snoozed_until: until,
    });
    expect(snoozed.body).toMatchObject({ state: 'snoozed', open: true, snoozed_until: until });

    const opened = await reply({ type: 'admin', admin_id: brian.id, message_type: 'open' });
    expect(opened.body).toMatchObject({ state: 'open', open: true, snoozed_until: null });

    const closed = await reply({ type: 'admin', admin_id: brian.id, message_type: 'close', body: 'Bye' });
    expect(closed.body).toMatchObject({ state: 'closed', open: false });
    expect(closed.body.conversation_parts.conversation_parts.map((p: any) => p.part_type)).toEqual([
      'assignment',
      'note',
      'comment',
      'snoozed',
      'open',
      'close',
    ]);
  });

  it('validates replies', async () => {
    const reply = (body: unknown) => post(`/conversations/${conversationId}/reply`, body);
    const admin = admins[0].id;
    expect(errorCode(await reply({ type: 'admin', admin_id: admin, message_type: 'shout' }))).toBe(
      'parameter_invalid',
    );
    expect(errorCode(await reply({ type: 'admin', admin_id: admin, message_type: 'comment' }))).toBe(
      'parameter_not_found',
    );
    expect(errorCode(await reply({ type: 'admin', admin_id: admin, message_type: 'assignment' }))).toBe(
      'parameter_not_found',
    );
    expect(errorCode(await reply({ type: 'admin', admin_id: admin, message_type: 'snoozed' }))).toBe(
      'parameter_not_found',
    );
    expect(errorCode(await reply({ type: 'admin', admin_id: '1', message_type: 'open' }))).toBe(
      'admin_not_found',
    );
    expect(errorCode(await reply({ type: 'user', user_id: 'alice', message_type: 'close' }))).toBe(
      'parameter_invalid',
    );
    expect(errorCode(await reply({ type: 'user', user_id: 'bob', message_type: 'comment', body: 'x' }))).toBe(
      'action_forbidden',
    );
    expect(
      (await post('/conversations/999/reply', { type: 'admin', admin_id: admin, message_type: 'open' }))
        .status,
    ).toBe(404);
  });

  it('reopens when the user replies, and waits for the team again', async () => {
    time.advance(60_000);
    const res = await post(`/conversations/${conversationId}/reply`, {
      type: 'user',
      email: 'alice@example.com',
      message_type: 'comment',
      body: 'One more thing',
    });
    expect(res.body).toMatchObject({ state: 'open', open: true, read: false, waiting_since: nowSeconds() });
    expect(res.body.conversation_parts.conversation_parts.at(-1).author).toEqual({
      type: 'user',
      id: alice.id,
    });
  });

  it('marks the conversation read with PUT {"read": true}', async () => {
    const res = await call(sandbox, `/conversations/${conversationId}`, {
      method: 'PUT',
      body: { read: true },
    });
    expect(res.body).toMatchObject({ type: 'conversation', read: true });
    const bad = await call(sandbox, `/conversations/${conversationId}`, {
      method: 'PUT',
      body: { read: false },
    });
    expect(errorCode(bad)).toBe('parameter_invalid');
  });

  it('adds and removes customers', async () => {
    const bob = (await call(sandbox, '/users?user_id=bob')).body;
    const added = await post(`/conversations/${conversationId}/customers`, {
      admin_id: admins[0].id,
      customer: { user_id: 'bob' },
    });
    expect(added.body).toEqual({
      customers: [
        { type: 'user', id: alice.id },
        { type: 'user', id: bob.id },
      ],
    });
    const newLead = await post(`/conversations/${conversationId}/customers`, {
      user_id: 'alice',
      customer: { email: 'stranger@example.com' },
    });
    expect(newLead.body.customers).toHaveLength(3);
    expect(newLead.body.customers[2].type).toBe('lead');

    const path = `/conversations/${conversationId}/customers/${bob.id}`;
    const noAdmin = await call(sandbox, path, { method: 'DELETE' });
    expect(noAdmin.status).toBe(400);
    expect(errorCode(noAdmin)).toBe('parameter_not_found');
    const removed = await call(sandbox, path, { method: 'DELETE', body: { admin_id: admins[0].id } });
    expect(removed.body.customers.map((c: any) => c.id)).not.toContain(bob.id);
    expect((await call(sandbox, path, { method: 'DELETE', body: { admin_id: admins[0].id } })).status).toBe(
      404,
    );
  });

  it('replies to the user last conversation', async () => {
    time.advance(60_000);
    const second = await post('/messages', {
      from: { type: 'user', email: 'alice@example.com' },
      body: 'New topic',
    });
    const res = await post('/conversations/last/reply', {
      type: 'admin',
      admin_id: admins[1].id,
      message_type: 'comment',
      body: 'Answer',
      user_id: 'alice',
    });
    expect(res.body.conversation_message.id).toBe(second.body.id);
    expect(res.body.conversation_parts.conversation_parts[0].body).toBe('Answer');
    const noUser = await post('/conversations/last/reply', {
      type: 'admin',
      admin_id: admins[1].id,
      message_type: 'open',
    });
    expect(errorCode(noUser)).toBe('parameter_not_found');
  });

  it('starts conversations from admin messages', async () => {
    const inapp = await post('/messages', {
      message_type: 'inapp',
      body: 'Hi Bob',
      from: { type: 'admin', id: admins[0].id },
      to: { type: 'user', user_id: 'bob' },
    });
    // R1.1 admin-initiated-conversation: the owner is {email, id, name, type}; there is no `to`.
    expect(inapp.body).toEqual({
      type: 'admin_message',
      id: expect.stringMatching(/^\d+$/),
      created_at: nowSeconds(),
      message_type: 'inapp',
      subject: '',
      body: 'Hi Bob',
      template: 'plain',
      owner: { email: admins[0].email, id: admins[0].id, name: admins[0].name, type: 'admin' },
    });
    const email = await post('/messages', {
      message_type: 'email',
      body: 'Hi',
      from: { type: 'admin', id: admins[0].id },
      to: { type: 'user', email: 'bob@example.com' },
    });
    expect(errorCode(email)).toBe('parameter_not_found');
    const unknown = await post('/messages', {
      body: 'x',
      from: { type: 'admin', id: admins[0].id },
      to: { type: 'user', user_id: 'nope' },
    });
    expect(unknown.status).toBe(404);
  });
});

describe('listing conversations', () => {
  it('lists without parts, filters by admin, nobody, open and user, and sorts', async () => {
    const all = await call(sandbox, '/conversations');
    expect(all.body.type).toBe('conversation.list');
    expect(all.body.pages).toMatchObject({ type: 'pages', page: 1, per_page: 20 });
    expect(all.body.conversations).toHaveLength(3);
    expect(all.body.conversations[0].conversation_parts).toBeUndefined();

    const brian = admins[1].id;
    expect(
      (await call(sandbox, `/conversations?type=admin&admin_id=${brian}`)).body.conversations,
    ).toHaveLength(1);
    expect(
      (await call(sandbox, '/conversations?type=admin&admin_id=nobody')).body.conversations,
    ).toHaveLength(2);
    expect(
      (await call(sandbox, `/conversations?type=admin&admin_id=${brian}&open=false`)).body.conversations,
    ).toHaveLength(0);
    expect(errorCode(await call(sandbox, '/conversations?type=admin'))).toBe('parameter_not_found');

    const bobs = await call(sandbox, '/conversations?type=user&user_id=bob');
    expect(bobs.body.conversations).toHaveLength(1);
    const aliceUnread = await call(sandbox, '/conversations?type=user&email=alice%40example.com&unread=true');
    expect(aliceUnread.body.conversations).toHaveLength(1);

    const asc = (await call(sandbox, '/conversations?sort=created_at&order=asc')).body.conversations.map(
      (c: any) => c.id,
    );
    const desc = (await call(sandbox, '/conversations?sort=created_at&order=desc')).body.conversations.map(
      (c: any) => c.id,
    );
    expect(asc).toEqual([...desc].reverse());
  });

  it('counts conversations by state and by admin', async () => {
    const totals = await call(sandbox, '/counts?type=conversation');
    expect(totals.body).toEqual({
      type: 'count',
      conversation: { assigned: 1, closed: 0, open: 3, unassigned: 2 },
    });
    const byAdmin = await call(sandbox, '/counts?type=conversation&count=admin');
    expect(byAdmin.body.conversation.admin).toEqual(
      expect.arrayContaining([{ id: admins[1].id, name: admins[1].name, open: 1, closed: 0 }]),
    );
  });
});
