/**
 * List exports end to end through the local stack: `list_users` narrowed by a tag or a segment, paged
 * (50 a page) through the governor with no scroll lock, carried through several invocations (a tiny
 * time per invocation and tiny parts), resumed after a worker died mid-page, with 500s on list pages,
 * with pages shifting under it, and stopped at Intercom's cap on paged lists (10,000 records).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { LIST_CAP, LIST_PER_PAGE } from '../../lib/exports/exportable.ts';
import type { SqsHandler } from '../../lib/local/sqs-event-source.ts';
import { type BulkTestStack, startBulkTestStack } from '../helpers/bulk-stack.ts';

/** Past the cap, so the "All users" segment's export stops there. */
const GENERATED = LIST_CAP + 100;
const TAGGED = 300;

const hooks: { afterPage?: (exportId: string, pages: number) => Promise<void> | void } = {};
/** Every page its own part (the least part size), and a few pages per invocation. */
const SMALL = { partBytes: 1024, invocationMs: 150 };
const tuning = { ...SMALL };
/** Invocations of the worker per export (from each message's body). */
const invocations = new Map<string, number>();

let t: BulkTestStack;
let sandbox: string;
let userCount: number;
/** Users, newest first (the list's default order). */
let newest: string[];
let tagId: string;

async function sandboxCall(method: string, path: string, body?: unknown) {
  const res = await fetch(`${sandbox}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as any };
}

async function waitForExport(exportId: string, timeoutMs = 90_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const { json } = await t.request('GET', `/exports/${exportId}`);
    if (json.status === 'succeeded' || json.status === 'failed') return json;
    if (Date.now() > until)
      throw new Error(`export ${exportId} still ${json.status}: ${JSON.stringify(json)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function fileIds(url: string): Promise<string[]> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return (await res.text())
    .split('\n')
    .filter(Boolean)
    .map((line) => (JSON.parse(line) as { id: string }).id);
}

async function tag(name: string, ids: readonly string[]): Promise<string> {
  const res = await t.request('POST', '/actions/create_tag', {
    body: { name, users: ids.map((id) => ({ id })) },
  });
  expect(res.status).toBe(200);
  return String(res.json.data.id);
}

beforeAll(async () => {
  t = await startBulkTestStack(
    {
      bulk: { workerTimeoutMs: 15_000 },
      exports: {
        workerTimeoutMs: 15_000,
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
          const parts = exportParts(settings);
          return (async (event, context) => {
            for (const record of event.Records) {
              const { exportId } = JSON.parse(record.body) as { exportId: string };
              invocations.set(exportId, (invocations.get(exportId) ?? 0) + 1);
            }
            // Built per invocation, so a test may change the sizes for the next one.
            const worker = createExportWorker({
              ...parts,
              clientFor: (w) => clients(w),
              partBytes: tuning.partBytes,
              invocationMs: tuning.invocationMs,
              scrollWaitSeconds: settings.scrollWaitSeconds,
              maxRestarts: settings.maxRestarts,
              afterPage: (id, pages) => hooks.afterPage?.(id, pages),
            });
            return worker(event, context);
          }) as SqsHandler;
        },
      },
    },
    { EXPORT_MAX_RESTARTS: '1000' },
  );
  sandbox = t.stack.sandboxUrl!;
  const generated = await sandboxCall('POST', '/__sandbox/users', { count: GENERATED });
  expect(generated.status).toBe(201);
  userCount = generated.json.objects.users;
  const listed = await t.request('POST', '/actions/list_users', { limit: 1_000 });
  expect(listed.status).toBe(200);
  newest = (listed.json.data as Array<{ id: string }>).map((u) => u.id);
  // Tagged users start a little down the list: the newest ones stay free to join it mid-export.
  tagId = await tag('Exported', newest.slice(50, 50 + TAGGED));
}, 60_000);
afterAll(async () => t?.close());

describe('list exports through the local stack', () => {
  it('exports one tag’s users once, page by page, through several invocations', async () => {
    const created = await t.request('POST', '/exports/list_users', { params: { tag_id: tagId } });
    expect(created.status).toBe(202);
    const done = await waitForExport(created.json.exportId);
    expect(done).toMatchObject({
      status: 'succeeded',
      operation: 'list_users',
      params: { tag_id: tagId },
      records: TAGGED,
      pages: TAGGED / LIST_PER_PAGE,
      restarts: 0,
    });
    expect(done.capped).toBeUndefined();
    expect(invocations.get(created.json.exportId)).toBeGreaterThan(1);
    const got = await fileIds(done.download.url);
    expect(got.sort()).toEqual(newest.slice(50, 50 + TAGGED).sort());
  }, 60_000);

  it('resumes after a worker died mid-page, and asks failed pages again, with every record once', async () => {
    let killed = false;
    hooks.afterPage = (_id, pages) => {
      if (pages === 3 && !killed) {
        killed = true;
        throw new Error('worker killed mid-page');
      }
    };
    await sandboxCall('PUT', '/__sandbox/config', { faults: { rates: { '500': 0.2 }, seed: 3 } });
    try {
      const created = await t.request('POST', '/exports/list_users', { params: { tag_id: tagId } });
      const done = await waitForExport(created.json.exportId);
      expect(killed).toBe(true);
      expect(done.status).toBe('succeeded');
      expect(done.restarts).toBeGreaterThan(0);
      const got = await fileIds(done.download.url);
      expect(got.length).toBe(TAGGED);
      expect(got.sort()).toEqual(newest.slice(50, 50 + TAGGED).sort());
    } finally {
      delete hooks.afterPage;
      await sandboxCall('PUT', '/__sandbox/config', { faults: null });
    }
  }, 60_000);

  it('writes no record twice when the list shifts under it', async () => {
    const joining = newest.slice(0, 10);
    hooks.afterPage = async (_id, pages) => {
      // Ten users that sort first join the tag: every later page starts ten records further back.
      if (pages === 2) await tag('Exported', joining);
    };
    try {
      const created = await t.request('POST', '/exports/list_users', { params: { tag_id: tagId } });
      const done = await waitForExport(created.json.exportId);
      expect(done.status).toBe('succeeded');
      const got = await fileIds(done.download.url);
      expect(new Set(got).size).toBe(got.length);
      // Those that were tagged throughout are all there; the joiners sorted before the position.
      expect(got).toEqual(expect.arrayContaining(newest.slice(50, 50 + TAGGED)));
      expect(done.records).toBe(got.length);
    } finally {
      delete hooks.afterPage;
      await t.request('POST', '/actions/create_tag', {
        body: { name: 'Exported', users: joining.map((id) => ({ id, untag: true })) },
      });
    }
  }, 60_000);

  it('stops at Intercom’s cap on paged lists: succeeded, capped, with the list’s total', async () => {
    const segments = await t.request('POST', '/actions/list_segments', {});
    const all = (segments.json.data.segments as Array<{ id: string; name: string }>).find(
      (s) => s.name === 'All users',
    )!;
    // 200 pages: parts and invocations of their usual sizes (8 MiB, until the Lambda's end nears).
    Object.assign(tuning, { partBytes: 8 * 1024 * 1024, invocationMs: 0 });
    let done: any;
    try {
      const created = await t.request('POST', '/exports/list_users', { params: { segment_id: all.id } });
      expect(created.status).toBe(202);
      done = await waitForExport(created.json.exportId, 120_000);
    } finally {
      Object.assign(tuning, SMALL);
    }
    expect(done).toMatchObject({
      status: 'succeeded',
      records: LIST_CAP,
      capped: true,
      available: userCount,
    });
    const got = await fileIds(done.download.url);
    expect(got.length).toBe(LIST_CAP);
    expect(new Set(got).size).toBe(LIST_CAP);
  }, 150_000);

  it.each([
    ['a list without its filter', '/exports/list_users', {}, 400, 'validation_failed', '/params'],
    [
      'a list with an empty params',
      '/exports/list_users',
      { params: {} },
      400,
      'validation_failed',
      '/params',
    ],
    [
      'a list with a filter it does not take',
      '/exports/list_users',
      { params: { email: 'a@example.com' } },
      400,
      'validation_failed',
      '/params/email',
    ],
    [
      'a list with both filters',
      '/exports/list_users',
      { params: { tag_id: '1', segment_id: '2' } },
      400,
      'validation_failed',
      '/params',
    ],
    [
      'a filter of the wrong type',
      '/exports/list_users',
      { params: { tag_id: true } },
      400,
      'validation_failed',
      '/params/tag_id',
    ],
    [
      'params not an object',
      '/exports/list_users',
      { params: 'tag_id=1' },
      400,
      'validation_failed',
      '/params',
    ],
    [
      'a scroll with params',
      '/exports/scroll_users',
      { params: { tag_id: '1' } },
      400,
      'validation_failed',
      '/params/tag_id',
    ],
    // Not routed: API Gateway's default answers, as for any path it does not know.
    [
      'a list the catalog gives no filter',
      '/exports/list_leads',
      { params: { tag_id: '1' } },
      404,
      'not_found',
      undefined,
    ],
  ])('%s', async (_name, path, body, status, code, detailPath) => {
    const res = await t.request('POST', path, body);
    expect([res.status, res.json.error?.code]).toEqual([status, code]);
    if (detailPath) expect(res.json.error.details.map((d: { path: string }) => d.path)).toContain(detailPath);
  });

  it('takes list_companies by tag (its filters come from the catalog), and fails it on a tag Intercom does not know', async () => {
    const res = await t.request('POST', '/exports/list_companies', { params: { tag_id: 12 } });
    expect(res.status).toBe(202);
    const done = await waitForExport(res.json.exportId);
    expect(done).toMatchObject({ status: 'failed', params: { tag_id: '12' }, records: 0 });
    expect(done.error.message).toMatch(/Tag Not Found/);
  });
});
