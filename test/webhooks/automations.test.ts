/**
 * Webhooks end to end: the sandbox sends signed notifications for changes made through the API, the
 * local intake verifies and queues them, the automation worker runs the rules, and their writes go
 * back to the sandbox. Plus redeliveries, ordering and the loop guard.
 */
import { createHmac } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type BulkTestStack, startBulkTestStack } from '../helpers/bulk-stack.ts';

const RULES = fileURLToPath(new URL('../fixtures/webhooks/rules.yaml', import.meta.url));
const SECRET = 'webhook-secret-for-tests';

let t: BulkTestStack;
beforeAll(async () => {
  t = await startBulkTestStack({}, { AUTOMATIONS_FILE: RULES, INTERCOM_WEBHOOK_SECRET: SECRET });
}, 30_000);
afterAll(async () => t?.close());

/** Waits until the sandbox has nothing left to deliver and the worker nothing left to run, and it stays so. */
async function settle(): Promise<void> {
  let sent = -1;
  for (let round = 0; round < 20; round++) {
    await t.stack.sandbox!.webhooks.idle();
    await t.stack.automations.workerSource!.drained(20_000);
    const now = t.stack.sandbox!.stats().webhooks.sent;
    if (now === sent) return;
    sent = now;
  }
}

/** A notification object, or its JSON text as is (for numbers JSON.stringify cannot write). */
function signed(notification: object | string): { body: string; headers: Record<string, string> } {
  const body = typeof notification === 'string' ? notification : JSON.stringify(notification);
  return {
    body,
    headers: {
      'x-hub-signature': `sha1=${createHmac('sha1', SECRET).update(body).digest('hex')}`,
      'content-type': 'application/json',
    },
  };
}

async function deliver(notification: object | string) {
  const { body, headers } = signed(notification);
  const res = await fetch(`${t.stack.url}/webhooks/intercom`, { method: 'POST', headers, body });
  return { status: res.status, json: (await res.json()) as any };
}

/**
 * The conversation a 1.x `user_message` started: the message names itself, not its conversation, so
 * find the user's conversation whose conversation_message has the message's id.
 */
async function conversationOf(message: { id: string }, userId: string): Promise<string> {
  const list = await t.request('POST', '/actions/list_conversations', {
    type: 'user',
    user_id: userId,
    resultsPath: 'conversations',
  });
  return list.json.data.find((c: any) => c.conversation_message.id === message.id).id;
}

async function runs(): Promise<any[]> {
  return (await t.request('GET', '/automations/runs?limit=200')).json.runs;
}

