/**
 * Messages, replayed against the sandbox and compared by shape with the example responses of Intercom's
 * 1.1 reference (test/fixtures/intercom-v1, sources in its sources.json), plus the 1.x rules for who
 * can be addressed.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SEED_VISITOR_USER_IDS } from '../../../lib/sandbox/seed.ts';
import type { Sandbox } from '../../../lib/sandbox/server.ts';
import { call, start } from '../helpers.ts';
import { fixture } from './fixtures.ts';
import { expectShapeOf } from './shape.ts';

let sandbox: Sandbox;
let admin: any;
let lead: any;
beforeAll(async () => {
  sandbox = await start();
  admin = (await call(sandbox, '/admins')).body.admins[0];
  await post('/users', { user_id: 'msg-1', email: 'msg-1@example.com' });
  lead = (await post('/contacts', { email: 'lead-msg@example.com', name: 'Lena' })).body;
});
afterAll(async () => {
  await sandbox.close();
});

const post = (path: string, body: unknown) => call(sandbox, path, { method: 'POST', body });

describe('messages, by shape', () => {
  it('an admin message: owner {email, id, name, type}, no `to` (R1.1 admin-initiated-conversation)', async () => {
    const res = await post('/messages', {
      message_type: 'email',
      subject: 'Hey',
      body: 'Ponies, cute small horses or something more sinister?',
      template: 'plain',
      from: { type: 'admin', id: admin.id },
      to: { type: 'user', user_id: 'msg-1' },
    });
    expect(res.status).toBe(200);
    const recorded = fixture('intercom-docs/admin-initiated-conversation-1.1.json');
    expectShapeOf(res.body, recorded);
    expect(Object.keys(res.body).sort()).toEqual(Object.keys(recorded).sort());
    expect(Object.keys(res.body.owner).sort()).toEqual(Object.keys(recorded.owner).sort());
  });

  it('a user message has no conversation_id (R1.1 user-or-contact-initiated-conversation)', async () => {
    const res = await post('/messages', { from: { type: 'user', user_id: 'msg-1' }, body: 'Hey' });
    expect(res.status).toBe(200);
    const recorded = fixture('intercom-docs/user-or-contact-initiated-conversation-1.1.json');
    expectShapeOf(res.body, recorded);
    expect(Object.keys(res.body).sort()).toEqual(Object.keys(recorded).sort());
  });
});

describe('who a message can name', () => {
  it('an admin reaches a lead by id or user_id, never by email (intercom-node #226)', async () => {
    const byEmail = await post('/messages', {
      body: 'Hi',
      from: { type: 'admin', id: admin.id },
      to: { type: 'contact', email: 'lead-msg@example.com' },
    });
    expect(byEmail.status).toBe(404);
    expect(byEmail.body.errors).toEqual([{ code: 'not_found', message: 'User Not Found' }]);
    for (const to of [
      { type: 'contact', id: lead.id },
      { type: 'contact', user_id: lead.user_id },
    ]) {
      const res = await post('/messages', { body: 'Hi', from: { type: 'admin', id: admin.id }, to });
      expect(res.status).toBe(200);
    }
  });

  it('a lead may send by email; an unknown lead is "User Not Found"', async () => {
    const res = await post('/messages', {
      from: { type: 'contact', email: 'lead-msg@example.com' },
      body: 'Hello',
    });
    expect(res.status).toBe(200);
    const unknown = await post('/messages', { from: { type: 'contact', id: 'nope' }, body: 'Hello' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.errors[0].message).toBe('User Not Found');
  });

  it('a visitor sending as a contact becomes a lead, whose conversation it starts', async () => {
    const visitor = (await call(sandbox, `/visitors?user_id=${SEED_VISITOR_USER_IDS[0]}`)).body;
    expect(visitor.type).toBe('visitor');
    const res = await post('/messages', {
      from: { type: 'contact', user_id: SEED_VISITOR_USER_IDS[0] },
      body: 'Is anyone there?',
    });
    expect(res.status).toBe(200);
    expect((await call(sandbox, `/visitors/${visitor.id}`)).status).toBe(404);
    const asLead = await call(sandbox, `/contacts/${visitor.id}`);
    expect(asLead.body).toMatchObject({ type: 'contact', id: visitor.id });
    const conversations = await call(sandbox, `/conversations?type=user&intercom_user_id=${visitor.id}`);
    expect(conversations.body.conversations.map((c: any) => c.conversation_message.id)).toEqual([
      res.body.id,
    ]);
    expect(conversations.body.conversations[0].user).toEqual({ type: 'lead', id: visitor.id });
  });
});
