/**
 * Exports end to end through the local stack: the sandbox, the SQS and DynamoDB emulators, the S3
 * emulator, the real handlers and worker. Tiny parts and a tiny time per invocation force many parts
 * and continuations through the queue; the file is read back through the download URL.
 */
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { SqsHandler } from '../../lib/local/sqs-event-source.ts';
import { type BulkTestStack, startBulkTestStack } from '../helpers/bulk-stack.ts';

const GENERATED = 2_000;
const NO_BULK = 'export-key-without-bulk-0001';
const OTHER = 'export-key-of-another-0000002';

/** Test hooks of the worker: what a page may do before anything of it is durable. */
const hooks: { afterPage?: (exportId: string, pages: number) => Promise<void> | void } = {};

let t: BulkTestStack;
let sandbox: string;
let userCount: number;

async function sandboxCall(method: string, path: string, body?: unknown) {
  const res = await fetch(`${sandbox}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as any };
}

async function waitForExport(exportId: string, timeoutMs = 90_000, key?: string) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const { json } = await t.request(
      'GET',
      `/exports/${exportId}`,
      undefined,
      key ? { authorization: `Bearer ${key}` } : {},
    );
    if (json.status === 'succeeded' || json.status === 'failed') return json;
    if (Date.now() > until)
      throw new Error(`export ${exportId} still ${json.status}: ${JSON.stringify(json)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function download(url: string): Promise<Buffer> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return Buffer.from(await res.arrayBuffer());
}

function ids(jsonl: string): string[] {
  return jsonl
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { id: string }).id);
}

beforeAll(async () => {
  t = await startBulkTestStack(
    {
      bulk: { workerTimeoutMs: 15_000 },
      exports: {
        // A dead invocation's scroll lease ends with its timeout: the next takes the scroll over after 5 s.
        workerTimeoutMs: 5_000,
        visibilityTimeoutSeconds: 1,
        async workerHandler() {
          const { exportParts, exportSettings } = await import('../../lib/exports/index.ts');
          const { createExportWorker } = await import('../../lib/exports/worker.ts');
          const { workspaceClients } = await import('../../lib/workspaces/clients.ts');
          const { workerClientFactory } = await import('../../lib/workspaces/worker-clients.ts');
          const { loadConfig } = await import('../../lib/config/load.ts');
          const settings = exportSettings(process.env);
          const clients = workspaceClients(
            await loadConfig(process.env, { requireApiKeys: false }),
            workerClientFactory,
          );
          return createExportWorker({
            ...exportParts(settings),
            clientFor: (w) => clients(w),
            partBytes: settings.partBytes,
            invocationMs: settings.invocationMs,
            scrollWaitSeconds: settings.scrollWaitSeconds,
            maxRestarts: settings.maxRestarts,
            // 4 s of each 5 s invocation for pages (400 ms of them, EXPORT_INVOCATION_MS); a busy
            // scroll is looked at again after a second.
            endMarginMs: 1_000,
            busyRetrySeconds: 1,
            afterPage: (id, pages) => hooks.afterPage?.(id, pages),
          }) as unknown as SqsHandler;
        },
      },
    },
    {
      EXPORT_PART_BYTES: '65536',
      EXPORT_INVOCATION_MS: '400',
      API_KEYS_JSON: JSON.stringify({
        keys: [
          { name: 'no-bulk', key: NO_BULK, scopes: ['read', 'write'] },
          { name: 'other', key: OTHER },
        ],
      }),
    },
  );
  sandbox = t.stack.sandboxUrl!;
  const generated = await sandboxCall('POST', '/__sandbox/users', { count: GENERATED });
  expect(generated.status).toBe(201);
  userCount = generated.json.objects.users;
  expect(userCount).toBeGreaterThan(GENERATED);
}, 60_000);
afterAll(async () => t?.close());

