/** `intercom-actions export` against the real local stack: progress line, the downloaded file, errors. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { runCli } from '../../lib/cli/main.ts';
import { type BulkTestStack, startBulkTestStack } from '../helpers/bulk-stack.ts';

const dir = mkdtempSync(join(tmpdir(), 'export-cli-'));
let t: BulkTestStack;
let users: number;
beforeAll(async () => {
  t = await startBulkTestStack({}, { EXPORT_PART_BYTES: '65536' });
  const res = await fetch(`${t.stack.sandboxUrl}/__sandbox/users`, {
    method: 'POST',
    body: JSON.stringify({ count: 700 }),
  });
  users = ((await res.json()) as { objects: { users: number } }).objects.users;
}, 30_000);
afterAll(async () => {
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function cli(argv: string[]) {
  let out = '';
  let err = '';
  const progress: string[] = [];
  const code = await runCli(argv, {
    out: (text) => (out += `${text}\n`),
    err: (text) => (err += `${text}\n`),
    env: { INTERCOM_ACTIONS_URL: t.stack.url, INTERCOM_ACTIONS_KEY: t.stack.apiKey },
    terminal: { isTTY: false, write: (text: string) => progress.push(text) },
  });
  return { code, out, err, progress };
}

describe('intercom-actions export', () => {
  it('exports, shows progress and downloads the file', async () => {
    const file = join(dir, 'users.jsonl');
    const run = await cli(['export', 'scroll_users', '--out', file, '--interval-ms', '50']);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.out);
    expect(summary).toMatchObject({ status: 'succeeded', records: users, restarts: 0, file });
    expect(run.progress.at(-1)).toMatch(
      new RegExp(`succeeded, ${users} records, \\d+ pages, \\d+/s, 0 restart`),
    );
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(new Set(lines.map((l) => JSON.parse(l).id)).size).toBe(users);
  }, 60_000);

  it('writes gzipped CSV with the chosen fields', async () => {
    const file = join(dir, 'users.csv.gz');
    const run = await cli([
      'export',
      'scroll_users',
      '--out',
      file,
      '--format',
      'csv',
      '--fields',
      'id,email',
      '--gzip',
    ]);
    expect(run.code).toBe(0);
    const lines = gunzipSync(readFileSync(file)).toString().trim().split('\r\n');
    expect(lines[0]).toBe('id,email');
    expect(lines).toHaveLength(users + 1);
  }, 60_000);

  it('reports the API error and exits 1; usage errors exit 2', async () => {
    const bad = await cli(['export', 'scroll_users', '--out', join(dir, 'x.csv'), '--format', 'csv']);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.err).error.code).toBe('validation_failed');
    expect((await cli(['export', 'scroll_users'])).code).toBe(2);
    expect((await cli(['export', 'scroll_users', '--out', 'x', '--nope'])).code).toBe(2);
    const help = await cli(['export', '--help']);
    expect([help.code, help.out]).toEqual([0, expect.stringContaining('--out FILE')]);
  }, 30_000);
});
