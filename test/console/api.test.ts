/**
 * The API the console reads, on the local stack: `GET /whoami`, `GET /bulk/jobs` (the caller's jobs
 * by an index query, filters, cursors), `GET /bulk/jobs/{jobId}/throughput`, the run log's filters
 * and each action's Intercom request id and duration. Every bad filter and every other key's view is
 * asserted with its exact status and code.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { documentClient } from '../../lib/aws/clients.ts';
import { JobStore } from '../../lib/bulk/job-store.ts';
import { bulkSettings } from '../../lib/bulk/settings.ts';
import { type Sandbox, startSandbox } from '../../lib/sandbox/server.ts';
import { type BulkTestStack, startBulkTestStack } from '../helpers/bulk-stack.ts';

const TOKEN = 'sandbox_console_api_token_1';
const SECRET = 'console-webhook-secret-one';
const ALPHA = 'key-alpha-of-console-test-01';
const READER = 'key-reader-of-console-test-2';
const WRITER = 'key-writer-of-console-test-3';
const BETA = 'key-beta-of-console-test-0004';

let sandbox: Sandbox;
let t: BulkTestStack;
const as = (key: string) => ({ authorization: `Bearer ${key}` });
const get = (path: string, key = ALPHA) => t.request('GET', path, undefined, as(key));

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, token: TOKEN, quiet: true });
  const workspace = { accessToken: TOKEN, baseUrl: sandbox.url };
  t = await startBulkTestStack(
    { bulk: { workerTimeoutMs: 15_000 } },
    {
      INTERCOM_ACCESS_TOKEN: TOKEN,
      INTERCOM_WORKSPACES_JSON: JSON.stringify({
        default: 'one',
        workspaces: {
          one: { ...workspace, webhookSecrets: [SECRET] },
          two: { ...workspace, appId: 'app-two' },
        },
      }),
      API_KEYS_JSON: JSON.stringify({
        keys: [
          { name: 'alpha', key: ALPHA, workspace: 'one' },
          { name: 'reader', key: READER, workspace: 'one', scopes: ['read'] },
          { name: 'writer', key: WRITER, workspace: 'one', scopes: ['write'] },
          { name: 'beta', key: BETA, workspace: 'two' },
        ],
      }),
    },
  );
}, 30_000);
afterAll(async () => {
  await t?.close();
  await sandbox?.close();
});

async function finished(jobId: string, key = ALPHA) {
  for (let i = 0; i < 300; i++) {
    const { json } = await get(`/bulk/jobs/${jobId}`, key);
    if (json.status === 'completed' || json.status === 'completed_with_errors') return json;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`job ${jobId} did not finish`);
}

async function submit(operation: string, items: object[], key = ALPHA): Promise<string> {
  const res = await t.request('POST', `/bulk/${operation}`, { items }, as(key));
  expect(res.status).toBe(202);
  await finished(res.json.jobId, key);
  return res.json.jobId;
}

describe('GET /whoami', () => {
  it("answers the caller's own workspace, key and scopes, whatever its scopes", async () => {
    const alpha = await get('/whoami');
    expect(alpha.status).toBe(200);
    expect(alpha.json).toMatchObject({
      workspace: 'one',
      keyName: 'alpha',
      scopes: ['read', 'write', 'delete', 'bulk'],
    });
    expect(alpha.json.keyId).toEqual(expect.any(String));
    const writer = await get('/whoami', WRITER);
    expect(writer.json).toMatchObject({ workspace: 'one', keyName: 'writer', scopes: ['write'] });
    expect(alpha.headers.get('cache-control')).toBe('no-store');
  });

  it('is 401 without a key and with an unknown one', async () => {
    for (const authorization of ['', 'Bearer not-a-key-of-this-stack']) {
      const res = await t.request('GET', '/whoami', undefined, { authorization });
      expect([res.status, res.json.error.code]).toEqual([401, 'unauthorized']);
    }
  });
});

describe('GET /bulk/jobs', () => {
  const jobs: string[] = [];
  let workspaceJob: string;
  beforeAll(async () => {
    // Oldest first: a failing job (tags that do not exist), a completed one, another failing one.
    jobs.push(await submit('delete_tag', [{ id: '999999901' }, { id: '999999902' }]));
    jobs.push(await submit('create_tag', [{ body: { name: 'console-list-1' } }]));
    jobs.push(await submit('delete_tag', [{ id: '999999903' }]));
    await submit('create_tag', [{ body: { name: 'console-beta' } }], BETA);
    // A job of the workspace (as a rule creates them): listed for its keys with read.
    const store = new JobStore(
      documentClient(),
      bulkSettings(process.env, { needsQueue: false }).jobsTable,
      14,
    );
    workspaceJob = 'job_consoleworkspacejob1';
    const now = Date.now();
    await store.registerChunk({
      jobId: workspaceJob,
      operation: 'create_tag',
      workspace: 'one',
      ownerId: 'workspace',
      createdBy: 'rule:nightly',
      offset: 0,
      size: 0,
      accepted: 0,
      final: true,
      hash: 'none',
      now,
      expiresAt: store.expiresAt(now),
    });
  }, 60_000);

  it("lists the caller's own jobs and its workspace's, newest first, with their status", async () => {
    const res = await get('/bulk/jobs');
    expect(res.status).toBe(200);
    expect(res.json.jobs.map((j: any) => j.jobId)).toEqual([workspaceJob, ...[...jobs].reverse()]);
    expect(res.json.jobs[1]).toMatchObject({
      jobId: jobs[2],
      operation: 'delete_tag',
      status: 'completed_with_errors',
      total: 1,
      failed: 1,
      pending: 0,
    });
    expect(res.json.next).toBeNull();
  });

  it('filters by status and operation', async () => {
    const failing = await get('/bulk/jobs?status=completed_with_errors');
    expect(failing.json.jobs.map((j: any) => j.jobId)).toEqual([jobs[2], jobs[0]]);
    const tags = await get('/bulk/jobs?operation=create_tag&status=completed');
    expect(tags.json.jobs.map((j: any) => j.jobId)).toEqual([workspaceJob, jobs[1]]);
    const none = await get('/bulk/jobs?operation=delete_visitor');
    expect(none.json).toMatchObject({ jobs: [], next: null });
  });

  it('pages with its cursors, filters kept, to the end', async () => {
    const seen: string[] = [];
    let next: string | null = null;
    do {
      const res = await get(`/bulk/jobs?limit=1&operation=delete_tag${next ? `&next=${next}` : ''}`);
      expect(res.status).toBe(200);
      seen.push(...res.json.jobs.map((j: any) => j.jobId));
      next = res.json.next;
    } while (next);
    expect(seen).toEqual([jobs[2], jobs[0]]);
  });

  it("shows no other key's jobs: a read-only key sees the workspace's, another workspace none of these", async () => {
    const reader = await get('/bulk/jobs', READER);
    expect(reader.json.jobs.map((j: any) => j.jobId)).toEqual([workspaceJob]);
    const beta = await get('/bulk/jobs', BETA);
    expect(beta.json.jobs).toHaveLength(1);
    expect(beta.json.jobs[0].operation).toBe('create_tag');
    expect(jobs).not.toContain(beta.json.jobs[0].jobId);
  });

  it.each([
    ['an unknown status', '?status=done', '/status'],
    ['an unknown operation', '?operation=tag_userz', '/operation'],
    ['an operation that never runs in bulk', '?operation=scroll_users', '/operation'],
    ['limit 0', '?limit=0', '/limit'],
    ['limit 101', '?limit=101', '/limit'],
    ['a garbled cursor', '?next=!!!', '/next'],
    [
      "another endpoint's cursor",
      `?next=${Buffer.from('{"k":"automation-runs","day":"2026-01-01"}').toString('base64url')}`,
      '/next',
    ],
  ])('refuses %s: 400 validation_failed', async (_, search, path) => {
    const res = await get(`/bulk/jobs${search}`);
    expect([res.status, res.json.error.code, res.json.error.details[0].path]).toEqual([
      400,
      'validation_failed',
      path,
    ]);
  });

  it("refuses another key's cursor (it names that key's list): 400", async () => {
    const page = await get('/bulk/jobs?limit=1');
    expect(page.json.next).toEqual(expect.any(String));
    const res = await get(`/bulk/jobs?next=${page.json.next}`, BETA);
    expect([res.status, res.json.error.code, res.json.error.details[0].path]).toEqual([
      400,
      'validation_failed',
      '/next',
    ]);
  });

  it('is 403 for a key with neither bulk nor read, 401 without a key', async () => {
    const writer = await get('/bulk/jobs', WRITER);
    expect([writer.status, writer.json.error.code]).toEqual([403, 'forbidden']);
    const anonymous = await t.request('GET', '/bulk/jobs', undefined, { authorization: '' });
    expect([anonymous.status, anonymous.json.error.code]).toEqual([401, 'unauthorized']);
  });

  it('charts a job: requests per window against the budget; 404 for any other key', async () => {
    const res = await get(`/bulk/jobs/${jobs[0]}/throughput`);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ jobId: jobs[0], windowSeconds: 10 });
    // The bulk share: Intercom's limit (its headers, once seen) less the 10% reserve.
    expect(res.json.budget).toBe(Math.floor(res.json.limit * 0.9));
    const requests = res.json.windows.reduce((sum: number, w: any) => sum + w.accepted, 0);
    expect(requests).toBe(2);
    for (const w of res.json.windows) expect(Date.parse(w.start)).toBeGreaterThan(0);
    for (const key of [BETA, READER]) {
      const other = await get(`/bulk/jobs/${jobs[0]}/throughput`, key);
      expect([other.status, other.json.error.code]).toEqual([404, 'not_found']);
    }
    const missing = await get('/bulk/jobs/not-a-job-id/throughput');
    expect([missing.status, missing.json.error.code]).toEqual([404, 'not_found']);
  });
});

describe('GET /automations/runs filters', () => {
  const sign = (body: string) => `sha1=${createHmac('sha1', SECRET).update(body).digest('hex')}`;
  async function notify(id: string, topic: string, item: object) {
    const body = JSON.stringify({
      type: 'notification_event',
      id,
      topic,
      app_id: 'app-one',
      created_at: Math.floor(Date.now() / 1000),
      data: { type: 'notification_event_data', item },
    });
    const res = await fetch(`${t.stack.url}/webhooks/intercom`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-hub-signature': sign(body) },
      body,
    });
    expect(res.status).toBe(200);
  }
  let before: string;
  beforeAll(async () => {
    before = new Date(Date.now() - 1000).toISOString();
    await notify('notif_console_none', 'company.created', { type: 'company', id: 'c-console-1' });
    const user = await t.request(
      'POST',
      '/actions/create_update_user',
      { body: { user_id: 'console-ada', email: 'ada@console.example' } },
      as(ALPHA),
    );
    expect(user.status).toBe(200);
    await notify('notif_console_tag', 'user.created', {
      type: 'user',
      id: user.json.data.id,
      email: 'ada@console.example',
    });
    // A user the sandbox does not know: the rule's action fails.
    await notify('notif_console_fail', 'user.created', {
      type: 'user',
      id: '5f00000000000000000000ff',
      email: 'nobody@console.example',
    });
    await t.stack.automations.workerSource!.drained(20_000);
  }, 30_000);

  it('filters by rule, outcome and time, and gives each run its outcome', async () => {
    const byRule = await get('/automations/runs?rule=tag-new-users-by-domain');
    expect(byRule.status).toBe(200);
    expect(Object.fromEntries(byRule.json.runs.map((r: any) => [r.notificationId, r.outcome]))).toEqual({
      notif_console_tag: 'succeeded',
      notif_console_fail: 'failed',
    });
    const succeeded = await get('/automations/runs?rule=tag-new-users-by-domain&outcome=succeeded');
    expect(succeeded.json.runs.map((r: any) => r.notificationId)).toEqual(['notif_console_tag']);
    const none = await get('/automations/runs?outcome=no_match');
    expect(none.json.runs.map((r: any) => r.notificationId)).toEqual(['notif_console_none']);
    const failed = await get('/automations/runs?outcome=failed&rule=tag-new-users-by-domain');
    expect(failed.json.runs.map((r: any) => r.notificationId)).toEqual(['notif_console_fail']);
    const since = await get(
      `/automations/runs?from=${before}&to=${new Date(Date.now() + 60_000).toISOString()}`,
    );
    expect(since.json.runs.map((r: any) => r.notificationId).sort()).toEqual([
      'notif_console_fail',
      'notif_console_none',
      'notif_console_tag',
    ]);
    // Nothing finished before: every page over the retained days is empty, to the end.
    let next: string | null = null;
    for (let page = 0; page < 5; page++) {
      const earlier = await get(`/automations/runs?to=${before}${next ? `&next=${next}` : ''}`);
      expect([earlier.status, earlier.json.runs]).toEqual([200, []]);
      next = earlier.json.next;
      if (!next) break;
    }
    expect(next).toBeNull();
  });

  it("records each action's Intercom request id and duration", async () => {
    const res = await get('/automations/runs/notif_console_tag');
    expect(res.json.run.outcome).toBe('succeeded');
    const action = res.json.run.rules[0].actions[0];
    expect(action).toMatchObject({ operation: 'create_tag', status: 'succeeded' });
    expect(action.intercomRequestId).toEqual(expect.any(String));
    expect(action.durationMs).toBeGreaterThanOrEqual(0);
    // A failed call keeps the id of the answer that failed it.
    const failed = (await get('/automations/runs/notif_console_fail')).json.run.rules[0].actions[0];
    expect(failed).toMatchObject({ operation: 'create_tag', status: 'failed' });
    expect(failed.intercomRequestId).toEqual(expect.any(String));
    expect(failed.intercomRequestId).not.toBe(action.intercomRequestId);
  });

  it.each([
    ['an unknown outcome', '?outcome=done', '/outcome'],
    ['a rule name with a space', '?rule=tag%20users', '/rule'],
    ['a date without a time zone', '?from=2026-05-01T09:30:00', '/from'],
    ['a date that is no date', '?to=yesterday', '/to'],
    ['to before from', '?from=2026-05-02T00:00:00Z&to=2026-05-01T00:00:00Z', '/to'],
  ])('refuses %s: 400 validation_failed', async (_, search, path) => {
    const res = await get(`/automations/runs${search}`);
    expect([res.status, res.json.error.code, res.json.error.details[0].path]).toEqual([
      400,
      'validation_failed',
      path,
    ]);
  });
});
