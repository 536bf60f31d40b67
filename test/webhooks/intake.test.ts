/** POST /webhooks/intercom through the local API Gateway: every signature case and bad payload, exact status and code. */
import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createWebhookHandler } from '../../lib/http/webhook-handler.ts';
import { encodeCursor } from '../../lib/intercom/cursor.ts';
import { type BulkTestStack, startBulkTestStack } from '../helpers/bulk-stack.ts';
import { httpEvent, testContext } from '../helpers/events.ts';

const SECRETS = 'new-secret-2026,old-secret-2025';
let t: BulkTestStack;
beforeAll(async () => {
  t = await startBulkTestStack({}, { INTERCOM_WEBHOOK_SECRET: SECRETS, WEBHOOK_MAX_BODY_BYTES: '4096' });
}, 30_000);
afterAll(async () => t?.close());

const notification = (id: string, extra: object = {}) => ({
  type: 'notification_event',
  id,
  topic: 'company.created',
  app_id: 'local',
  created_at: 1_800_000_000,
  data: { type: 'notification_event_data', item: { type: 'company', id: `c-${id}`, name: 'Acme' } },
  ...extra,
});
const hmac = (algorithm: string, secret: string, body: string | Buffer) =>
  createHmac(algorithm, secret).update(body).digest('hex');

async function post(body: string | Buffer, headers: Record<string, string>) {
  const res = await fetch(`${t.stack.url}/webhooks/intercom`, { method: 'POST', headers, body });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

describe('webhook intake', () => {
  const body = JSON.stringify(notification('notif_intake-1'));

  it('accepts a body signed with the current secret, and with the previous one during a rotation', async () => {
    for (const [i, secret] of ['new-secret-2026', 'old-secret-2025'].entries()) {
      const b = JSON.stringify(notification(`notif_rotation-${i}`));
      const res = await post(b, {
        'content-type': 'application/json',
        'x-hub-signature': `sha1=${hmac('sha1', secret, b)}`,
      });
      expect(res).toMatchObject({ status: 200, json: { received: true } });
    }
  });

  it('acknowledges a redelivery without queuing it again', async () => {
    const b = JSON.stringify(notification('notif_again'));
    const headers = {
      'content-type': 'application/json',
      'x-hub-signature': `sha1=${hmac('sha1', 'new-secret-2026', b)}`,
    };
    expect((await post(b, headers)).json).toEqual({ received: true });
    expect((await post(b, headers)).json).toEqual({ received: true, duplicate: true });
  });

  it('verifies the raw bytes of a base64-encoded body', async () => {
    const b = Buffer.from(JSON.stringify(notification('notif_binary')));
    // An octet-stream body reaches the Lambda base64-encoded, as API Gateway passes it.
    const res = await post(b, {
      'content-type': 'application/octet-stream',
      'x-hub-signature': `sha1=${hmac('sha1', 'new-secret-2026', b)}`,
    });
    expect(res.status).toBe(200);
  });

  it('415 for a signed body declared in a charset other than UTF-8; 401 first when unsigned', async () => {
    const b = JSON.stringify(notification('notif_utf16'));
    const signature = `sha1=${hmac('sha1', 'new-secret-2026', b)}`;
    const declared = await post(b, {
      'content-type': 'application/json; charset=utf-16',
      'x-hub-signature': signature,
    });
    expect(declared.status).toBe(415);
    expect(declared.json.error).toMatchObject({ status: 415, code: 'unsupported_media_type' });
    const unsigned = await post(b, { 'content-type': 'application/json; charset=utf-16' });
    expect(unsigned.json.error).toMatchObject({ status: 401, code: 'invalid_signature' });
  });

  it('verifies the bytes as sent and then reads them as UTF-8: a byte order mark is skipped, other bytes are 400', async () => {
    const bom = Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(JSON.stringify(notification('notif_bom'))),
    ]);
    const withBom = await post(bom, {
      'content-type': 'application/octet-stream',
      'x-hub-signature': `sha1=${hmac('sha1', 'new-secret-2026', bom)}`,
    });
    expect(withBom).toMatchObject({ status: 200, json: { received: true } });
    const latin1 = Buffer.from(JSON.stringify(notification('notif_latin1', { note: 'caf\xe9' })), 'latin1');
    const notUtf8 = await post(latin1, {
      'content-type': 'application/octet-stream',
      'x-hub-signature': `sha1=${hmac('sha1', 'new-secret-2026', latin1)}`,
    });
    expect(notUtf8.status).toBe(400);
    expect(notUtf8.json.error).toMatchObject({ status: 400, code: 'invalid_json' });
  });

  it.each([
    ['a wrong secret', { 'x-hub-signature': `sha1=${hmac('sha1', 'wrong', body)}` }],
    [
      'a re-serialised body',
      {
        'x-hub-signature': `sha1=${hmac('sha1', 'new-secret-2026', JSON.stringify(JSON.parse(body), null, 1))}`,
      },
    ],
    ['no signature', {}],
    ['an empty signature', { 'x-hub-signature': '' }],
    ['a malformed signature', { 'x-hub-signature': 'sha1=not-hex' }],
    [
      'a SHA-256 in the hub header',
      { 'x-hub-signature': `sha256=${hmac('sha256', 'new-secret-2026', body)}` },
    ],
    ['a wrong body signature', { 'x-body-signature': hmac('sha256', 'wrong', body) }],
  ])('401 invalid_signature for %s', async (_name, headers) => {
    const res = await post(body, { 'content-type': 'application/json', ...headers });
    expect(res.status).toBe(401);
    expect(res.json.error).toMatchObject({ status: 401, code: 'invalid_signature' });
  });

  it('acknowledges a ping and an uninstall request (X-Body-Signature) without queuing them', async () => {
    const ping = JSON.stringify({
      type: 'notification_event',
      id: null,
      topic: 'ping',
      data: { item: { type: 'ping', message: 'hi' } },
    });
    expect(
      (
        await post(ping, {
          'content-type': 'application/json',
          'x-hub-signature': `sha1=${hmac('sha1', 'new-secret-2026', ping)}`,
        })
      ).status,
    ).toBe(200);
    const uninstall = JSON.stringify({ app_id: 'local', admin_id: '814860' });
    const res = await post(uninstall, {
      'content-type': 'application/json',
      'x-body-signature': hmac('sha256', 'old-secret-2025', uninstall),
    });
    expect(res).toMatchObject({ status: 200, json: { received: true } });
  });

  it.each([
    ['invalid JSON', '{"type": "notification_event",', 400, 'invalid_json'],
    ['an array', '[1, 2]', 400, 'validation_failed'],
    ['null', 'null', 400, 'validation_failed'],
    [
      'an item nested 100 levels deep',
      JSON.stringify(
        notification('notif_deep', {
          data: { item: { type: 'company', id: 'd', x: JSON.parse(`${'['.repeat(100)}${']'.repeat(100)}`) } },
        }),
      ),
      400,
      'validation_failed',
    ],
    ['no id', JSON.stringify({ ...notification('x'), id: undefined }), 400, 'validation_failed'],
    [
      'a bad topic',
      JSON.stringify(notification('notif_t', { topic: 'User Created!' })),
      400,
      'validation_failed',
    ],
    ['no item', JSON.stringify({ ...notification('notif_i'), data: {} }), 400, 'validation_failed'],
    ['another type', JSON.stringify(notification('notif_y', { type: 'event' })), 400, 'validation_failed'],
    [
      'a body over the limit',
      JSON.stringify(notification('notif_big', { pad: 'x'.repeat(5000) })),
      413,
      'payload_too_large',
    ],
  ])('a signed payload with %s: 4xx, never a 5xx', async (_name, payload, status, code) => {
    const res = await post(payload as string, {
      'content-type': 'application/json',
      'x-hub-signature': `sha1=${hmac('sha1', 'new-secret-2026', payload as string)}`,
    });
    expect(res.status).toBe(status);
    expect(res.json.error.code).toBe(code);
  });
});

