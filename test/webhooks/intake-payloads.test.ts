/**
 * The intake's answers to signed payloads that parse but are not notifications, cannot be queued as
 * they are, or come from an install no workspace is configured for: exact status and code, and what
 * reaches the queue. The handler runs in process with a recording queue and store.
 */
import { createHmac } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { MAX_MESSAGE_BYTES, type QueuedNotification } from '../../lib/automations/inbox.ts';
import type { WebhookConfig, WebhookWorkspace } from '../../lib/config/types.ts';
import { createWebhookHandler } from '../../lib/http/webhook-handler.ts';
import { metrics } from '../../lib/observability/metrics.ts';
import { httpEvent, testContext } from '../helpers/events.ts';

/** What the intake knows of a workspace (the webhook secrets secret's entry): no token. */
const workspace = (name: string, secret: string, appId?: string): WebhookWorkspace => ({
  name,
  webhookSecrets: [secret],
  ...(appId === undefined ? {} : { appId }),
});

interface Sent {
  body: string;
  group: string;
  dedupe: string;
}

/**
 * `racing`: isKnown never sees a record, as when two deliveries read before either marks it.
 * `defaultWorkspace`: the first workspace unless given (`undefined`: none).
 */
function intake(
  workspaces: WebhookWorkspace[],
  { racing = false, ...options }: { racing?: boolean; defaultWorkspace?: string | undefined } = {},
) {
  const sent: Sent[] = [];
  const received = new Set<string>();
  const config: WebhookConfig = {
    workspaces: new Map(workspaces.map((w) => [w.name, w])),
    defaultWorkspace: 'defaultWorkspace' in options ? options.defaultWorkspace : workspaces[0]!.name,
  };
  const handler = createWebhookHandler({
    config,
    store: {
      isKnown: async (id: string) => !racing && received.has(id),
      markReceived: async (id: string) => {
        if (received.has(id)) return false;
        received.add(id);
        return true;
      },
    } as never,
    queue: {
      sendOrdered: async (body: string, group: string, dedupe: string) => {
        sent.push({ body, group, dedupe });
      },
    } as never,
  });
  async function post(body: string, secret: string) {
    const signature = `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`;
    const res = await handler(
      httpEvent({
        method: 'POST',
        path: '/webhooks/intercom',
        body,
        headers: { 'content-type': 'application/json', 'x-hub-signature': signature },
      }),
      testContext() as never,
    );
    return { status: res.statusCode, json: JSON.parse(res.body!) };
  }
  return { post, sent };
}

/** A notification's JSON text, with `item` spliced in as raw JSON (for what JSON.stringify cannot write). */
const notificationText = (id: string, item: string, appId = 'app_a') =>
  `{"type":"notification_event","id":"${id}","topic":"company.created","app_id":"${appId}",` +
  `"created_at":1800000000,"data":{"type":"notification_event_data","item":${item}}}`;
const company = (id: string, extra = '') => `{"type":"company","id":"c-${id}"${extra}}`;

/** What SQS accepts in a message body: #x9 #xA #xD #x20-#xD7FF #xE000-#xFFFD #x10000-#x10FFFF. */
const NOT_SQS = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

// Quiet, as the stack tests are; the spies below still see every call.
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
afterEach(() => {
  jest.restoreAllMocks();
});

describe('signed payloads that are not notifications', () => {
  it.each([
    ['null', 'null'],
    ['true', 'true'],
    ['a number', '1'],
    ['a string', '"s"'],
    ['an empty object', '{}'],
    ['an array', '[]'],
  ])('%s: 400 validation_failed', async (_name, body) => {
    const { post, sent } = intake([workspace('default', 'secret-a', 'app_a')]);
    const res = await post(body, 'secret-a');
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ status: 400, code: 'validation_failed' });
    expect(sent).toHaveLength(0);
  });

  it('null with a wrong signature is still a 401 invalid_signature', async () => {
    const { post } = intake([workspace('default', 'secret-a', 'app_a')]);
    const res = await post('null', 'wrong');
    expect(res.status).toBe(401);
    expect(res.json.error.code).toBe('invalid_signature');
  });
});