describe('webhook automations', () => {
  it('tags a user created through the API with their email domain (sandbox -> intake -> rule -> sandbox)', async () => {
    const created = await t.request('POST', '/actions/create_user', {
      body: { user_id: 'e2e-1', email: 'ada@lovelace.example' },
    });
    expect(created.status).toBe(200);
    await settle();
    const tags = await t.request('POST', '/actions/list_tags', {});
    expect(tags.json.data.tags.map((tag: any) => tag.name)).toContain('domain:lovelace.example');
    const run = (await runs()).find(
      (r) => r.topic === 'user.created' && r.objectKey === `user:${created.json.data.id}`,
    );
    expect(run.rules).toEqual([
      {
        rule: 'tag-by-domain',
        status: 'ran',
        actions: [
          {
            operation: 'create_tag',
            status: 'succeeded',
            intercomRequestId: expect.any(String),
            durationMs: expect.any(Number),
          },
        ],
      },
    ]);
    const one = await t.request('GET', `/automations/runs/${run.notificationId}`);
    expect(one.json.run).toMatchObject({ notificationId: run.notificationId, topic: 'user.created' });
  });

  it('copies a number from the notification to Intercom as written; one beyond 2^53-1 fails the action', async () => {
    const unsubscribed = (id: string, seats: string) =>
      `{"type":"notification_event","id":"notif_${id}","topic":"user.unsubscribed","app_id":"local",` +
      `"created_at":1800000000,"data":{"type":"notification_event_data","item":{"type":"user",` +
      `"id":"u-${id}","user_id":"${id}","custom_attributes":{"seats":${seats}}}}}`;
    expect((await deliver(unsubscribed('seats-max', '9007199254740991'))).status).toBe(200);
    expect((await deliver(unsubscribed('seats-big', '9007199254740993'))).status).toBe(200);
    await settle();
    const posted = (userId: string) =>
      t.stack
        .sandbox!.requests()
        .filter((r) => r.method === 'POST' && r.path === '/users' && r.rawBody?.includes(`"${userId}"`));
    expect(posted('seats-max').map((r) => r.rawBody)).toEqual([
      '{"user_id":"seats-max","custom_attributes":{"seats_copy":9007199254740991}}',
    ]);
    expect(posted('seats-big')).toEqual([]);
    const run = (await t.request('GET', '/automations/runs/notif_seats-big')).json.run;
    expect(run.rules).toEqual([
      {
        rule: 'copy-seats',
        status: 'ran',
        actions: [
          {
            operation: 'create_update_user',
            status: 'failed',
            error: {
              code: 'validation_failed',
              message:
                '/body/custom_attributes/seats_copy is a number beyond ±9007199254740991 (2^53-1), which cannot be sent exactly: send it as a string',
            },
          },
        ],
      },
    ]);
  });

  it('a filter given a value it does not take fails the action in the run log and writes nothing', async () => {
    const res = await deliver({
      type: 'notification_event',
      id: 'notif_email-list',
      topic: 'user.created',
      app_id: 'local',
      created_at: 1_800_000_000,
      data: { item: { type: 'user', id: 'u-email-list', email: ['x@list.example'] } },
    });
    expect(res.status).toBe(200);
    await settle();
    const run = (await t.request('GET', '/automations/runs/notif_email-list')).json.run;
    expect(run.rules).toEqual([
      {
        rule: 'tag-by-domain',
        status: 'ran',
        actions: [
          {
            operation: 'create_tag',
            status: 'failed',
            error: {
              code: 'template_failed',
              message:
                '/params/body/name: template "{{data.item.email | domain}}": filter "domain" takes text (an email address), not a list',
            },
          },
        ],
      },
    ]);
    const junk = t.stack
      .sandbox!.requests()
      .filter((r) => r.method === 'POST' && r.path === '/tags' && r.rawBody?.includes('list.example'));
    expect(junk).toEqual([]);
  });

  it('runs a notification delivered 100 times once', async () => {
    const user = await t.request('POST', '/actions/create_user', {
      body: { user_id: 'redelivered', email: 'r@hundred.example' },
    });
    await settle();
    const notification = {
      type: 'notification_event',
      id: 'notif_redelivered-100',
      topic: 'user.created',
      app_id: 'local',
      created_at: Math.floor(Date.now() / 1000),
      data: { type: 'notification_event_data', item: { ...user.json.data, email: 'r@redelivered.example' } },
    };
    const answers = [];
    for (let wave = 0; wave < 10; wave++)
      answers.push(...(await Promise.all(Array.from({ length: 10 }, () => deliver(notification)))));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    await settle();
    const posts = t.stack
      .sandbox!.requests()
      .filter(
        (r) =>
          r.method === 'POST' && r.path === '/tags' && (r.body as any)?.name === 'domain:redelivered.example',
      );
    expect(posts).toHaveLength(1);
    expect((await runs()).filter((r) => r.notificationId === 'notif_redelivered-100')).toHaveLength(1);
  });

  it('processes notifications of one object one at a time, in the order they arrived', async () => {
    const user = await t.request('POST', '/actions/create_user', { body: { user_id: 'ordered' } });
    await settle();
    const at = Math.floor(Date.now() / 1000);
    const emails = ['third@order.example', 'first@order.example', 'second@order.example'];
    // Arrival order differs from created_at order: Intercom does not promise order; we keep arrival order.
    for (const [i, email] of emails.entries()) {
      const res = await deliver({
        type: 'notification_event',
        id: `notif_order-${i}`,
        topic: 'user.email.updated',
        created_at: at - i,
        data: { item: { ...user.json.data, email } },
      });
      expect(res.status).toBe(200);
    }
    await settle();
    const notes = t.stack
      .sandbox!.requests()
      .filter(
        (r) =>
          r.method === 'POST' &&
          r.path === '/notes' &&
          String((r.body as any)?.body).includes('order.example'),
      )
      .map((r) => (r.body as any).body);
    expect(notes).toEqual(emails.map((email) => `email is now ${email}`));
  });

  it("stops a rule that answers its own replies (the bot's writes do not trigger rules)", async () => {
    const admins = (await t.request('POST', '/actions/list_admins', {})).json.data.admins;
    const human = admins.find((a: any) => a.id !== '814860' && a.type === 'admin');
    const message = await t.request('POST', '/actions/post_message', {
      body: { from: { type: 'user', user_id: 'e2e-1' }, body: 'Hello, anyone?' },
    });
    expect(message.status).toBe(200);
    await settle();
    const conversationId = await conversationOf(message.json.data, 'e2e-1');
    const reply = await t.request('POST', '/actions/post_reply', {
      conversation_id: conversationId,
      body: { type: 'admin', message_type: 'comment', admin_id: human.id, body: '<p>Hi!</p>' },
    });
    expect(reply.status).toBe(200);
    await settle();
    const conversation = (await t.request('POST', '/actions/get_conversation', { id: conversationId })).json
      .data;
    const comments = conversation.conversation_parts.conversation_parts.filter(
      (p: any) => p.part_type === 'comment' && p.author.type === 'admin',
    );
    // The human's reply and one echo; the echo's own notification was skipped as the bot's write.
    expect(comments.map((p: any) => p.author.id)).toEqual([human.id, '814860']);
    const echoes = (await runs()).filter(
      (r) => r.topic === 'conversation.admin.replied' && r.objectKey === `conversation:${conversationId}`,
    );
    expect(
      echoes
        .flatMap((r) => r.rules)
        .map((r: any) => r.status)
        .sort(),
    ).toEqual(['ran', 'skipped']);
    expect(echoes.flatMap((r) => r.rules).find((r: any) => r.status === 'skipped').reason).toBe('own_write');
  });

  it('caps a loop the bot guard cannot see (ignoreBotAuthors: false) at maxRunsPerObject', async () => {
    const message = await t.request('POST', '/actions/post_message', {
      body: { from: { type: 'user', user_id: 'e2e-1' }, body: 'Another question' },
    });
    await settle();
    const conversationId = await conversationOf(message.json.data, 'e2e-1');
    await t.request('POST', '/actions/post_reply', {
      conversation_id: conversationId,
      body: { type: 'admin', message_type: 'note', admin_id: '814860', body: '<p>first note</p>' },
    });
    await settle();
    const conversation = (await t.request('POST', '/actions/get_conversation', { id: conversationId })).json
      .data;
    const notes = conversation.conversation_parts.conversation_parts.filter(
      (p: any) => p.part_type === 'note',
    );
    expect(notes).toHaveLength(3); // the first note, then two runs of the rule; the third run is capped
    const capped = (await runs())
      .filter((r) => r.objectKey === `conversation:${conversationId}`)
      .flatMap((r) => r.rules);
    expect(capped.filter((r: any) => r.reason === 'run_cap')).toHaveLength(1);
  });
});
