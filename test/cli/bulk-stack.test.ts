/**
 * The bulk CLI against the real local stack (the same `startLocalStack` as the end-to-end test): the
 * commands and the API they drive cannot drift apart here: submitting, watching, failures files,
 * server rejections, bad lines, paging, idempotency keys, CSV typing, dry runs, retry and status.
 * test/cli/bulk.test.ts keeps a fake API only for what the stack cannot be made to do on demand (503s,
 * dropped connections and lost answers in the middle of an upload, a 413 naming a smaller limit, a
 * file broken off mid-read, slow progress for the live bar, Ctrl-C) and for the exact wire of a chunked
 * upload.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { runCli } from '../../lib/cli/main.ts';
import { type BulkTestStack, startBulkTestStack } from '../helpers/bulk-stack.ts';

const dir = mkdtempSync(join(tmpdir(), 'bulk-cli-stack-'));
let t: BulkTestStack;
beforeAll(async () => {
  t = await startBulkTestStack();
}, 30_000);
afterAll(async () => {
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

let files = 0;
function jsonlFile(items: readonly unknown[], extraLines: readonly string[] = []): string {
  const path = join(dir, `items-${++files}.jsonl`);
  writeFileSync(path, [...items.map((item) => JSON.stringify(item)), ...extraLines].join('\n'));
  return path;
}

const failuresOf = (file: string) =>
  readFileSync(`${file}.failures.jsonl`, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));

async function cli(argv: string[], key = t.stack.apiKey) {
  let out = '';
  let err = '';
  const code = await runCli(argv, {
    out: (text) => (out += `${text}\n`),
    err: (text) => (err += `${text}\n`),
    env: { INTERCOM_ACTIONS_URL: t.stack.url, INTERCOM_ACTIONS_KEY: key },
    terminal: { isTTY: false, write: () => undefined },
  });
  return { code, out, err, json: () => JSON.parse(out) };
}

async function intercom(method: string, path: string, body?: unknown) {
  const res = await fetch(`${t.stack.sandboxUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${process.env.INTERCOM_ACCESS_TOKEN}`,
      accept: 'application/json',
      'content-type': 'application/json',
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return res.json() as Promise<any>;
}

describe('intercom-actions bulk against the local stack', () => {
  it('submits a file in chunks, watches the job to its end and sums it up', async () => {
    const tags = Array.from({ length: 1200 }, (_, i) => ({ body: { name: `stack-tag-${i}` } }));
    const file = jsonlFile(tags);
    const run = await cli(['bulk', 'create_tag', '--file', file, '--interval-ms', '200']);
    expect(run.code).toBe(0);
    expect(run.json()).toMatchObject({
      operation: 'create_tag',
      status: 'completed',
      total: 1200,
      succeeded: 1200,
      failed: 0,
      rejected: 0,
      failuresFile: null,
    });
    expect(run.json().jobId).toMatch(/^job_/);
    // The same file sent again: the derived Idempotency-Key finds the same job, nothing runs twice.
    const again = await cli(['bulk', 'create_tag', '--file', file, '--interval-ms', '200']);
    expect(again.json()).toMatchObject({ jobId: run.json().jobId, succeeded: 1200 });
    const created = (await t.request('GET', `/bulk/jobs/${run.json().jobId}`)).json;
    expect(created).toMatchObject({ total: 1200, succeeded: 1200, attempt: 1 });
  }, 60_000);

  it('reports failures, lists them, and retries them once what they lacked exists', async () => {
    const ids = ['stack-present', 'stack-missing-1', 'stack-missing-2'];
    await intercom('POST', '/users', { user_id: ids[0] });
    const file = jsonlFile(ids.map((id) => ({ user_id: id })));
    const run = await cli(['bulk', 'find_user', '--file', file, '--interval-ms', '100']);
    expect(run.code).toBe(1);
    const { jobId } = run.json();
    expect(run.json()).toMatchObject({ status: 'completed_with_errors', succeeded: 1, failed: 2 });
    expect(readFileSync(`${file}.failures.jsonl`, 'utf8').trim().split('\n')).toHaveLength(2);

    const listed = await cli(['bulk', 'failures', jobId]);
    const failures = listed.out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(failures.map((f) => [f.index, f.error.code])).toEqual([
      [1, 'not_found'],
      [2, 'not_found'],
    ]);

    const out = join(dir, `${jobId}.failures.jsonl`);
    const written = await cli(['bulk', 'failures', jobId, '--out', out]);
    expect(written.err).toContain(`2 failure(s) written to ${out}`);
    expect(
      readFileSync(out, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).input),
    ).toEqual([{ user_id: ids[1] }, { user_id: ids[2] }]);

    for (const id of ids.slice(1)) await intercom('POST', '/users', { user_id: id });
    const retried = await cli(['bulk', 'retry', jobId, '--interval-ms', '100']);
    expect(retried.code).toBe(0);
    expect(retried.err).toContain('Requeued 2 item(s) as attempt 2');
    expect(retried.json()).toMatchObject({ jobId, status: 'completed', succeeded: 3, failed: 0 });

    // A completed job has nothing to retry: the API says so (409), and so does the CLI.
    const nothing = await cli(['bulk', 'retry', jobId]);
    expect(nothing.code).toBe(1);
    expect(JSON.parse(nothing.err).error).toMatchObject({ status: 409, code: 'job_not_retryable' });
    const status = await cli(['bulk', 'status', jobId]);
    expect(status.json()).toMatchObject({ jobId, status: 'completed', total: 3, succeeded: 3, attempt: 2 });
    const watched = await cli(['bulk', 'status', jobId, '--watch', '--interval-ms', '50']);
    expect(watched.json()).toMatchObject({ status: 'completed', total: 3, succeeded: 3 });
  }, 60_000);

  it('writes failures, server rejections and bad lines to the failures file and exits 1', async () => {
    await intercom('POST', '/users', { user_id: 'stack-f-present' });
    const items = [
      { user_id: 'stack-f-present' },
      { user_id: 'stack-f-missing' },
      { user_id: 'stack-f-present', nope: 1 },
    ];
    const file = jsonlFile(items, ['{oops', JSON.stringify({ user_id: 'stack-f-present' })]);
    const run = await cli(['bulk', 'find_user', '--file', file, '--chunk', '2', '--interval-ms', '100']);
    expect(run.code).toBe(1);
    expect(run.json()).toMatchObject({
      status: 'completed_with_errors',
      total: 5,
      succeeded: 2,
      failed: 1,
      rejected: 2,
      failuresFile: `${file}.failures.jsonl`,
    });
    expect(failuresOf(file).sort((a, b) => a.index - b.index)).toEqual([
      {
        index: 1,
        attempt: 1,
        error: expect.objectContaining({
          status: 404,
          code: 'not_found',
          intercomRequestId: expect.any(String),
        }),
        input: { user_id: 'stack-f-missing' },
      },
      {
        index: 2,
        error: expect.objectContaining({ code: 'validation_failed', details: expect.any(Array) }),
        input: items[2],
      },
      {
        index: 3,
        line: 4,
        error: { code: 'invalid_line', message: expect.stringMatching(/^line 4: not valid JSON/) },
        raw: '{oops',
      },
    ]);
  }, 60_000);

  it('keeps offsets contiguous around bad lines (the API refuses a gap), and reports a file of only bad lines', async () => {
    const tags = [1, 2, 3].map((i) => ({ body: { name: `stack-gap-${i}` } }));
    const file = jsonlFile([], ['{bad', ...tags.map((tag) => JSON.stringify(tag))]);
    const run = await cli(['bulk', 'create_tag', '--file', file, '--chunk', '2', '--interval-ms', '100']);
    expect(run.json()).toMatchObject({ status: 'completed', total: 4, succeeded: 3, rejected: 1 });

    const bad = jsonlFile([], ['{', 'null']);
    const allBad = await cli(['bulk', 'create_tag', '--file', bad, '--interval-ms', '100']);
    expect(allBad.code).toBe(1);
    expect(allBad.json()).toMatchObject({ status: 'completed', total: 2, succeeded: 0, rejected: 2 });
    expect(failuresOf(bad)).toHaveLength(2);

    const empty = await cli(['bulk', 'create_tag', '--file', jsonlFile([], ['', ' '])]);
    expect(empty.code).toBe(2);
    expect(empty.err).toContain('no items');
  }, 60_000);

  it('pages through every failure', async () => {
    const ids = Array.from({ length: 450 }, (_, i) => `stack-page-${i}`);
    for (const id of ids.filter((_, i) => i % 2 === 1)) await intercom('POST', '/users', { user_id: id });
    const file = jsonlFile(ids.map((id) => ({ user_id: id })));
    const run = await cli(['bulk', 'find_user', '--file', file, '--interval-ms', '200']);
    expect(run.json()).toMatchObject({ failed: 225, succeeded: 225 });
    expect(failuresOf(file).map((f) => f.index)).toEqual(Array.from({ length: 225 }, (_, i) => i * 2));
  }, 90_000);

  it('uses the given --idempotency-key: a second run with the same key finds the same job', async () => {
    const file = jsonlFile([{ body: { name: 'stack-key-1' } }]);
    const args = [
      'bulk',
      'create_tag',
      '--file',
      file,
      '--idempotency-key',
      'stack-run-1',
      '--interval-ms',
      '100',
    ];
    const first = await cli(args);
    const second = await cli(args);
    expect(second.json().jobId).toBe(first.json().jobId);
    const other = await cli([...args.slice(0, 5), 'stack-run-2', '--interval-ms', '100']);
    expect(other.json().jobId).not.toBe(first.json().jobId);
  }, 30_000);

  it('submits a CSV file typed by the schema', async () => {
    const admins = (await intercom('GET', '/admins')).admins.filter((a: any) => a.type === 'admin');
    const [one, two] = [String(admins[0].id), String(admins[1].id)];
    const file = join(dir, 'admins.csv');
    writeFileSync(file, `id,away_mode_enabled,away_mode_reassign\n${one},true,false\n${two},false,true\n`);
    const run = await cli(['bulk', 'set_admin_away', '--file', file, '--interval-ms', '100']);
    expect(run.code).toBe(0);
    expect(run.json()).toMatchObject({ status: 'completed', succeeded: 2 });
    // Typed by the schema: the cells "true" and "false" reached Intercom as booleans.
    expect(await intercom('GET', `/admins/${one}`)).toMatchObject({
      away_mode_enabled: true,
      away_mode_reassign: false,
    });
    expect(await intercom('GET', `/admins/${two}`)).toMatchObject({
      away_mode_enabled: false,
      away_mode_reassign: true,
    });
  }, 30_000);

  it('dry-runs a file: the server validates every item and queues nothing', async () => {
    const file = jsonlFile([
      { body: { name: 'stack-dry-1' } },
      { body: {} },
      { body: { name: 'stack-dry-2' } },
    ]);
    const run = await cli(['bulk', 'create_tag', '--file', file, '--dry-run', '--chunk', '2']);
    expect(run.code).toBe(1);
    // Two chunks, their answers and estimates summed.
    expect(run.json()).toMatchObject({
      dryRun: true,
      total: 3,
      accepted: 2,
      rejected: 1,
      estimate: expect.objectContaining({ requests: 2 }),
    });
    expect(JSON.parse(readFileSync(`${file}.failures.jsonl`, 'utf8'))).toMatchObject({ index: 1 });
    const tags = await intercom('GET', '/tags');
    expect(JSON.stringify(tags)).not.toContain('stack-dry-');
  }, 30_000);

  it('--no-wait prints the job and leaves it running to completion', async () => {
    const run = await cli([
      'bulk',
      'create_tag',
      '--file',
      jsonlFile([{ body: { name: 'stack-nowait' } }]),
      '--no-wait',
    ]);
    expect(run.code).toBe(0);
    expect(run.json()).toMatchObject({ status: 'submitted', total: 1, accepted: 1, rejected: 0 });
    expect(await t.waitForJob(run.json().jobId)).toMatchObject({ status: 'completed', succeeded: 1 });
  }, 30_000);

  it("surfaces the API's 401 as its error JSON with exit 1", async () => {
    const run = await cli(['bulk', 'status', 'job_whatever'], 'ia_not_a_key');
    expect(run.code).toBe(1);
    expect(JSON.parse(run.err).error).toMatchObject({ status: 401, code: 'unauthorized' });
  }, 30_000);
});