describe('signed notifications that cannot be queued as they are', () => {
  it('an item nested 90,000 arrays deep (180 KB): 400 validation_failed, not a 500 from JSON.stringify', async () => {
    const { post, sent } = intake([workspace('default', 'secret-a', 'app_a')]);
    const deep = `${'['.repeat(90_000)}${']'.repeat(90_000)}`;
    const body = notificationText('notif_deep', company('deep', `,"x":${deep}`));
    expect(body.length).toBeGreaterThan(180_000);
    const res = await post(body, 'secret-a');
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ status: 400, code: 'validation_failed' });
    expect(res.json.error.details[0]).toMatchObject({ message: 'nests deeper than 64 levels' });
    expect(sent).toHaveLength(0);
  });

  it.each([
    ['a lone surrogate in a value', company('lone', ',"name":"a\\ud800b"')],
    ['a lone surrogate in a key', company('lone-key', ',"\\udfff":1')],
  ])('%s: 400 validation_failed (SQS refuses it)', async (_name, item) => {
    const { post, sent } = intake([workspace('default', 'secret-a', 'app_a')]);
    const res = await post(notificationText('notif_lone', item), 'secret-a');
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('validation_failed');
    expect(sent).toHaveLength(0);
  });

  it('a number beyond the double range: 400 validation_failed (queued, it would become null)', async () => {
    const { post, sent } = intake([workspace('default', 'secret-a', 'app_a')]);
    const res = await post(notificationText('notif_inf', company('inf', ',"seats":-1e400')), 'secret-a');
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({
      code: 'validation_failed',
      details: [
        { path: '/data/item/seats', message: 'is a number too large for JSON (it would be sent as null)' },
      ],
    });
    expect(sent).toHaveLength(0);
  });

  it('a large integer is queued as it parsed: the rule that copies it fails instead', async () => {
    const { post, sent } = intake([workspace('default', 'secret-a', 'app_a')]);
    const res = await post(
      notificationText('notif_big', company('big', ',"seats":9007199254740993')),
      'secret-a',
    );
    expect(res.status).toBe(200);
    const message = JSON.parse(sent[0]!.body) as QueuedNotification;
    expect(message.notification.data.item.seats).toBe(2 ** 53);
  });

  it('U+FFFE and U+FFFF (raw or escaped, in values and keys) are queued as \\u escapes: SQS-safe, the same notification', async () => {
    const { post, sent } = intake([workspace('default', 'secret-a', 'app_a')]);
    const item = company(
      'nonchar',
      ',"name":"raw \uFFFE\uFFFF, escaped \\ufffe\\uffff","\uFFFF key":"v","emoji":"\u{1F600}","ctl":"\\u0000\\u001f"',
    );
    const body = notificationText('notif_nonchar', item);
    const res = await post(body, 'secret-a');
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ received: true });
    expect(sent).toHaveLength(1);
    const queued = sent[0]!.body;
    expect(NOT_SQS.test(queued)).toBe(false);
    const message = JSON.parse(queued) as QueuedNotification;
    expect(message.workspace).toBe('default');
    expect(message.notification).toEqual(JSON.parse(body));
    expect(message.notification.data.item.name).toBe('raw \uFFFE\uFFFF, escaped \uFFFE\uFFFF');
  });

  it('a body under the intake limit that grows past SQS 256 KiB once re-serialised: 413 payload_too_large', async () => {
    const { post, sent } = intake([workspace('default', 'secret-a', 'app_a')]);
    // "1e20" (4 bytes) is written "100000000000000000000" (21 bytes).
    const body = notificationText(
      'notif_grow',
      company('grow', `,"x":[${Array(30_000).fill('1e20').join(',')}]`),
    );
    expect(Buffer.byteLength(body)).toBeLessThan(200 * 1024);
    expect(JSON.stringify(JSON.parse(body)).length).toBeGreaterThan(MAX_MESSAGE_BYTES);
    const res = await post(body, 'secret-a');
    expect(res.status).toBe(413);
    expect(res.json.error).toMatchObject({ status: 413, code: 'payload_too_large' });
    expect(sent).toHaveLength(0);
  });

  it('a notification whose ids are objects with a "toString" key is queued (no 500 from String())', async () => {
    const { post, sent } = intake([workspace('default', 'secret-a', 'app_a')]);
    const body = notificationText(
      'notif_tostring',
      '{"type":"user_tag","id":{"toString":1},"user":{"type":{"valueOf":1},"id":{"toString":1}},"tag":{"id":"1"}}',
    );
    const res = await post(body, 'secret-a');
    expect(res.status).toBe(200);
    expect(sent).toHaveLength(1);
  });
});