describe('the intake dedupe record', () => {
  async function store() {
    const { documentClient } = await import('../../lib/aws/clients.ts');
    const { automationSettings } = await import('../../lib/automations/settings.ts');
    const { NotificationStore } = await import('../../lib/automations/notification-store.ts');
    const settings = automationSettings();
    return new NotificationStore(documentClient(), settings.table, settings.retentionDays);
  }

  it('is a conditional write: the first delivery to mark a notification wins, a second is a duplicate', async () => {
    const s = await store();
    expect(await s.isKnown('default', 'notif_cond-1')).toBe(false);
    expect(await s.markReceived('default', 'notif_cond-1', 'user.created', 1_800_000_000_000)).toBe(true);
    expect(await s.markReceived('default', 'notif_cond-1', 'user.created', 1_800_000_001_000)).toBe(false);
    expect(await s.isKnown('default', 'notif_cond-1')).toBe(true);
  });

  it('is kept per workspace: the same notification id of another workspace is not a duplicate', async () => {
    const s = await store();
    expect(await s.markReceived('eu', 'notif_same-id', 'user.created', 1_800_000_000_000)).toBe(true);
    expect(await s.isKnown('us', 'notif_same-id')).toBe(false);
    expect(await s.markReceived('us', 'notif_same-id', 'user.created', 1_800_000_000_000)).toBe(true);
    expect((await s.claim('us', 'notif_same-id', 1_800_000_060_000, 1_800_000_000_000)).kind).toBe('claimed');
    // The other workspace's worker is not held back by this claim.
    expect((await s.claim('eu', 'notif_same-id', 1_800_000_060_000, 1_800_000_000_000)).kind).toBe('claimed');
  });

  it('is kept per workspace even when names hold the separator: (a#b, c) is not (a, b#c)', async () => {
    const s = await store();
    expect(await s.markReceived('tenant#b', 'notif_sep', 'user.created', 1_800_000_000_000)).toBe(true);
    expect(await s.isKnown('tenant', 'b#notif_sep')).toBe(false);
    expect(await s.markReceived('tenant', 'b#notif_sep', 'user.created', 1_800_000_000_000)).toBe(true);
  });

  it('a worker that claimed the notification before the intake marked it does not make the first delivery a duplicate', async () => {
    const s = await store();
    expect((await s.claim('default', 'notif_cond-2', 1_800_000_060_000, 1_800_000_000_000)).kind).toBe(
      'claimed',
    );
    expect(await s.markReceived('default', 'notif_cond-2', 'user.created', 1_800_000_000_500)).toBe(true);
    // The worker's state is untouched: a second claim while the lease holds finds it busy.
    expect((await s.claim('default', 'notif_cond-2', 1_800_000_060_000, 1_800_000_001_000)).kind).toBe(
      'busy',
    );
  });
});

