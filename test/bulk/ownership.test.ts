/**
 * Jobs belong to their workspace and to the id of the key that created them (lib/auth/ownership.ts):
 * every job route of every other key, in this workspace or another, answers 404. Tried with two
 * workspaces on one Intercom (the sandbox), keys in each, and the local stack.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { documentClient } from '../../lib/aws/clients.ts';
import { JobStore } from '../../lib/bulk/job-store.ts';
import { bulkSettings } from '../../lib/bulk/settings.ts';
import { type Sandbox, startSandbox } from '../../lib/sandbox/server.ts';
import { type BulkTestStack, startBulkTestStack } from '../helpers/bulk-stack.ts';

const TOKEN = 'sandbox_ownership_token_1';
const ALPHA = 'key-alpha-of-workspace-one-01';
const ALPHA_READER = 'key-reader-of-workspace-one-2';
const BETA = 'key-beta-of-workspace-two-003';

let sandbox: Sandbox;
let t: BulkTestStack;
const as = (key: string) => ({ authorization: `Bearer ${key}` });

beforeAll(async () => {
  sandbox = await startSandbox({ port: 0, token: TOKEN, quiet: true });
  const workspace = { accessToken: TOKEN, baseUrl: sandbox.url };
  t = await startBulkTestStack(
    { bulk: { workerTimeoutMs: 15_000 } },
    {
      INTERCOM_ACCESS_TOKEN: TOKEN,
      INTERCOM_WORKSPACES_JSON: JSON.stringify({
        default: 'one',
        workspaces: { one: workspace, two: { ...workspace, appId: 'app-two' } },
      }),
      API_KEYS_JSON: JSON.stringify({
        keys: [
          { name: 'alpha', key: ALPHA, workspace: 'one' },
          { name: 'alpha-reader', key: ALPHA_READER, workspace: 'one', scopes: ['read'] },
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

async function failedJob(key: string, idempotencyKey: string): Promise<string> {
  // Tags whose id does not exist: every item fails, so the job can be retried.
  const res = await t.request(
    'POST',
    '/bulk/delete_tag',
    { items: [{ id: '999999901' }, { id: '999999902' }] },
    { ...as(key), 'idempotency-key': idempotencyKey },
  );
  expect(res.status).toBe(202);
  const job = await waitFor(res.json.jobId, key);
  expect(job.status).toBe('completed_with_errors');
  return res.json.jobId;
}

async function waitFor(jobId: string, key: string) {
  for (let i = 0; i < 300; i++) {
    const { json } = await t.request('GET', `/bulk/jobs/${jobId}`, undefined, as(key));
    if (json.status === 'completed' || json.status === 'completed_with_errors') return json;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`job ${jobId} did not finish`);
}

describe('job ownership', () => {
  let jobId: string;
  beforeAll(async () => {
    jobId = await failedJob(ALPHA, 'same-key-string');
  }, 30_000);

  it.each([
    ['another workspace', BETA],
    ['another key of the same workspace (the API_KEY variable)', 'API_KEY'],
    ['a read-only key of the same workspace', ALPHA_READER],
  ])('hides a key-created job from %s: 404 on every job route', async (_, who) => {
    const key = who === 'API_KEY' ? t.stack.apiKey : who;
    for (const [method, path] of [
      ['GET', `/bulk/jobs/${jobId}`],
      ['GET', `/bulk/jobs/${jobId}/failures`],
      ['POST', `/bulk/jobs/${jobId}/retry-failed`],
    ] as const) {
      const res = await t.request(method, path, undefined, as(key));
      expect([method, path, res.status, res.json.error.code]).toEqual([method, path, 404, 'not_found']);
    }
    // Nor can it append a chunk to the job (a key without bulk cannot submit at all).
    const chunk = await t.request(
      'POST',
      '/bulk/delete_tag',
      { jobId, offset: 2, items: [{ id: '1' }] },
      as(key),
    );
    expect([chunk.status, chunk.json.error.code]).toEqual(
      key === ALPHA_READER ? [403, 'forbidden'] : [404, 'not_found'],
    );
    // The owner still sees it, untouched.
    const own = await t.request('GET', `/bulk/jobs/${jobId}`, undefined, as(ALPHA));
    expect(own.json).toMatchObject({ status: 'completed_with_errors', attempt: 1, failed: 2 });
  });

  it('gives the same Idempotency-Key of another key (or workspace) its own job', async () => {
    const beta = await failedJob(BETA, 'same-key-string');
    expect(beta).not.toBe(jobId);
    const again = await t.request(
      'POST',
      '/bulk/delete_tag',
      { items: [{ id: '999999901' }, { id: '999999902' }] },
      { ...as(ALPHA), 'idempotency-key': 'same-key-string' },
    );
    expect(again.json.jobId).toBe(jobId);
  });
});

describe("the workspace's own jobs (created by no key)", () => {
  let jobId: string;
  beforeAll(async () => {
    // As a rule will create them: owned by the workspace, not by a key.
    const store = new JobStore(
      documentClient(),
      bulkSettings(process.env, { needsQueue: false }).jobsTable,
      14,
    );
    jobId = 'job_workspaceownedjob01';
    const now = Date.now();
    await store.registerChunk({
      jobId,
      operation: 'create_tag',
      workspace: 'one',
      ownerId: 'workspace',
      createdBy: 'rule:nightly-tags',
      offset: 0,
      size: 0,
      accepted: 0,
      final: true,
      hash: 'none',
      now,
      expiresAt: store.expiresAt(now),
    });
  });

  it('is readable by any key of its workspace with read, and by no other workspace', async () => {
    for (const key of [ALPHA, ALPHA_READER, t.stack.apiKey]) {
      const res = await t.request('GET', `/bulk/jobs/${jobId}`, undefined, as(key));
      expect([res.status, res.json.jobId, res.json.error]).toEqual([200, jobId, undefined]);
      const failures = await t.request('GET', `/bulk/jobs/${jobId}/failures`, undefined, as(key));
      expect(failures.status).toBe(200);
    }
    const other = await t.request('GET', `/bulk/jobs/${jobId}`, undefined, as(BETA));
    expect([other.status, other.json.error.code]).toEqual([404, 'not_found']);
  });

  it('needs bulk (and the operation scope) to retry: 403 for a read-only key, judged for a bulk key', async () => {
    const reader = await t.request('POST', `/bulk/jobs/${jobId}/retry-failed`, undefined, as(ALPHA_READER));
    expect([reader.status, reader.json.error.code]).toEqual([403, 'forbidden']);
    const bulk = await t.request('POST', `/bulk/jobs/${jobId}/retry-failed`, undefined, as(ALPHA));
    expect([bulk.status, bulk.json.error.code]).toEqual([409, 'job_not_retryable']);
    const other = await t.request('POST', `/bulk/jobs/${jobId}/retry-failed`, undefined, as(BETA));
    expect([other.status, other.json.error.code]).toEqual([404, 'not_found']);
  });
});