describe('routing by app_id', () => {
  const configured = [
    workspace('default', 'client-secret', 'app_a'),
    workspace('other', 'secret-b', 'app_b'),
  ];

  it('an app_id of another configured workspace is queued for that workspace', async () => {
    const { post, sent } = intake(configured);
    const res = await post(notificationText('notif_b', company('b'), 'app_b'), 'secret-b');
    expect(res.status).toBe(200);
    expect((JSON.parse(sent[0]!.body) as QueuedNotification).workspace).toBe('other');
  });

  it('an unknown app_id when the default declares an appId: 200, not queued, logged and counted as unrouted', async () => {
    const { post, sent } = intake(configured);
    const added = jest.spyOn(metrics(), 'addMetric');
    // Every logger: the request logs through a child logger of its own (its log context).
    const warned = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    // A Developer Hub app signs every install's notifications with the same client secret.
    const res = await post(
      notificationText('notif_unrouted', company('u'), 'app_unconfigured'),
      'client-secret',
    );
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ received: true });
    expect(sent).toHaveLength(0);
    expect(added).toHaveBeenCalledWith('WebhooksUnrouted', 'Count', 1);
    expect(added).not.toHaveBeenCalledWith('WebhooksReceived', expect.anything(), expect.anything());
    expect(warned).toHaveBeenCalledWith(
      expect.stringContaining('no workspace'),
      expect.objectContaining({
        notificationId: 'notif_unrouted',
        appId: 'app_unconfigured',
        outcome: 'unrouted',
      }),
    );
  });

  it('an unknown app_id with a signature by no configured secret: 401 invalid_signature', async () => {
    const { post, sent } = intake(configured);
    const res = await post(notificationText('notif_forged', company('f'), 'app_unconfigured'), 'forged');
    expect(res.status).toBe(401);
    expect(res.json.error.code).toBe('invalid_signature');
    expect(sent).toHaveLength(0);
  });

  it('an unknown app_id with a malformed notification: 400 validation_failed', async () => {
    const { post } = intake(configured);
    const body = notificationText('notif_bad', '"not an object"', 'app_unconfigured');
    const res = await post(body, 'client-secret');
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('validation_failed');
  });

  it('no app_id: the default workspace', async () => {
    const { post, sent } = intake(configured);
    const body = notificationText('notif_noapp', company('n')).replace(',"app_id":"app_a"', '');
    const res = await post(body, 'client-secret');
    expect(res.status).toBe(200);
    expect((JSON.parse(sent[0]!.body) as QueuedNotification).workspace).toBe('default');
  });

  it('no app_id and no default (a webhook secrets document of several workspaces naming none): 200, not queued, unrouted', async () => {
    const { post, sent } = intake(configured, { defaultWorkspace: undefined });
    const added = jest.spyOn(metrics(), 'addMetric');
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    const body = notificationText('notif_nodefault', company('n')).replace(',"app_id":"app_a"', '');
    // Verified with every configured secret, as any notification no workspace claims.
    expect(await post(body, 'secret-b')).toEqual({ status: 200, json: { received: true } });
    expect(sent).toHaveLength(0);
    expect(added).toHaveBeenCalledWith('WebhooksUnrouted', 'Count', 1);
    expect((await post(body, 'forged')).status).toBe(401);
    // An app_id still routes.
    const routed = await post(notificationText('notif_routed', company('r'), 'app_b'), 'secret-b');
    expect(routed.status).toBe(200);
    expect((JSON.parse(sent[0]!.body) as QueuedNotification).workspace).toBe('other');
  });

  it('an unknown app_id when the default declares no appId: the default workspace', async () => {
    const { post, sent } = intake([workspace('default', 'secret-a')]);
    const res = await post(notificationText('notif_single', company('s'), 'app_whatever'), 'secret-a');
    expect(res.status).toBe(200);
    expect(sent).toHaveLength(1);
    expect((JSON.parse(sent[0]!.body) as QueuedNotification).workspace).toBe('default');
  });
});

describe('deduplication', () => {
  it('of two deliveries that both read before either marked the record, the second is acknowledged as a duplicate', async () => {
    const { post, sent } = intake([workspace('default', 'secret-a', 'app_a')], { racing: true });
    const body = notificationText('notif_race', company('race'));
    expect(await post(body, 'secret-a')).toEqual({ status: 200, json: { received: true } });
    expect(await post(body, 'secret-a')).toEqual({ status: 200, json: { received: true, duplicate: true } });
    // Both were sent with one deduplication id: the FIFO queue keeps one, and the worker claims it once.
    expect(sent).toHaveLength(2);
    expect(sent[1]!.dedupe).toBe(sent[0]!.dedupe);
  });
});