describe('webhook intake configuration', () => {
  it('fails closed when no secret is configured', async () => {
    const handler = createWebhookHandler({
      config: {
        workspaces: new Map([
          [
            'default',
            { name: 'default', accessToken: 't', region: 'us', version: '1.4', webhookSecrets: [] },
          ],
        ]),
        defaultWorkspace: 'default',
      },
      store: { isKnown: async () => false } as never,
      queue: {} as never,
    });
    const b = JSON.stringify(notification('notif_nosecret'));
    const res = await handler(
      httpEvent({
        method: 'POST',
        path: '/webhooks/intercom',
        body: b,
        headers: { 'x-hub-signature': `sha1=${hmac('sha1', '', b)}` },
      }),
      testContext() as never,
    );
    expect(res.statusCode).toBe(401);
    expect(JSON.parse(res.body!).error.code).toBe('invalid_signature');
  });

  it('refuses to start with an invalid rules file, naming the problems', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rules-'));
    const file = join(dir, 'automations.yaml');
    writeFileSync(
      file,
      'rules:\n  - name: bad\n    topics: [user.creatd]\n    actions:\n      - operation: tag_userz\n',
    );
    await expect(startBulkTestStack({}, { AUTOMATIONS_FILE: file })).rejects.toThrow(
      /user\.creatd[\s\S]*tag_userz|tag_userz[\s\S]*user\.creatd/,
    );
  });
});

describe('the run log', () => {
  it('pages with the cursors it returns, and refuses any other: 400 validation_failed on /next', async () => {
    for (let i = 0; i < 2; i++) {
      const b = JSON.stringify(notification(`notif_cursor-${i}`));
      const signed = {
        'content-type': 'application/json',
        'x-hub-signature': `sha1=${hmac('sha1', 'new-secret-2026', b)}`,
      };
      expect((await post(b, signed)).status).toBe(200);
    }
    await t.stack.automations.workerSource!.drained(20_000);
    const first = await t.request('GET', '/automations/runs?limit=1');
    expect(first.json.runs).toHaveLength(1);
    const second = await t.request('GET', `/automations/runs?limit=1&next=${first.json.next}`);
    expect(second.status).toBe(200);
    expect(second.json.runs[0].notificationId).not.toBe(first.json.runs[0].notificationId);

    const token = (fields: object) => Buffer.from(JSON.stringify(fields)).toString('base64url');
    const today = new Date().toISOString().slice(0, 10);
    for (const next of [
      '',
      '!!!',
      `${first.json.next}!!!`,
      token({ day: today }),
      token({ k: 'automation-runs', ws: 'default', day: '9999-12-31' }),
      token({ k: 'automation-runs', ws: 'default', day: '2026-02-30' }),
      token({ k: 'automation-runs', ws: 'default', day: today, sk: '000000000000001#notif_x' }),
      token({ k: 'automation-runs', ws: 'another-workspace', day: today }),
      token({ k: 'bulk-failures', job: 'job_abcdefgh1234', after: 1 }),
      encodeCursor('list_users', { kind: 'link', path: '/users?page=2', skip: 0 }),
    ]) {
      const res = await t.request('GET', `/automations/runs?next=${encodeURIComponent(next)}`);
      expect([next, res.status, res.json.error?.code]).toEqual([next, 400, 'validation_failed']);
      expect(res.json.error.details).toEqual([{ path: '/next', message: 'is not a cursor of this run log' }]);
    }
  });

  it.each([
    ['no key', '/automations/runs', { authorization: '' }, 401, 'unauthorized'],
    ['limit 0', '/automations/runs?limit=0', {}, 400, 'validation_failed'],
    ['limit 201', '/automations/runs?limit=201', {}, 400, 'validation_failed'],
    ['limit 1e1', '/automations/runs?limit=1e1', {}, 400, 'validation_failed'],
    ['limit empty', '/automations/runs?limit=', {}, 400, 'validation_failed'],
    ['a bad cursor', '/automations/runs?next=abc', {}, 400, 'validation_failed'],
    ['an unknown notification', '/automations/runs/notif_unknown', {}, 404, 'not_found'],
  ])('%s', async (_name, path, headers, status, code) => {
    const res = await t.request('GET', path as string, undefined, headers as Record<string, string>);
    expect(res.status).toBe(status);
    expect(res.json.error.code).toBe(code);
  });
});
