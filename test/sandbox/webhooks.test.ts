import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { Sandbox } from '../../lib/sandbox/server.ts';
import { call, clock, start } from './helpers.ts';
import { type Delivery, type Responder, startReceiver } from './receiver.ts';

const SECRET = 'hub-secret-for-tests';
const time = clock();
const nowSeconds = () => Math.floor(time.now() / 1000);

let sandbox: Sandbox;
let adminId: string;
let receivers: Array<Awaited<ReturnType<typeof startReceiver>>> = [];

beforeAll(async () => {
  sandbox = await start({
    seed: false,
    now: time.now,
    webhooks: { retryDelaysMs: [20, 20], timeoutMs: 2000 },
  });
});
beforeEach(async () => {
  sandbox.reset({ seed: false });
  adminId = (await call(sandbox, '/admins')).body.admins.find((a: any) => a.type === 'admin').id;
});
afterEach(async () => {
  await Promise.all(receivers.map((r) => r.close()));
  receivers = [];
});
afterAll(async () => {
  await sandbox.close();
});

async function receiver(respond?: Responder) {
  const r = await startReceiver(respond);
  receivers.push(r);
  return r;
}

async function control(method: string, body?: unknown) {
  const res = await fetch(`${sandbox.url}/__sandbox/webhooks`, {
    method,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function subscribe(url: string, topics?: unknown, secret = SECRET) {
  const res = await control('POST', { url, secret, ...(topics === undefined ? {} : { topics }) });
  expect(res.status).toBe(201);
  return res.body;
}

const post = (path: string, body: unknown) => call(sandbox, path, { method: 'POST', body });

/** A 1.x `user_message` names the message: its conversation is the one whose message has that id. */
async function conversationOf(message: { id: string }, userId: string): Promise<string> {
  const list = await call(sandbox, `/conversations?type=user&user_id=${userId}`);
  return list.body.conversations.find((c: any) => c.conversation_message.id === message.id).id;
}

function signedWith(delivery: Delivery, secret: string): boolean {
  const expected = Buffer.from(`sha1=${createHmac('sha1', secret).update(delivery.raw).digest('hex')}`);
  const given = Buffer.from(String(delivery.headers['x-hub-signature']));
  return given.length === expected.length && timingSafeEqual(given, expected);
}

describe('subscriptions', () => {
  it('registers with 201, pings the receiver and counts the delivery', async () => {
    const hooks = await receiver();
    const created = await subscribe(hooks.url);
    expect(created).toEqual({
      id: expect.stringMatching(/^nsub_[0-9a-f-]{36}$/),
      url: hooks.url,
      topics: ['*'],
      active: true,
      deliveries: {
        sent: 0,
        failed: 0,
        dropped: 0,
        attempts: 0,
        lastStatus: null,
        lastError: null,
        pending: 1,
      },
    });
    await sandbox.webhooks.idle();

    expect(hooks.received).toHaveLength(1);
    const [ping] = hooks.received;
    expect(ping!.body).toEqual({
      type: 'notification_event',
      app_id: 'sbx7k2qd',
      data: {
        type: 'notification_event_data',
        item: { type: 'ping', message: 'something something interzen' },
      },
      links: {},
      id: null,
      topic: 'ping',
      delivery_status: null,
      delivery_attempts: 1,
      delivered_at: 0,
      first_sent_at: nowSeconds(),
      created_at: nowSeconds(),
      self: null,
    });
    expect(ping!.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'intercom-parrot-service-client/1.0',
      'x-hub-signature': expect.stringMatching(/^sha1=[0-9a-f]{40}$/),
    });
    expect(signedWith(ping!, SECRET)).toBe(true);

    const listed = await control('GET');
    expect(listed).toEqual({
      status: 200,
      body: {
        subscriptions: [
          {
            ...created,
            deliveries: { ...created.deliveries, sent: 1, attempts: 1, lastStatus: 200, pending: 0 },
          },
        ],
        pending: 0,
      },
    });
    expect(sandbox.webhooks.list()).toEqual(listed.body.subscriptions);
  });

  it('removes every subscription with DELETE, and with a reset', async () => {
    const hooks = await receiver();
    await subscribe(hooks.url);
    await subscribe(hooks.url, ['user.created']);
    expect(await control('DELETE')).toEqual({ status: 200, body: { removed: 2 } });
    expect((await control('GET')).body).toEqual({ subscriptions: [], pending: 0 });

    await subscribe(hooks.url);
    await sandbox.webhooks.idle();
    const reset = await fetch(`${sandbox.url}/__sandbox/reset`, { method: 'POST', body: '{"seed":false}' });
    expect(reset.status).toBe(200);
    expect((await control('GET')).body.subscriptions).toEqual([]);
    const before = hooks.received.length;
    await post('/users', { user_id: 'after-reset' });
    await sandbox.webhooks.idle();
    expect(hooks.received).toHaveLength(before);
  });

  it('shows webhook totals in the stats', async () => {
    const hooks = await receiver();
    await subscribe(hooks.url);
    await post('/users', { user_id: 'counted' });
    await sandbox.webhooks.idle();
    const stats: any = await (await fetch(`${sandbox.url}/__sandbox/stats`)).json();
    expect(stats.webhooks).toEqual({ subscriptions: 1, pending: 0, sent: 2, failed: 0, dropped: 0 });
    expect(sandbox.stats().webhooks).toEqual(stats.webhooks);
  });
});

describe('validation of POST /__sandbox/webhooks', () => {
  const invalid = (problems: string[]) => ({
    status: 400,
    body: {
      type: 'error.list',
      request_id: expect.any(String),
      errors: [
        { code: 'parameter_invalid', message: `Invalid webhook subscription: ${problems.join('; ')}` },
      ],
      problems,
    },
  });

  it.each([
    ['not an object', [1], ['the subscription must be a JSON object']],
    ['no body fields', {}, ['url must be an http or https URL', 'secret must be a non-empty string']],
    [
      'an ftp url, an empty secret and an unknown topic',
      { url: 'ftp://example.com/hook', secret: '', topics: ['user.created', 'user.updated'] },
      [
        'url must be an http or https URL',
        'secret must be a non-empty string',
        'topics[1] "user.updated" is not an Intercom 1.x webhook topic',
      ],
    ],
    [
      'a 2.x topic',
      { url: 'http://127.0.0.1:9/h', secret: 's', topics: ['contact.user.created'] },
      ['topics[0] "contact.user.created" is not an Intercom 1.x webhook topic'],
    ],
    [
      'an empty topic list',
      { url: 'http://127.0.0.1:9/h', secret: 's', topics: [] },
      ['topics must name at least one topic'],
    ],
    [
      'topics that are not a list',
      { url: 'http://127.0.0.1:9/h', secret: 's', topics: 'user.created' },
      ['topics must be an array of topic names, or "*"'],
    ],
    [
      'an unknown field',
      { url: 'http://127.0.0.1:9/h', secret: 's', hub_secret: 's' },
      ['hub_secret is not a subscription field (url, secret, topics)'],
    ],
    ['a url that is not a URL', { url: 'not a url', secret: 's' }, ['url must be an http or https URL']],
  ])('rejects %s with 400 and registers nothing', async (_label, body, problems) => {
    expect(await control('POST', body)).toEqual(invalid(problems));
    expect((await control('GET')).body.subscriptions).toEqual([]);
  });

  it('rejects a body that is not JSON', async () => {
    expect(await control('POST', '{nope')).toEqual({
      status: 400,
      body: {
        type: 'error.list',
        request_id: expect.any(String),
        errors: [{ code: 'parameter_invalid', message: 'The request body is not valid JSON' }],
      },
    });
  });

  it('answers other methods with 405', async () => {
    expect((await control('PUT', {})).status).toBe(405);
  });

  it('accepts "*" and any listed topic, even one the sandbox never emits', async () => {
    const hooks = await receiver();
    expect((await subscribe(hooks.url, '*')).topics).toEqual(['*']);
    expect((await subscribe(hooks.url, ['conversation.deleted', 'ping'])).topics).toEqual([
      'conversation.deleted',
      'ping',
    ]);
    expect((await subscribe(hooks.url, ['user.created', '*'])).topics).toEqual(['*']);
  });
});

describe('notifications of API changes', () => {
  it('sends each change, in order, with the item as the API renders it (timestamps as 1.x notifications have them)', async () => {
    const hooks = await receiver();
    await subscribe(hooks.url);
    const [ada, brian] = (await call(sandbox, '/admins')).body.admins.filter((a: any) => a.type === 'admin');

    const user = await post('/users', { user_id: 'u-1', email: 'alice@example.com', name: 'Alice' });
    await post('/users', { user_id: 'u-1', email: 'alice@new.example' });
    await post('/tags', { name: 'VIP', users: [{ user_id: 'u-1' }] });
    await post('/tags', { name: 'VIP', users: [{ user_id: 'u-1', untag: true }] });
    const message = await post('/messages', { from: { type: 'user', user_id: 'u-1' }, body: 'Help' });
    const conversation = await conversationOf(message.body, 'u-1');
    const reply = (body: object) => post(`/conversations/${conversation}/reply`, body);
    await reply({ type: 'admin', admin_id: ada.id, message_type: 'comment', body: 'On it' });
    await reply({ type: 'user', user_id: 'u-1', message_type: 'comment', body: 'Thanks' });
    await reply({ type: 'admin', admin_id: ada.id, message_type: 'note', body: 'VIP' });
    await reply({ type: 'admin', admin_id: ada.id, message_type: 'assignment', assignee_id: brian.id });
    await reply({
      type: 'admin',
      admin_id: brian.id,
      message_type: 'snoozed',
      snoozed_until: nowSeconds() + 60,
    });
    await reply({ type: 'admin', admin_id: brian.id, message_type: 'open' });
    await reply({ type: 'admin', admin_id: brian.id, message_type: 'close' });
    await reply({ type: 'admin', admin_id: brian.id, message_type: 'open' });
    await post('/messages', {
      message_type: 'inapp',
      from: { type: 'admin', id: ada.id },
      to: { type: 'user', user_id: 'u-1' },
      body: 'Welcome',
    });
    const lead = (await post('/contacts', { name: 'Lena Lead' })).body;
    await post('/contacts', { id: lead.id, email: 'lena@example.com' });
    await post('/tags', { name: 'Prospect', users: [{ id: lead.id }] });
    await post('/contacts/convert', { contact: { id: lead.id }, user: { user_id: 'u-2' } });
    await post('/companies', { company_id: 'acme', name: 'Acme' });
    await post('/events', { event_name: 'invited-friend', created_at: nowSeconds(), user_id: 'u-1' });
    const visitor: any = await (await fetch(`${sandbox.url}/__sandbox/visitors`, { method: 'POST' })).json();
    await post('/visitors/convert', { visitor: { id: visitor.id }, user: { user_id: 'u-3' }, type: 'user' });
    await post('/users', { user_id: 'u-1', unsubscribed_from_emails: true });
    const other = (await post('/contacts', { email: 'gone@example.com' })).body;
    await call(sandbox, `/contacts/${other.id}`, { method: 'DELETE' });
    await call(sandbox, '/users?user_id=u-1', { method: 'DELETE' });
    await sandbox.webhooks.idle();

    expect(hooks.topics()).toEqual([
      'ping',
      'user.created',
      'user.email.updated',
      'user.tag.created',
      'user.tag.deleted',
      'conversation.user.created',
      'conversation.admin.replied',
      'conversation.user.replied',
      'conversation.admin.noted',
      'conversation.admin.assigned',
      'conversation.admin.snoozed',
      'conversation.admin.unsnoozed',
      'conversation.admin.closed',
      'conversation.admin.opened',
      'conversation.admin.single.created',
      'contact.created',
      'contact.added_email',
      'contact.updated',
      'contact.tag.created',
      'contact.signed_up',
      'company.created',
      'event.created',
      'visitor.signed_up',
      'user.unsubscribed',
      'contact.created',
      'contact.deleted',
      'user.deleted',
    ]);
    for (const delivery of hooks.received) expect(signedWith(delivery, SECRET)).toBe(true);
    const ids = hooks.received.map((d) => d.body.id).filter((id) => id !== null);
    expect(new Set(ids).size).toBe(ids.length);

    const [created] = hooks.of('user.created');
    expect(Object.keys(created)).toEqual([
      'type',
      'app_id',
      'data',
      'links',
      'id',
      'topic',
      'delivery_status',
      'delivery_attempts',
      'delivered_at',
      'first_sent_at',
      'created_at',
      'self',
    ]);
    // The user as the API renders it, but with its own created_at/updated_at as strings, as the
    // recorded 1.x payloads have them (intercom-ruby and python-intercom test_user_notification).
    const asNotified = {
      ...user.body,
      created_at: String(user.body.created_at),
      updated_at: String(user.body.updated_at),
    };
    expect(created).toEqual({
      type: 'notification_event',
      app_id: 'sbx7k2qd',
      data: { type: 'notification_event_data', item: asNotified },
      links: {},
      id: expect.stringMatching(/^notif_[0-9a-f-]{36}$/),
      topic: 'user.created',
      delivery_status: 'pending',
      delivery_attempts: 1,
      delivered_at: 0,
      first_sent_at: nowSeconds(),
      created_at: nowSeconds(),
      self: null,
    });
    expect(hooks.of('user.email.updated')[0].data.item).toMatchObject({
      type: 'user',
      email: 'alice@new.example',
    });

    expect(hooks.of('user.tag.created')[0].data.item).toEqual({
      type: 'user_tag',
      created_at: nowSeconds(),
      tag: { type: 'tag', id: expect.any(String), name: 'VIP' },
      user: expect.objectContaining({ type: 'user', id: user.body.id, user_id: 'u-1' }),
      admin: { type: 'admin', id: ada.id },
    });
    expect(hooks.of('contact.tag.created')[0].data.item).toEqual({
      type: 'contact_tag',
      created_at: nowSeconds(),
      tag: { type: 'tag', id: expect.any(String), name: 'Prospect' },
      contact: expect.objectContaining({ type: 'contact', id: lead.id }),
    });

    // Only the part that caused the notification, with its author: how a bot recognises its own writes.
    const replied = hooks.of('conversation.admin.replied')[0].data.item;
    expect(replied).toMatchObject({
      type: 'conversation',
      id: conversation,
      user: { type: 'user', id: user.body.id },
      conversation_message: { body: 'Help', author: { type: 'user', id: user.body.id } },
      conversation_parts: {
        type: 'conversation_part.list',
        conversation_parts: [
          {
            type: 'conversation_part',
            part_type: 'comment',
            body: 'On it',
            author: { type: 'admin', id: ada.id },
          },
        ],
        total_count: 1,
      },
    });
    expect(hooks.of('conversation.user.replied')[0].data.item.conversation_parts.conversation_parts).toEqual([
      expect.objectContaining({ part_type: 'comment', author: { type: 'user', id: user.body.id } }),
    ]);
    expect(hooks.of('conversation.admin.assigned')[0].data.item).toMatchObject({
      assignee: { type: 'admin', id: brian.id },
      conversation_parts: {
        conversation_parts: [{ part_type: 'assignment', assigned_to: { id: brian.id } }],
      },
    });
    expect(hooks.of('conversation.admin.closed')[0].data.item).toMatchObject({
      open: false,
      state: 'closed',
    });
    const started = hooks.of('conversation.admin.single.created')[0].data.item;
    expect(started.conversation_message.author).toEqual({ type: 'admin', id: ada.id });
    expect(started.conversation_parts).toEqual({
      type: 'conversation_part.list',
      conversation_parts: [],
      total_count: 0,
    });

    expect(hooks.of('contact.added_email')[0].data.item).toMatchObject({
      type: 'contact',
      id: lead.id,
      email: 'lena@example.com',
    });
    expect(hooks.of('contact.signed_up')[0].data.item).toMatchObject({ type: 'user', user_id: 'u-2' });
    expect(hooks.of('visitor.signed_up')[0].data.item).toMatchObject({
      type: 'user',
      id: visitor.id,
      user_id: 'u-3',
    });
    expect(hooks.of('company.created')[0].data.item).toMatchObject({
      type: 'company',
      company_id: 'acme',
      name: 'Acme',
    });
    expect(hooks.of('event.created')[0].data.item).toEqual({
      type: 'event',
      id: expect.any(String),
      created_at: nowSeconds(),
      event_name: 'invited-friend',
      user_id: 'u-1',
      email: 'alice@new.example',
      intercom_user_id: user.body.id,
      metadata: {},
    });
    expect(hooks.of('user.unsubscribed')[0].data.item).toMatchObject({ unsubscribed_from_emails: true });
    expect(hooks.of('user.deleted')[0].data.item).toEqual({
      type: 'user',
      id: user.body.id,
      user_id: 'u-1',
      email: 'alice@new.example',
    });
    expect(hooks.of('contact.deleted')[0].data.item).toEqual({
      type: 'contact',
      id: other.id,
      user_id: other.user_id,
      email: 'gone@example.com',
    });
  });

  it('notifies a company created through a user update, and nothing for refused requests', async () => {
    const hooks = await receiver();
    await subscribe(hooks.url);
    await post('/users', { user_id: 'u-1', companies: [{ company_id: 'new-co', name: 'New Co' }] });
    expect((await post('/users', { user_id: 'u-1', name: 5 })).status).toBe(400);
    expect((await post('/tags', { name: 'Ghost', users: [{ user_id: 'nobody' }] })).status).toBe(404);
    await call(sandbox, '/users');
    await sandbox.webhooks.idle();
    expect(hooks.topics()).toEqual(['ping', 'company.created', 'user.created']);
    // Rendered once the request finished: the company already counts its new user.
    expect(hooks.of('company.created')[0].data.item.user_count).toBe(1);
  });

  it('sends no user.tag.created for bulk tagging (several users in one request), but every untag', async () => {
    const hooks = await receiver();
    await post('/users', { user_id: 'a' });
    await post('/users', { user_id: 'b' });
    await subscribe(hooks.url);
    await post('/tags', { name: 'Bulk', users: [{ user_id: 'a' }, { user_id: 'b' }] });
    await post('/tags', { name: 'Bulk', users: [{ user_id: 'a' }] });
    await post('/tags', {
      name: 'Bulk',
      users: [
        { user_id: 'a', untag: true },
        { user_id: 'b', untag: true },
      ],
    });
    await post('/tags', { name: 'Bulk', users: [{ user_id: 'a', untag: true }] });
    await sandbox.webhooks.idle();
    expect(hooks.topics()).toEqual(['ping', 'user.tag.deleted', 'user.tag.deleted']);
  });

  it('sends only the subscribed topics (and pings), to each subscription separately', async () => {
    const replies = await receiver();
    const everything = await receiver();
    await subscribe(replies.url, ['conversation.admin.replied']);
    await subscribe(everything.url);
    await post('/users', { user_id: 'u-1' });
    const message = await post('/messages', { from: { type: 'user', user_id: 'u-1' }, body: 'Hi' });
    const conversation = await conversationOf(message.body, 'u-1');
    await post(`/conversations/${conversation}/reply`, {
      type: 'admin',
      admin_id: adminId,
      message_type: 'comment',
      body: 'Hello',
    });
    await sandbox.webhooks.idle();
    expect(replies.topics()).toEqual(['ping', 'conversation.admin.replied']);
    expect(everything.topics()).toEqual([
      'ping',
      'user.created',
      'conversation.user.created',
      'conversation.admin.replied',
    ]);
    expect(replies.received[1]!.body.id).not.toBe(everything.received[3]!.body.id);
    expect(replies.received[1]!.body.data).toEqual(everything.received[3]!.body.data);
  });

  it('signs with the subscription secret: another secret does not verify', async () => {
    const hooks = await receiver();
    await subscribe(hooks.url, ['user.created'], 'first-secret');
    await post('/users', { user_id: 'signed' });
    await sandbox.webhooks.idle();
    const [, delivery] = hooks.received;
    expect(signedWith(delivery!, 'first-secret')).toBe(true);
    expect(signedWith(delivery!, 'other-secret')).toBe(false);
    expect(
      signedWith({ ...delivery!, raw: Buffer.from(JSON.stringify(delivery!.body, null, 1)) }, 'first-secret'),
    ).toBe(false);
  });
});

describe('delivery', () => {
  it('retries a 500 with the same id and first_sent_at, counting delivery_attempts', async () => {
    const hooks = await receiver((delivery, index) => {
      if (delivery.body.topic !== 'user.created' || index > 1) return 200;
      time.advance(60_000);
      return 500;
    });
    await subscribe(hooks.url);
    const sentAt = nowSeconds();
    await post('/users', { user_id: 'retry' });
    await sandbox.webhooks.idle();

    const [first, second] = hooks.of('user.created');
    expect(first.delivery_attempts).toBe(1);
    expect(second.delivery_attempts).toBe(2);
    expect(second.id).toBe(first.id);
    expect(second.first_sent_at).toBe(sentAt);
    expect(second.created_at).toBe(sentAt);
    expect(hooks.received.every((d) => signedWith(d, SECRET))).toBe(true);
    expect((await control('GET')).body.subscriptions[0].deliveries).toEqual({
      sent: 2,
      failed: 0,
      dropped: 0,
      attempts: 3,
      lastStatus: 200,
      lastError: null,
      pending: 0,
    });
  });

  it('gives up after the last retry and keeps delivering later changes in order', async () => {
    const hooks = await receiver((delivery) => (delivery.body.data.item.user_id === 'doomed' ? 503 : 200));
    await subscribe(hooks.url, ['user.created']);
    await post('/users', { user_id: 'doomed' });
    await post('/users', { user_id: 'fine' });
    await sandbox.webhooks.idle();
    expect(hooks.of('user.created').map((n) => [n.data.item.user_id, n.delivery_attempts])).toEqual([
      ['doomed', 1],
      ['doomed', 2],
      ['doomed', 3],
      ['fine', 1],
    ]);
    expect(sandbox.webhooks.list()[0]!.deliveries).toMatchObject({ sent: 2, failed: 1, attempts: 5 });
  });

  it('does not make the API wait for a receiver, which may be unreachable', async () => {
    let release: () => void = () => {};
    const held = new Promise<number>((resolve) => {
      release = () => resolve(200);
    });
    const hooks = await receiver((delivery) => (delivery.body.topic === 'user.created' ? held : 200));
    await subscribe(hooks.url);
    await sandbox.webhooks.idle();
    expect((await post('/users', { user_id: 'quick' })).status).toBe(200);
    expect((await post('/users', { user_id: 'quicker' })).status).toBe(200);
    expect(sandbox.webhooks.pending()).toBe(2);
    release();
    await sandbox.webhooks.idle();
    expect(hooks.of('user.created').map((n) => n.data.item.user_id)).toEqual(['quick', 'quicker']);

    const closed = await receiver();
    const url = closed.url;
    await closed.close();
    await subscribe(url, ['user.created']);
    expect((await post('/users', { user_id: 'nobody-listens' })).status).toBe(200);
    await sandbox.webhooks.idle();
    const unreachable = sandbox.webhooks.list().find((s) => s.url === url)!;
    expect(unreachable.deliveries).toMatchObject({ sent: 0, failed: 2, attempts: 6, lastStatus: 0 });
    expect(unreachable.deliveries.lastError).toEqual(expect.any(String));
  });

  it('stops sending to a receiver that answers 410 Gone, as Intercom disables it', async () => {
    const hooks = await receiver((delivery) => (delivery.body.topic === 'ping' ? 200 : 410));
    await subscribe(hooks.url);
    await post('/users', { user_id: 'first' });
    await post('/users', { user_id: 'second' });
    await sandbox.webhooks.idle();
    expect(hooks.topics()).toEqual(['ping', 'user.created']);
    expect(sandbox.webhooks.list()[0]).toMatchObject({
      active: false,
      deliveries: { failed: 1, attempts: 2 },
    });
  });
});
