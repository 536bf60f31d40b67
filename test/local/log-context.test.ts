/**
 * Each log line carries its own invocation's keys, where the local stack runs many invocations at
 * once in one process: 200 concurrent requests, each access line with that request's id; bulk worker
 * lines with their job and item, automation worker lines with their notification and rule, never an
 * HTTP request's id.
 */
import { createHmac } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type BulkTestStack, startBulkTestStack } from '../helpers/bulk-stack.ts';
import { CapturedOutput } from '../helpers/captured-output.ts';

let t: BulkTestStack;
const output = new CapturedOutput();
const chunks = output.chunks;

beforeAll(async () => {
  output.start();
  t = await startBulkTestStack(
    {},
    {
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
      AUTOMATIONS_FILE: fileURLToPath(new URL('../fixtures/webhooks/rules.yaml', import.meta.url)),
    },
  );
}, 30_000);
afterAll(async () => {
  await t?.close();
  output.stop();
});

type Record_ = Record<string, any>;

/** The JSON log records written since `from` (an index into the captured chunks). */
const records = (from = 0): Record_[] => output.records(from);

interface Sent {
  path: string;
  /** The id the response carried (sent, or generated when none was sent). */
  requestId: string;
}

/** One of four kinds of request, the same mix at every call: fast, via Intercom, rejected, unrouted. */
async function send(i: number, tag: string): Promise<Sent> {
  const given = i % 5 === 2 ? undefined : `${tag}-${i}`;
  const headers: Record<string, string> = given ? { 'x-request-id': given } : {};
  let method = 'GET';
  let path = '/health';
  let body: unknown;
  if (i % 4 === 1) {
    method = 'POST';
    path = '/actions/list_tags';
    body = {};
  } else if (i % 4 === 2) {
    method = 'POST';
    path = '/actions/get_user';
    body = { id: `missing-${i}` };
  } else if (i % 4 === 3) {
    path = `/nowhere/${tag}/${i}`;
  }
  const res = await t.request(method, path, body, headers);
  const requestId = res.headers.get('x-request-id') ?? '';
  if (given) expect(requestId).toBe(given);
  else expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
  return { path, requestId };
}

describe('log context per invocation', () => {
  it('tags the access line of each of 200 concurrent requests with that request id', async () => {
    const from = chunks.length;
    const sent = await Promise.all(Array.from({ length: 200 }, (_, i) => send(i, 'conc')));
    const lines = records(from);
    // The sandbox may deliver a webhook meanwhile: an invocation of its own, with its own id.
    const isOurs = (r: Record_) => r.path !== '/webhooks/intercom';
    const access = lines.filter((r) => r.message === 'request' && isOurs(r));
    expect(access).toHaveLength(200);
    // One line per request id: a line tagged with another request's id leaves one id twice, one never.
    expect(access.map((r) => r.requestId).sort()).toEqual(sent.map((s) => s.requestId).sort());
    // Where the path tells the request apart, the line carries exactly its id.
    const byPath = new Map(sent.filter((s) => s.path.startsWith('/nowhere/')).map((s) => [s.path, s]));
    expect(byPath.size).toBe(50);
    for (const line of access.filter((r) => byPath.has(r.path)))
      expect(line.requestId).toBe(byPath.get(line.path)!.requestId);
    expect(access.filter((r) => byPath.has(r.path))).toHaveLength(50);
    // Every other line of these requests (rejections, Intercom errors) carries one of their ids.
    const ids = new Set(sent.map((s) => s.requestId));
    const webhooks = new Set(lines.filter((r) => !isOurs(r)).map((r) => r.requestId));
    const tagged = lines.filter((r) => r.requestId !== undefined && !webhooks.has(r.requestId));
    expect(tagged.length).toBeGreaterThan(access.length);
    for (const line of tagged) expect(ids.has(line.requestId)).toBe(true);
  }, 60_000);

  it('tags bulk worker warnings with their job and item, never an HTTP request id, while requests run', async () => {
    const from = chunks.length;
    const items = Array.from({ length: 20 }, (_, i) => ({ id: `missing-bulk-${i}` }));
    const submitted = await t.request('POST', '/bulk/get_user', { items }, { 'x-request-id': 'bulk-submit' });
    expect(submitted.status).toBe(202);
    const jobId: string = submitted.json.jobId;
    // Requests keep arriving while the worker runs the job.
    let done = false;
    const traffic = (async () => {
      const sent: Sent[] = [];
      for (let round = 0; !done || round < 2; round++)
        sent.push(...(await Promise.all(Array.from({ length: 20 }, (_, i) => send(i, `bulk-${round}`)))));
      return sent;
    })();
    const job = await t.waitForJob(jobId);
    done = true;
    const sent = await traffic;
    expect(job).toMatchObject({ failed: 20, succeeded: 0 });

    const lines = records(from);
    const warnings = lines.filter((r) => r.message === 'Bulk item failed');
    expect(warnings).toHaveLength(20);
    expect(warnings.map((r) => r.index).sort((a, b) => a - b)).toEqual(items.map((_, i) => i));
    for (const warning of warnings) {
      expect(warning).toMatchObject({ level: 'WARN', jobId, attempt: 1, code: 'not_found' });
      expect(typeof warning.messageId).toBe('string');
      expect(warning).not.toHaveProperty('requestId');
    }
    // And the HTTP lines of the same moments carry no job keys.
    const access = lines.filter((r) => r.message === 'request');
    const accessIds = new Set(access.map((r) => r.requestId));
    for (const s of sent) expect(accessIds.has(s.requestId)).toBe(true);
    for (const line of access) {
      expect(line).not.toHaveProperty('jobId');
      expect(line).not.toHaveProperty('messageId');
    }
  }, 90_000);

  it('tags automation action lines with their notification and rule, never an HTTP request id', async () => {
    const from = chunks.length;
    // A number beyond 2^53-1 fails the copy-seats rule's action (its input cannot be sent exactly).
    const body =
      '{"type":"notification_event","id":"notif_log-seats","topic":"user.unsubscribed","app_id":"local",' +
      '"created_at":1800000000,"data":{"type":"notification_event_data","item":{"type":"user",' +
      '"id":"u-log-seats","user_id":"log-seats","custom_attributes":{"seats":9007199254740993}}}}';
    const res = await fetch(`${t.stack.url}/webhooks/intercom`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-hub-signature': `sha1=${createHmac('sha1', t.stack.webhookSecret).update(body).digest('hex')}`,
        'x-request-id': 'webhook-in',
      },
      body,
    });
    expect(res.status).toBe(200);
    await t.stack.automations.workerSource!.drained(20_000);
    const failed = records(from).filter((r) => r.message === 'Automation action failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({
      level: 'WARN',
      notificationId: 'notif_log-seats',
      topic: 'user.unsubscribed',
      workspace: expect.any(String),
      rule: 'copy-seats',
      action: 0,
      operation: 'create_update_user',
      status: 'failed',
      code: 'validation_failed',
      messageId: expect.any(String),
      function_request_id: expect.any(String),
    });
    expect(failed[0]).not.toHaveProperty('requestId');
    // The intake's own line has the request's id and the notification's, not the worker's keys.
    const intake = records(from).find(
      (r) => r.message === 'webhook' && r.notificationId === 'notif_log-seats',
    );
    expect(intake).toMatchObject({ requestId: 'webhook-in', outcome: 'queued' });
    expect(intake).not.toHaveProperty('rule');
  }, 60_000);
});
