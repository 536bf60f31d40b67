/** Every bad input to the bulk endpoints: exact status and error code, through the local stack. */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { encodeCursor } from '../../lib/intercom/cursor.ts';
import { type BulkTestStack, startBulkTestStack } from '../helpers/bulk-stack.ts';

const NO_BULK = 'key-without-bulk-scope-0001';
const WRITE_ONLY = 'key-with-bulk-write-only-0002';
const OTHER = 'key-of-another-team-000000003';
const NO_READ = 'key-without-read-or-bulk-0004';

let t: BulkTestStack;
let doneJob: string;
beforeAll(async () => {
  t = await startBulkTestStack(
    { bulk: { workerTimeoutMs: 15_000 } },
    {
      BULK_MAX_ITEMS: '25',
      BULK_MAX_BODY_BYTES: '20000',
      API_KEYS_JSON: JSON.stringify({
        keys: [
          { name: 'no-bulk', key: NO_BULK, scopes: ['read', 'write', 'delete'] },
          { name: 'write-only', key: WRITE_ONLY, scopes: ['bulk', 'write'] },
          { name: 'other', key: OTHER },
          { name: 'no-read', key: NO_READ, scopes: ['write', 'delete'] },
        ],
      }),
    },
  );
  const submitted = await t.request('POST', '/bulk/create_tag', {
    items: [{ body: { name: 'errors-tag' } }],
  });
  doneJob = (await t.waitForJob(submitted.json.jobId)).jobId;
}, 30_000);
afterAll(async () => t?.close());

const as = (key: string | null) =>
  key === null ? { authorization: '' } : { authorization: `Bearer ${key}` };
const tag = { items: [{ body: { name: 'x' } }] };

