/**
 * `npm start` keeps its promises across a restart: killed with SIGKILL in the middle of a 500-item
 * `create_note` job (nothing in memory survives), started again on the same data folder against a
 * persistent Intercom (a standalone sandbox), it resumes the job; every note is written exactly
 * once, and the same Idempotency-Key still names the same job without running anything again.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Sandbox, startSandbox } from '../../lib/sandbox/server.ts';

const TOKEN = 'sandbox_restart_token_01';
const API_KEY = 'ia_restart_test_key_0123456789';
const USERS = 50;
const NOTES_PER_USER = 10;

let sandbox: Sandbox;
let dataDir: string;
let child: ChildProcess | undefined;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** `node lib/local/start.ts`, as `npm start` runs it; resolves with its URL once it is serving. */
async function start(port: number): Promise<{ url: string; banner: string }> {
  const proc = spawn(process.execPath, ['lib/local/start.ts'], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: String(port),
      INTERCOM_ACCESS_TOKEN: TOKEN,
      INTERCOM_BASE_URL: sandbox.url,
      API_KEY,
      INTERCOM_WEBHOOK_SECRET: 'restart-test-webhook-secret',
      AUTOMATIONS_FILE: 'test/fixtures/automations/empty.yaml',
      LOCAL_DATA_DIR: dataDir,
      // Short leases and lookups, so items a killed worker held are taken over within seconds.
      LOCAL_WORKER_TIMEOUT_SECONDS: '12',
      BULK_VERIFY_DELAY_SECONDS: '2',
      POWERTOOLS_LOG_LEVEL: 'SILENT',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = proc;
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not come up:\n${out}`)), 60_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const running = /is running at (http:\/\/\S+)/.exec(out);
      if (running && out.includes('Stop: Ctrl-C')) {
        clearTimeout(timer);
        resolve({ url: running[1]!, banner: out });
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited (${code}):\n${out}`));
    });
  });
}

async function kill(): Promise<void> {
  const proc = child;
  if (!proc || proc.exitCode !== null) return;
  proc.removeAllListeners('exit');
  await new Promise<void>((resolve) => {
    proc.once('exit', () => resolve());
    proc.kill('SIGKILL');
  });
}

async function api(url: string, method: string, path: string, body?: unknown, headers = {}) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as any };
}

/** A request of the test's own to the sandbox; it shares the small budget, so a 429 waits for the reset. */
async function intercom(path: string, init: RequestInit = {}): Promise<any> {
  for (;;) {
    const res = await fetch(`${sandbox.url}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${TOKEN}`,
        accept: 'application/json',
        'content-type': 'application/json',
      },
    });
    if (res.status !== 429) return res.json();
    await res.arrayBuffer();
    const reset = Number(res.headers.get('x-ratelimit-reset')) * 1000;
    await new Promise((r) => setTimeout(r, Math.max(50, reset - Date.now())));
  }
}

function notesWritten(): number {
  return sandbox.stats().objects.notes ?? 0;
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'intercom-actions-restart-'));
  // Intercom's budget as a small app's: the job takes several seconds, so the kill lands mid-run.
  sandbox = await startSandbox({
    port: 0,
    token: TOKEN,
    quiet: true,
    seed: false,
    rateLimit: { perWindow: 60, windowSeconds: 1 },
  });
  for (let u = 0; u < USERS; u++) {
    await intercom('/users', { method: 'POST', body: JSON.stringify({ user_id: `restart-${u}` }) });
  }
}, 60_000);

afterAll(async () => {
  await kill();
  await sandbox?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('a local restart mid-job', () => {
  it('resumes the job after SIGKILL: every note exactly once, same job for the same Idempotency-Key', async () => {
    const port = await freePort();
    const first = await start(port);
    const items = Array.from({ length: USERS * NOTES_PER_USER }, (_, i) => ({
      body: { user: { user_id: `restart-${i % USERS}` }, body: `restart note ${i}` },
    }));
    const headers = { 'idempotency-key': 'restart-job' };
    const submitted = await api(first.url, 'POST', '/bulk/create_note', { items }, headers);
    expect(submitted.status).toBe(202);
    const { jobId } = submitted.json;
    // Kill it once a fair share of the notes exist: the rest is queued, in flight or being counted.
    for (let i = 0; notesWritten() < 120; i++) {
      if (i > 600) throw new Error(`only ${notesWritten()} notes after 60 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await kill();
    const atKill = notesWritten();
    expect(atKill).toBeLessThan(items.length);

    const second = await start(port);
    expect(second.banner).toMatch(/resumed 1 unfinished job/);
    // The same request again: the same job, nothing queued twice.
    const again = await api(second.url, 'POST', '/bulk/create_note', { items }, headers);
    expect([again.status, again.json.jobId]).toEqual([202, jobId]);
    let job: any;
    for (let i = 0; ; i++) {
      job = (await api(second.url, 'GET', `/bulk/jobs/${jobId}`)).json;
      if (job.status === 'completed' || job.status === 'completed_with_errors') break;
      if (i > 1200) throw new Error(`job still ${JSON.stringify(job)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(job).toMatchObject({ status: 'completed', total: 500, succeeded: 500, failed: 0 });
    // Exactly once, note by note, as Intercom holds them.
    expect(notesWritten()).toBe(items.length);
    const seen = new Map<string, number>();
    for (let u = 0; u < USERS; u++) {
      const { notes } = await intercom(`/notes?user_id=restart-${u}`);
      for (const note of notes) seen.set(note.body, (seen.get(note.body) ?? 0) + 1);
    }
    expect(seen.size).toBe(items.length);
    expect([...seen.values()].every((n) => n === 1)).toBe(true);
  }, 240_000);
});