describe('exports through the local stack', () => {
  it('exports every user once, over many pages, parts and continuations, and serves it at the download URL', async () => {
    const created = await t.request('POST', '/exports/scroll_users', {});
    expect(created.status).toBe(202);
    expect(created.json.exportId).toMatch(/^exp_/);
    const done = await waitForExport(created.json.exportId);
    expect(done.status).toBe('succeeded');
    expect(done.records).toBe(userCount);
    expect(done.pages).toBe(Math.ceil(userCount / 100));
    expect(done.bytes).toBeGreaterThan(65_536);
    expect(done.download.url).toContain('X-Amz-Signature=');
    const got = ids((await download(done.download.url)).toString());
    expect(got.length).toBe(userCount);
    expect(new Set(got).size).toBe(userCount);
  }, 120_000);

  it('restarts after 500s with no duplicate and no gap', async () => {
    await sandboxCall('PUT', '/__sandbox/config', { faults: { rates: { '500': 0.05 }, seed: 12 } });
    try {
      const created = await t.request('POST', '/exports/scroll_users', {});
      const done = await waitForExport(created.json.exportId, 180_000);
      expect(done.status).toBe('succeeded');
      expect(done.restarts).toBeGreaterThan(0);
      const got = ids((await download(done.download.url)).toString());
      expect(got.length).toBe(userCount);
      expect(new Set(got).size).toBe(userCount);
    } finally {
      await sandboxCall('PUT', '/__sandbox/config', { faults: null });
    }
  }, 200_000);

  it('restarts an expired scroll and a scroll whose worker died mid-page, with every record once', async () => {
    let expired = false;
    let killed = false;
    hooks.afterPage = async (_id, pages) => {
      if (pages === 4 && !expired) {
        expired = true;
        await sandboxCall('POST', '/__sandbox/scroll/expire');
      }
      if (pages === 9 && !killed) {
        killed = true;
        // The minute Intercom keeps a dead scroll open, at once; then the invocation dies.
        await sandboxCall('POST', '/__sandbox/scroll/expire');
        throw new Error('worker killed mid-page');
      }
    };
    try {
      const created = await t.request('POST', '/exports/scroll_users', {});
      const done = await waitForExport(created.json.exportId, 120_000);
      expect(expired && killed).toBe(true);
      expect(done.status).toBe('succeeded');
      // At least the death's: an expiry's restart counted only in the dying invocation's memory is
      // lost with it, as is everything that invocation had not made durable.
      expect(done.restarts).toBeGreaterThanOrEqual(1);
      const got = ids((await download(done.download.url)).toString());
      expect(new Set(got).size).toBe(userCount);
      expect(got.length).toBe(userCount);
    } finally {
      delete hooks.afterPage;
    }
  }, 150_000);

  it('writes CSV with the chosen fields, gzipped', async () => {
    const created = await t.request('POST', '/exports/scroll_users', {
      format: 'csv',
      fields: ['id', 'email', 'custom_attributes.plan'],
      gzip: true,
    });
    expect(created.status).toBe(202);
    const done = await waitForExport(created.json.exportId);
    expect(done.status).toBe('succeeded');
    const csv = gunzipSync(await download(done.download.url)).toString();
    const lines = csv.split('\r\n').filter(Boolean);
    expect(lines[0]).toBe('id,email,custom_attributes.plan');
    expect(lines.length).toBe(userCount + 1);
    expect(lines).toContain(lines.find((l) => /,gen-1\d*@example\.com,$/.test(l)));
    expect(new Set(lines.slice(1).map((l) => l.split(',')[0])).size).toBe(userCount);
  }, 120_000);

  it('waits for an interactive scroll that is open, then exports', async () => {
    const interactive = await t.request('POST', '/actions/scroll_users', {});
    expect(interactive.status).toBe(200);
    const created = await t.request('POST', '/exports/scroll_users', {});
    // Seen waiting (between its looks at the scroll, each a second apart, it is briefly running).
    let status: string | undefined;
    for (let i = 0; i < 100; i++) {
      ({ status } = (await t.request('GET', `/exports/${created.json.exportId}`)).json);
      if (status === 'waiting') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe('waiting');
    // The interactive caller stops; Intercom forgets its scroll after a minute idle.
    await sandboxCall('POST', '/__sandbox/scroll/expire');
    const done = await waitForExport(created.json.exportId, 60_000);
    expect(done.status).toBe('succeeded');
    expect(done.records).toBe(userCount);
  }, 90_000);

  it('lists the key’s own exports, newest first, paged; other keys see none of them', async () => {
    const first = await t.request('GET', '/exports?limit=2');
    expect(first.status).toBe(200);
    expect(first.json.exports).toHaveLength(2);
    expect(first.json.exports[0].exportId > first.json.exports[1].exportId).toBe(true);
    const second = await t.request('GET', `/exports?limit=2&next=${first.json.next}`);
    expect(second.json.exports[0].exportId < first.json.exports[1].exportId).toBe(true);
    const other = await t.request('GET', '/exports', undefined, { authorization: `Bearer ${OTHER}` });
    expect(other.json.exports).toEqual([]);
    const peek = await t.request('GET', `/exports/${first.json.exports[0].exportId}`, undefined, {
      authorization: `Bearer ${OTHER}`,
    });
    expect([peek.status, peek.json.error?.code]).toEqual([404, 'not_found']);
  });

  it.each([
    ['no bulk scope', 'POST', '/exports/scroll_users', {}, NO_BULK, 403, 'forbidden'],
    ['no bulk scope to read', 'GET', '/exports', undefined, NO_BULK, 403, 'forbidden'],
    ['unknown format', 'POST', '/exports/scroll_users', { format: 'xml' }, null, 400, 'validation_failed'],
    [
      'csv without fields',
      'POST',
      '/exports/scroll_users',
      { format: 'csv' },
      null,
      400,
      'validation_failed',
    ],
    [
      'fields with jsonl',
      'POST',
      '/exports/scroll_users',
      { fields: ['id'] },
      null,
      400,
      'validation_failed',
    ],
    [
      'bad field',
      'POST',
      '/exports/scroll_users',
      { format: 'csv', fields: ['a b'] },
      null,
      400,
      'validation_failed',
    ],
    ['gzip not boolean', 'POST', '/exports/scroll_users', { gzip: 'yes' }, null, 400, 'validation_failed'],
    ['unknown parameter', 'POST', '/exports/scroll_users', { limit: 5 }, null, 400, 'validation_failed'],
    ['bad limit', 'GET', '/exports?limit=0', undefined, null, 400, 'validation_failed'],
    ['bad next', 'GET', '/exports?next=x', undefined, null, 400, 'validation_failed'],
    ['unknown export', 'GET', '/exports/exp_0000000000aaaaaaaaaaaaaaaa', undefined, null, 404, 'not_found'],
    ['malformed export id', 'GET', '/exports/nope', undefined, null, 404, 'not_found'],
  ])('%s', async (_name, method, path, body, key, status, code) => {
    const res = await t.request(method, path, body, key ? { authorization: `Bearer ${key}` } : {});
    expect([res.status, res.json.error?.code]).toEqual([status, code]);
  });
});