describe('bulk errors', () => {
  it.each([
    ['no key', 'POST', '/bulk/create_tag', tag, as(null), 401, 'unauthorized'],
    [
      'unknown key',
      'GET',
      '/bulk/jobs/job_abcdefgh12345',
      undefined,
      as('not-a-key-at-all-000'),
      401,
      'unauthorized',
    ],
    ['no bulk scope', 'POST', '/bulk/create_tag', tag, as(NO_BULK), 403, 'forbidden'],
    [
      'no bulk or read scope, job',
      'GET',
      '/bulk/jobs/job_abcdefgh12345',
      undefined,
      as(NO_READ),
      403,
      'forbidden',
    ],
    // A read key may see the workspace's jobs (those rules create), never another key's: 404.
    [
      'read scope, unknown job',
      'GET',
      '/bulk/jobs/job_abcdefgh12345',
      undefined,
      as(NO_BULK),
      404,
      'not_found',
    ],
    [
      'no operation scope',
      'POST',
      '/bulk/delete_tag',
      { items: [{ id: '1' }] },
      as(WRITE_ONLY),
      403,
      'forbidden',
    ],
    ['unknown operation', 'POST', '/bulk/make_coffee', tag, {}, 404, 'unknown_operation'],
    ['a scroll in bulk', 'POST', '/bulk/scroll_users', { items: [{}] }, {}, 404, 'unknown_operation'],
    ['unknown job', 'GET', '/bulk/jobs/job_doesnotexist0000', undefined, {}, 404, 'not_found'],
    ['malformed job id', 'GET', '/bulk/jobs/..%2F..', undefined, {}, 404, 'not_found'],
    ['invalid JSON', 'POST', '/bulk/create_tag', '{"items": [', {}, 400, 'invalid_json'],
    [
      'not JSON',
      'POST',
      '/bulk/create_tag',
      'items=1',
      { 'content-type': 'text/plain' },
      415,
      'unsupported_media_type',
    ],
    [
      'a charset other than UTF-8',
      'POST',
      '/bulk/create_tag',
      tag,
      { 'content-type': 'application/json; charset=utf-16' },
      415,
      'unsupported_media_type',
    ],
    ['no items', 'POST', '/bulk/create_tag', {}, {}, 400, 'validation_failed'],
    ['empty items', 'POST', '/bulk/create_tag', { items: [] }, {}, 400, 'validation_failed'],
    ['items not an array', 'POST', '/bulk/create_tag', { items: { a: 1 } }, {}, 400, 'validation_failed'],
    ['unknown field', 'POST', '/bulk/create_tag', { ...tag, priority: 'high' }, {}, 400, 'validation_failed'],
    [
      'dryRun not boolean',
      'POST',
      '/bulk/create_tag',
      { ...tag, dryRun: 'yes' },
      {},
      400,
      'validation_failed',
    ],
    ['offset without jobId', 'POST', '/bulk/create_tag', { ...tag, offset: 5 }, {}, 400, 'validation_failed'],
    [
      'jobId without offset',
      'POST',
      '/bulk/create_tag',
      { ...tag, jobId: 'job_abcdefgh12345' },
      {},
      400,
      'validation_failed',
    ],
    [
      'negative offset',
      'POST',
      '/bulk/create_tag',
      { ...tag, jobId: 'job_abcdefgh12345', offset: -1 },
      {},
      400,
      'validation_failed',
    ],
    [
      'bad jobId',
      'POST',
      '/bulk/create_tag',
      { ...tag, jobId: '../x', offset: 1 },
      {},
      400,
      'validation_failed',
    ],
    [
      'chunk of a missing job',
      'POST',
      '/bulk/create_tag',
      { ...tag, jobId: 'job_missing000000', offset: 1 },
      {},
      404,
      'not_found',
    ],
    [
      'too many items',
      'POST',
      '/bulk/create_tag',
      { items: Array.from({ length: 26 }, () => ({ body: { name: 'x' } })) },
      {},
      413,
      'payload_too_large',
    ],
    [
      'body too large',
      'POST',
      '/bulk/create_tag',
      { items: [{ body: { name: 'x'.repeat(30_000) } }] },
      {},
      413,
      'payload_too_large',
    ],
    [
      'empty Idempotency-Key',
      'POST',
      '/bulk/create_tag',
      tag,
      { 'idempotency-key': '' },
      400,
      'validation_failed',
    ],
    [
      'long Idempotency-Key',
      'POST',
      '/bulk/create_tag',
      tag,
      { 'idempotency-key': 'k'.repeat(256) },
      400,
      'validation_failed',
    ],
  ])('%s: %s %s', async (_name, method, path, body, headers, status, code) => {
    const res = await t.request(method as string, path as string, body, headers as Record<string, string>);
    expect(res.status).toBe(status);
    expect(res.json.error).toMatchObject({ status, code });
    expect(typeof res.json.error.requestId).toBe('string');
  });

  it('refuses an item with a number JSON cannot carry exactly: 400 validation_failed with its path', async () => {
    for (const [value, message] of [
      ['1e309', 'is a number too large for JSON (it would be sent as null)'],
      [
        '9007199254740993',
        'is a number beyond ±9007199254740991 (2^53-1), which cannot be sent exactly: send it as a string',
      ],
    ]) {
      const res = await t.request(
        'POST',
        '/bulk/create_update_user',
        `{"items":[{"body":{"user_id":"a"}},{"body":{"user_id":"b","custom_attributes":{"n":${value}}}}]}`,
      );
      expect([res.status, res.json.error.code]).toEqual([400, 'validation_failed']);
      expect(res.json.error.details).toEqual([{ path: '/items/1/body/custom_attributes/n', message }]);
    }
  });

  it("hides another key's job as not_found", async () => {
    for (const path of [`/bulk/jobs/${doneJob}`, `/bulk/jobs/${doneJob}/failures`]) {
      const res = await t.request('GET', path, undefined, as(OTHER));
      expect([res.status, res.json.error.code]).toEqual([404, 'not_found']);
    }
    const chunk = await t.request(
      'POST',
      '/bulk/create_tag',
      { ...tag, jobId: doneJob, offset: 1 },
      as(OTHER),
    );
    expect([chunk.status, chunk.json.error.code]).toEqual([404, 'not_found']);
  });

  it('refuses a re-posted chunk that differs from the registered one: 409 chunk_mismatch', async () => {
    const items = (names: string[]) => names.map((name) => ({ body: { name } }));
    const first = await t.request('POST', '/bulk/create_tag', { items: items(['c-0', 'c-1']), final: false });
    expect(first.status).toBe(202);
    const { jobId } = first.json;
    const second = { jobId, offset: 2, items: items(['c-2', 'c-3', 'c-4']), final: false };
    expect((await t.request('POST', '/bulk/create_tag', second)).status).toBe(202);
    const mismatch = async (body: unknown, says: string) => {
      const res = await t.request('POST', '/bulk/create_tag', body);
      expect([res.status, res.json.error.code]).toEqual([409, 'chunk_mismatch']);
      expect(res.json.error.message).toContain(says);
    };
    await mismatch({ ...second, items: items(['c-2', 'c-3']) }, '3 items, not 2');
    await mismatch({ ...second, final: true }, '"final": false, not true');
    await mismatch({ ...second, items: items(['c-2', 'c-3', 'other']) }, 'other items');
    await mismatch({ items: items(['c-0', 'c-1', 'c-x']), jobId, offset: 0, final: false }, '2 items, not 3');
    // The same chunk again is a replay, and the job goes on.
    expect((await t.request('POST', '/bulk/create_tag', second)).status).toBe(202);
    const last = await t.request('POST', '/bulk/create_tag', { jobId, offset: 5, items: items(['c-5']) });
    expect(last.status).toBe(202);
    expect(await t.waitForJob(jobId)).toMatchObject({ status: 'completed', total: 6 });
  });

  it('refuses to retry a job without failures', async () => {
    const res = await t.request('POST', `/bulk/jobs/${doneJob}/retry-failed`);
    expect([res.status, res.json.error.code]).toEqual([409, 'job_not_retryable']);
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=1001', 'limit'],
    ['limit=abc', 'limit'],
    ['limit=', 'limit'],
    ['limit=1e2', 'limit'],
    ['next=not-a-cursor', 'next'],
    ['next=', 'next'],
    ['next=!!!', 'next'],
    // The old format (base64url of the index): "0".
    ['next=MA', 'next'],
  ])('failures?%s -> 400 validation_failed on /%s', async (query, field) => {
    const res = await t.request('GET', `/bulk/jobs/${doneJob}/failures?${query}`);
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ code: 'validation_failed', details: [{ path: `/${field}` }] });
  });

  it("pages failures with its own cursors and refuses another job's, another endpoint's or a forged one", async () => {
    const failing = async () => {
      const submitted = await t.request('POST', '/bulk/get_user', {
        items: [{ id: 'missing-cursor-0' }, { id: 'missing-cursor-1' }],
      });
      return (await t.waitForJob(submitted.json.jobId)).jobId as string;
    };
    const [a, b] = [await failing(), await failing()];
    const first = await t.request('GET', `/bulk/jobs/${a}/failures?limit=1`);
    expect(first.json.failures.map((f: any) => f.index)).toEqual([0]);
    const second = await t.request('GET', `/bulk/jobs/${a}/failures?limit=1&next=${first.json.next}`);
    expect(second.json.failures.map((f: any) => f.index)).toEqual([1]);
    const forged = (fields: object) => Buffer.from(JSON.stringify(fields)).toString('base64url');
    for (const next of [
      first.json.next,
      forged({ k: 'bulk-failures', job: b, after: -1 }),
      forged({ k: 'bulk-failures', job: b, after: '0' }),
      forged({ job: b, after: 0 }),
      forged({ k: 'automation-runs', ws: 'default', day: '2026-01-01' }),
      encodeCursor('list_tags', { kind: 'offset', skip: 1 }),
    ]) {
      const res = await t.request('GET', `/bulk/jobs/${b}/failures?next=${next}`);
      expect([res.status, res.json.error.code]).toEqual([400, 'validation_failed']);
      expect(res.json.error.details).toEqual([
        { path: '/next', message: "is not a cursor of this job's failures" },
      ]);
    }
  });

  it('401 for two Authorization lines, even with the same valid key: API Gateway joins them with a comma', async () => {
    // Raw header lines (given as a list, Node adds no Host of its own): fetch would fold them into one.
    const get = (lines: string[]) =>
      new Promise<{ status: number; json: any }>((resolve, reject) => {
        const url = new URL(`${t.stack.url}/bulk/jobs/${doneJob}`);
        const headers = ['host', url.host, ...lines];
        const req = httpRequest(url, { method: 'GET', headers }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(text) }));
        });
        req.on('error', reject);
        req.end();
      });
    const bearer = `Bearer ${t.stack.apiKey}`;
    expect((await get(['authorization', bearer])).status).toBe(200);
    for (const headers of [
      ['authorization', bearer, 'authorization', bearer],
      ['authorization', 'Bearer not-a-key-at-all-000', 'authorization', bearer],
      ['x-api-key', t.stack.apiKey, 'x-api-key', t.stack.apiKey],
    ]) {
      const res = await get(headers);
      expect([res.status, res.json.error.code]).toEqual([401, 'unauthorized']);
    }
  });
});
