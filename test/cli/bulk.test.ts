/**
 * The bulk CLI against a fake of the bulk API (test/fixtures/bulk/fake-bulk-api.ts), only for what the
 * real stack cannot be made to do on demand: 503s, dropped connections and lost answers mid-upload, a
 * 413 naming a smaller limit, a file broken off mid-read, slow progress for the live bar, Ctrl-C, and
 * the exact requests of a chunked upload (which chunk carries the Idempotency-Key). Everything else
 * (failures files, rejections, bad lines, paging, retry, status, CSV, dry runs, 401) runs against the
 * real local stack in test/cli/bulk-stack.test.ts; usage errors and help need no server.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from '@jest/globals';
import type { BulkIo } from '../../lib/cli/bulk.ts';
import { runCli } from '../../lib/cli/main.ts';
import {
  etaSeconds,
  formatDuration,
  type ProgressSnapshot,
  RateMeter,
  renderBar,
  renderProgressLine,
  renderProgressLog,
} from '../../lib/cli/progress.ts';
import { FakeBulkApi, type FakeBulkApiOptions } from '../fixtures/bulk/fake-bulk-api.ts';

const KEY = 'ia_test_key';
const JOB = 'job_fake00000001';
const dir = mkdtempSync(join(tmpdir(), 'bulk-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let api: FakeBulkApi | undefined;
afterEach(async () => {
  await api?.stop();
  api = undefined;
});

async function fakeApi(options: FakeBulkApiOptions = {}): Promise<FakeBulkApi> {
  api = await new FakeBulkApi({ key: KEY, ...options }).start();
  return api;
}

let files = 0;
function jsonlFile(items: readonly unknown[], extraLines: readonly string[] = []): string {
  const path = join(dir, `items-${++files}.jsonl`);
  writeFileSync(path, [...items.map((item) => JSON.stringify(item)), ...extraLines].join('\n'));
  return path;
}

const tags = (n: number) => Array.from({ length: n }, (_, i) => ({ body: { name: `tag-${i}` } }));

interface Run {
  code: number;
  out: string;
  err: string;
  tty: string;
  json: () => any;
}

async function cli(
  argv: string[],
  options: { env?: Record<string, string>; terminal?: BulkIo['terminal']; interrupt?: AbortSignal } = {},
): Promise<Run> {
  let out = '';
  let err = '';
  let tty = '';
  const code = await runCli(argv, {
    out: (t) => (out += `${t}\n`),
    err: (t) => (err += `${t}\n`),
    env: {
      INTERCOM_ACTIONS_URL: api?.url ?? 'http://127.0.0.1:9',
      INTERCOM_ACTIONS_KEY: KEY,
      ...options.env,
    },
    terminal: options.terminal ?? { isTTY: false, write: (t: string) => (tty += t) },
    retryPolicy: { baseMs: 5, capMs: 20 },
    ...(options.interrupt ? { interrupt: options.interrupt } : {}),
  });
  return { code, out, err, tty, json: () => JSON.parse(out) };
}

describe('progress rendering', () => {
  const snapshot: ProgressSnapshot = {
    status: 'running',
    done: 1234,
    total: 10_000,
    failed: 3,
    itemsPerSecond: 45.6,
    rateLimit: { limit: 166, remaining: 120 },
  };

  it('renders a bar sized to the terminal with counts, percent, rate, headroom and ETA', () => {
    const text = '1,234/10,000  12.3%  45.6 items/s  3 failed  rate 120/166 left  ETA 3m12s  running';
    expect(renderProgressLine(snapshot, 160)).toBe(`${renderBar(0.1234, 30)}  ${text}`);
    // Narrower: the bar gives way to the numbers, and the last column stays free.
    const narrower = renderProgressLine(snapshot, 110);
    expect(narrower).toBe(`${renderBar(0.1234, 109 - text.length - 2)}  ${text}`);
    expect(narrower).toHaveLength(109);
    expect(renderProgressLine(snapshot, 60)).toBe(text.slice(0, 59));
    expect(renderBar(0, 12)).toBe(`[${' '.repeat(10)}]`);
    expect(renderBar(0.5, 12)).toBe('[====>     ]');
    expect(renderBar(1, 12)).toBe(`[${'='.repeat(10)}]`);
  });

  it('says what it does not know yet, and logs plain lines', () => {
    const early = {
      ...snapshot,
      done: 0,
      failed: 0,
      itemsPerSecond: undefined,
      rateLimit: null,
      status: 'queued',
    };
    expect(renderProgressLog(early)).toBe('progress: 0/10,000, 0.0%, - items/s, ETA ?, queued');
    expect(etaSeconds({ ...snapshot, done: 10_000 })).toBe(0);
    expect(formatDuration(59.4)).toBe('59s');
    expect(formatDuration(3600 * 2 + 61)).toBe('2h01m');
  });

  it('measures items per second over the last polls', () => {
    const meter = new RateMeter(3);
    expect(meter.itemsPerSecond()).toBeUndefined();
    meter.add(0, 0);
    meter.add(1000, 100);
    expect(meter.itemsPerSecond()).toBe(100);
    meter.add(2000, 100);
    meter.add(3000, 110);
    expect(meter.itemsPerSecond()).toBe(5);
  });
});

describe('intercom-actions bulk', () => {
  it('submits chunks with offsets (first with an Idempotency-Key, last final), watches and sums up', async () => {
    const server = await fakeApi();
    const file = jsonlFile(tags(1200));
    const run = await cli(['bulk', 'create_tag', '--file', file, '--interval-ms', '10']);
    expect(run.err).toContain('progress: ');
    expect(run.code).toBe(0);
    expect(run.json()).toEqual({
      jobId: JOB,
      operation: 'create_tag',
      status: 'completed',
      total: 1200,
      succeeded: 1200,
      failed: 0,
      rejected: 0,
      seconds: expect.any(Number),
      failuresFile: null,
    });
    const posts = server.posts();
    expect(posts.map((p) => [p.body.offset, p.body.items.length, p.body.final, p.body.jobId])).toEqual([
      [0, 500, false, undefined],
      [500, 500, false, JOB],
      [1000, 200, true, JOB],
    ]);
    expect(posts[0]!.headers['idempotency-key']).toMatch(/^cli-[0-9a-f]{40}$/);
    expect(posts[1]!.headers['idempotency-key']).toBeUndefined();
    expect(posts[0]!.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(existsSync(`${file}.failures.jsonl`)).toBe(false);
  });

  it('retries chunks after 503s, dropped connections, lost answers and a 429, without duplicates', async () => {
    const server = await fakeApi({
      faults: {
        'POST /bulk/create_tag 0 #1': 'lost-answer',
        'POST /bulk/create_tag 2 #1': 'unavailable',
        'POST /bulk/create_tag 2 #2': 'lost-answer',
        'POST /bulk/create_tag 4 #1': 'drop',
        [`GET /bulk/jobs/${JOB} #1`]: 'rate-limited',
      },
    });
    const file = jsonlFile(tags(5));
    const run = await cli(['bulk', 'create_tag', '--file', file, '--chunk', '2', '--interval-ms', '10']);
    expect(run.code).toBe(0);
    expect(run.json()).toMatchObject({ jobId: JOB, total: 5, succeeded: 5 });
    expect(server.jobs.size).toBe(1);
    expect(server.posts().map((p) => p.body.offset)).toEqual([0, 0, 2, 2, 2, 4, 4]);
    expect(server.jobs.get(JOB)!.items.size).toBe(5);
    const keys = server.posts().filter((p) => p.body.offset === 0);
    expect(keys[0]!.headers['idempotency-key']).toBe(keys[1]!.headers['idempotency-key']);
  });

  it('gives up on a chunk after the retries, and running the same command again resumes the job', async () => {
    const unavailable = Object.fromEntries(
      [1, 2, 3, 4, 5, 6].map((n) => [`POST /bulk/create_tag 2 #${n}`, 'unavailable' as const]),
    );
    const server = await fakeApi({ faults: unavailable });
    const file = jsonlFile(tags(5));
    const args = ['bulk', 'create_tag', '--file', file, '--chunk', '2', '--interval-ms', '10'];
    const first = await cli(args);
    expect(first.code).toBe(1);
    expect(first.err).toContain(`Job ${JOB} was created but not every chunk was sent`);
    expect(JSON.parse(first.err.slice(first.err.indexOf('{'))).error).toMatchObject({ status: 503 });
    const again = await cli(args);
    expect(again.code).toBe(0);
    expect(again.json()).toMatchObject({ jobId: JOB, total: 5, succeeded: 5 });
    expect(server.jobs.size).toBe(1);
  });

  it('lowers the chunk size to the maximum the server names in its 413', async () => {
    const server = await fakeApi({ maxItems: 3 });
    const run = await cli([
      'bulk',
      'create_tag',
      '--file',
      jsonlFile(tags(8)),
      '--chunk',
      '5',
      '--interval-ms',
      '10',
    ]);
    expect(run.code).toBe(0);
    expect(server.posts().map((p) => [p.body.offset, p.body.items.length, p.body.final])).toEqual([
      [0, 5, false],
      [0, 3, false],
      [3, 2, false],
      [5, 3, true],
    ]);
    expect(run.json()).toMatchObject({ total: 8, succeeded: 8 });
  });

  it('closes the job with what was read when the file breaks off, and exits 1', async () => {
    const server = await fakeApi();
    const path = join(dir, 'breaks-off.csv');
    const rows = Array.from({ length: 20_000 }, (_, i) => `id-${i}`);
    writeFileSync(path, `id\n${rows.join('\n')}\n"unclosed\n`);
    const run = await cli(['bulk', 'delete_tag', '--file', path, '--chunk', '1000', '--interval-ms', '10']);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(/error: line \d+: not readable as CSV: Quote Not Closed/);
    expect(run.err).toContain(`the items before it were submitted as job ${JOB}`);
    const posts = server.posts();
    expect(posts.at(-1)!.body.final).toBe(true);
    const sent = posts.reduce((sum, p) => sum + p.body.items.length, 0);
    expect(sent).toBeGreaterThan(0);
    expect(run.json()).toMatchObject({ jobId: JOB, status: 'completed', total: sent, succeeded: sent });
  });

  it('draws a live bar on a terminal and ends its line', async () => {
    await fakeApi({ itemsPerPoll: 2 });
    let tty = '';
    const terminal = { isTTY: true, columns: 100, write: (t: string) => (tty += t) };
    const run = await cli(['bulk', 'create_tag', '--file', jsonlFile(tags(6)), '--interval-ms', '10'], {
      terminal,
    });
    expect(run.code).toBe(0);
    expect(run.err).toBe('');
    // Each frame returns to the line start and clears what a longer frame left behind.
    const clearToEnd = '\u001b[K';
    const frames = tty.split('\r').filter(Boolean);
    expect(frames.length).toBeGreaterThanOrEqual(3);
    expect(frames.slice(0, -1).every((frame) => frame.endsWith(clearToEnd))).toBe(true);
    expect(frames.at(-1)!.endsWith(`${clearToEnd}\n`)).toBe(true);
    const texts = frames.map((frame) => frame.replace(clearToEnd, '').trimEnd());
    expect(texts[0]).toMatch(
      /^\[ +\] {2}0\/6 {2}0\.0% {2}- items\/s {2}rate 120\/166 left {2}ETA \? {2}running$/,
    );
    expect(texts.at(-1)).toMatch(/^\[=+\] {2}6\/6 {2}100\.0% .* ETA 0s {2}completed$/);
  });

  it('stops watching on Ctrl-C and says how to resume', async () => {
    await fakeApi({ itemsPerPoll: 1 });
    const controller = new AbortController();
    let polls = 0;
    const terminal = {
      isTTY: true,
      write: () => {
        if (++polls === 2) controller.abort();
      },
    };
    const run = await cli(['bulk', 'create_tag', '--file', jsonlFile(tags(50)), '--interval-ms', '10'], {
      terminal,
      interrupt: controller.signal,
    });
    expect(run.code).toBe(130);
    expect(run.err).toContain(`Job ${JOB} keeps running`);
    expect(run.err).toContain(`intercom-actions bulk status ${JOB} --watch`);
    expect(run.json()).toEqual({ jobId: JOB, watching: false });
  });

  it('reports an unreachable API as JSON with exit 1', async () => {
    const run = await cli(['bulk', 'status', JOB, '--url', 'http://127.0.0.1:9']);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.err).error).toMatchObject({ code: 'connection_failed' });
  });

  it('exits 2 on usage errors, before any request', async () => {
    const server = await fakeApi();
    const file = jsonlFile(tags(1));
    const cases: [string[], string][] = [
      [['bulk', 'drop_everything', '--file', file], 'Unknown operation "drop_everything"'],
      [['bulk', 'create_tag'], 'bulk needs --file'],
      [['bulk', 'create_tag', '--file', join(dir, 'items.json')], 'unknown file type'],
      [['bulk', 'create_tag', '--file', join(dir, 'missing.jsonl')], 'no such file'],
      [
        ['bulk', 'create_tag', '--file', file, '--chunk', '1001'],
        '--chunk must be an integer from 1 to 1000',
      ],
      [['bulk', 'create_tag', '--file', file, '--frobnicate'], 'Unknown option --frobnicate'],
      [['bulk', 'status'], 'bulk status needs a job id'],
      [['bulk', 'failures', JOB, '--watch'], 'Unknown option --watch'],
    ];
    for (const [argv, message] of cases) {
      const run = await cli(argv);
      expect([argv, run.code]).toEqual([argv, 2]);
      expect(run.err).toContain(message);
    }
    const header = join(dir, 'bad-header.csv');
    writeFileSync(header, 'id,,name\n1,2,3\n');
    const bad = await cli(['bulk', 'delete_tag', '--file', header]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('column 2 of the header has no usable name');
    expect(server.requests).toEqual([]);
  });

  it('prints help for bulk and its commands', async () => {
    const help = await cli(['bulk', '--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('intercom-actions bulk <operation> --file');
    expect(help.out).toContain('intercom-actions bulk retry <jobId>');
    expect((await cli(['bulk', 'create_tag', '--help'])).out).toContain('--dry-run');
    const status = await cli(['bulk', 'status', '--help']);
    expect(status.out).toMatch(/^intercom-actions bulk status <jobId>/);
    expect((await cli(['bulk'])).code).toBe(2);
    expect((await cli(['--help'])).out).toContain('intercom-actions bulk <operation>');
  });
});
