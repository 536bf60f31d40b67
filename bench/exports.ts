/**
 * A 100,000-user export (`POST /exports/scroll_users`) from a standalone sandbox (its own process, so
 * this process's memory is the stack's alone) answering in ~100 ms. A scroll is serial, so what is
 * measured is our overhead: pages per second against the 0.9 / latency goal (our time per page at
 * most 10% of Intercom's), the stack's RSS growth over the run, and the backend requests per page.
 * A second run turns faults on (0.1% 500s, 0.2% 429s, and one forced expiry mid-scroll) and checks
 * the file holds every record exactly once.
 *
 * Wall time depends on the machine's load; two measures do not: the CPU this process spends per page
 * (all of it: the worker, the handlers, and the emulators, which run in this process too, the DynamoDB
 * and SQS ones in a worker thread), and the backend requests the export makes per page, counted on the
 * SDK clients the worker shares (the benchmark's own status polls taken off).
 */
import { fork } from 'node:child_process';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './cold-start.ts';
import { startBenchStack } from './local-stack.ts';

const USERS = Number(process.env.BENCH_EXPORT_USERS) || 100_000;
const LATENCY_MS = 100;
const POLL_MS = 1_000;
/** Goals of issue 15. */
const GOAL_PAGES_PER_SECOND = 0.9 / (LATENCY_MS / 1000);
const GOAL_RSS_MB = 64;

interface ExportView {
  exportId: string;
  status: string;
  records: number;
  pages: number;
  restarts: number;
  bytes: number;
  download?: { url: string };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function control(url: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${url}${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return res.json();
}

type Counts = Map<string, number>;

/** Counts every request an SDK client sends, by command (`UpdateItemCommand`, `UploadPartCommand`, ...). */
function countCalls(client: { middlewareStack: { add: (...args: never[]) => void } }, into: Counts): void {
  const middleware =
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => (args: unknown) => {
      const name = context.commandName ?? 'unknown';
      into.set(name, (into.get(name) ?? 0) + 1);
      return next(args);
    };
  (client.middlewareStack.add as (m: unknown, o: unknown) => void)(middleware, {
    step: 'initialize',
    name: 'exportBenchCounter',
  });
}

const snapshot = (counts: Counts) => new Map(counts);
function minus(after: Counts, before: Counts): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, n] of after) if (n - (before.get(name) ?? 0) > 0) out[name] = n - (before.get(name) ?? 0);
  return out;
}

const mb = (bytes: number) => bytes / 2 ** 20;

export async function run(): Promise<BenchResult> {
  const port = await freePort();
  const token = `bench_${Date.now()}`;
  const child = fork(fileURLToPath(new URL('../lib/sandbox/main.ts', import.meta.url)), [], {
    env: { ...process.env, SANDBOX_PORT: String(port), SANDBOX_TOKEN: token },
    stdio: 'ignore',
  });
  const sandboxUrl = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      await control(sandboxUrl, 'GET', '/__sandbox/health');
      break;
    } catch (error) {
      if (i > 100) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const memoryAtStart = process.memoryUsage();
  // The external sandbox has no webhook subscriptions to remove.
  const stack = await startBenchStack(
    {},
    { INTERCOM_ACCESS_TOKEN: token, INTERCOM_BASE_URL: sandboxUrl },
    { webhooks: true },
  );
  const memoryStackUp = process.memoryUsage();
  // The clients the export worker, the governor and the handlers share (created on first use here).
  const { documentClient, s3Client, sqsClient } = await import('../lib/aws/clients.ts');
  const dynamodb: Counts = new Map();
  const sqs: Counts = new Map();
  const s3: Counts = new Map();
  countCalls(documentClient(), dynamodb);
  countCalls(sqsClient(), sqs);
  countCalls(s3Client(), s3);
  const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${stack.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return (await res.json()) as T;
  };
  try {
    const generated = (await control(sandboxUrl, 'POST', '/__sandbox/users', { count: USERS })) as {
      objects: { users: number };
    };
    const users = generated.objects.users;
    await control(sandboxUrl, 'PUT', '/__sandbox/config', {
      rateLimit: { perWindow: 100_000, windowSeconds: 10 },
      latency: { baseMs: LATENCY_MS, jitterMs: 10 },
    });

    async function exportOnce(faults: boolean) {
      await control(sandboxUrl, 'PUT', '/__sandbox/config', {
        faults: faults ? { rates: { '500': 0.001, '429': 0.002 }, seed: 5 } : null,
      });
      const rss: number[] = [];
      let heapPeak = 0;
      let externalPeak = 0;
      const sample = () => {
        const m = process.memoryUsage();
        rss.push(mb(m.rss));
        heapPeak = Math.max(heapPeak, mb(m.heapUsed));
        externalPeak = Math.max(externalPeak, mb(m.external));
      };
      sample();
      const heapStart = mb(process.memoryUsage().heapUsed);
      const timer = setInterval(sample, 1_000);
      const before = { dynamodb: snapshot(dynamodb), sqs: snapshot(sqs), s3: snapshot(s3) };
      const cpuBefore = process.cpuUsage();
      const mainBefore = process.threadCpuUsage();
      const started = performance.now();
      const { exportId } = await api<ExportView>('POST', '/exports/scroll_users', {});
      let expired = false;
      let view: ExportView;
      let polls = 0;
      for (;;) {
        view = await api<ExportView>('GET', `/exports/${exportId}`);
        polls++;
        if (view.status === 'succeeded' || view.status === 'failed') break;
        if (faults && !expired && view.pages >= 300) {
          expired = true;
          await control(sandboxUrl, 'POST', '/__sandbox/scroll/expire');
        }
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
      const seconds = (performance.now() - started) / 1000;
      const cpu = process.cpuUsage(cpuBefore);
      const mainThread = process.threadCpuUsage(mainBefore);
      clearInterval(timer);
      sample();
      if (view.status !== 'succeeded' || !view.download)
        throw new Error(`export failed: ${JSON.stringify(view)}`);
      // What the benchmark itself asked for: the intake's create and one record read per status poll.
      const own = { GetCommand: polls, PutCommand: 1 };
      const dynamodbCalls = minus(dynamodb, before.dynamodb);
      for (const [name, n] of Object.entries(own))
        if (dynamodbCalls[name] !== undefined) dynamodbCalls[name] -= n;
      const sqsCalls = minus(sqs, before.sqs);
      if (sqsCalls.SendMessageCommand !== undefined) sqsCalls.SendMessageCommand -= 1;
      const s3Calls = minus(s3, before.s3);
      const sum = (calls: Record<string, number>) => Object.values(calls).reduce((a, b) => a + b, 0);
      // Read the file back and count its ids (the check's memory is not the stack's concern: sampling stopped).
      const text = await (await fetch(view.download.url)).text();
      const ids = new Set<string>();
      let lines = 0;
      for (const line of text.split('\n')) {
        if (!line) continue;
        lines++;
        ids.add((JSON.parse(line) as { id: string }).id);
      }
      const pages = view.pages;
      return {
        seconds,
        pages,
        pagesPerSecond: pages / seconds,
        /** Wall time per page beyond the sandbox's latency. */
        oursMsPerPage: (seconds * 1000) / pages - LATENCY_MS,
        cpuMsPerPage: (cpu.user + cpu.system) / 1000 / pages,
        mainThreadCpuMsPerPage: (mainThread.user + mainThread.system) / 1000 / pages,
        restarts: view.restarts,
        records: view.records,
        lines,
        unique: ids.size,
        everyRecordOnce: lines === users && ids.size === users,
        bytes: view.bytes,
        rssStartMb: rss[0]!,
        rssPeakMb: Math.max(...rss),
        rssGrowthMb: Math.max(...rss) - rss[0]!,
        heapUsedStartMb: heapStart,
        heapUsedPeakMb: heapPeak,
        externalPeakMb: externalPeak,
        dynamodb: dynamodbCalls,
        sqs: sqsCalls,
        s3: s3Calls,
        dynamodbPerPage: sum(dynamodbCalls) / pages,
        sqsPerPage: sum(sqsCalls) / pages,
        s3PerPage: sum(s3Calls) / pages,
        expired,
      };
    }

    const load = loadavg();
    const clean = await exportOnce(false);
    const faulty = await exportOnce(true);
    const loadAfter = loadavg();
    const row = (name: string, r: typeof clean) =>
      `| ${name} | ${r.records} | ${r.pages} | ${r.seconds.toFixed(1)} | ${r.pagesPerSecond.toFixed(2)} (${(r.pagesPerSecond / GOAL_PAGES_PER_SECOND).toFixed(2)} of goal) | ${r.oursMsPerPage.toFixed(1)} | ${r.cpuMsPerPage.toFixed(1)} / ${r.mainThreadCpuMsPerPage.toFixed(1)} | ${r.restarts} | ${r.rssGrowthMb.toFixed(0)} (${(r.rssGrowthMb / GOAL_RSS_MB).toFixed(2)} of limit) | ${r.everyRecordOnce ? 'yes' : `no (${r.lines} lines, ${r.unique} unique of ${users})`} | ${r.dynamodbPerPage.toFixed(3)} / ${r.sqsPerPage.toFixed(4)} / ${r.s3PerPage.toFixed(4)} |`;
    const calls = (name: string, r: typeof clean) =>
      `- ${name}: DynamoDB ${JSON.stringify(r.dynamodb)}, SQS ${JSON.stringify(r.sqs)}, S3 ${JSON.stringify(r.s3)}`;
    return {
      title: `Exports: ${users} users at ${LATENCY_MS} ms per page`,
      markdown: [
        `Goals: ${GOAL_PAGES_PER_SECOND.toFixed(1)} pages/s (our time <= ${(LATENCY_MS / 9).toFixed(1)} ms per page), RSS growth <= ${GOAL_RSS_MB} MB. Load average ${load.map((l) => l.toFixed(2)).join(' ')} before, ${loadAfter.map((l) => l.toFixed(2)).join(' ')} after.`,
        `RSS: ${mb(memoryAtStart.rss).toFixed(0)} MB before the stack, ${mb(memoryStackUp.rss).toFixed(0)} MB with it started (heap ${mb(memoryStackUp.heapUsed).toFixed(0)} MB).`,
        '',
        '| run | records | pages | seconds | pages/s | ours ms/page (wall) | CPU ms/page (process / main thread) | restarts | RSS growth MB | every record once | DynamoDB / SQS / S3 requests per page |',
        '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
        row('clean', clean),
        row('faults (0.1% 500, 0.2% 429, one expiry)', faulty),
        '',
        calls('clean', clean),
        calls('faults', faulty),
        `- heap used (main thread): clean ${clean.heapUsedStartMb.toFixed(0)} -> peak ${clean.heapUsedPeakMb.toFixed(0)} MB, external peak ${clean.externalPeakMb.toFixed(0)} MB; faults ${faulty.heapUsedStartMb.toFixed(0)} -> ${faulty.heapUsedPeakMb.toFixed(0)} MB`,
      ].join('\n'),
      results: {
        users,
        latencyMs: LATENCY_MS,
        goalPagesPerSecond: GOAL_PAGES_PER_SECOND,
        goalRssMb: GOAL_RSS_MB,
        loadAverage: { before: load, after: loadAfter },
        memoryAtStart,
        memoryStackUp,
        clean,
        faulty,
      },
    };
  } finally {
    await stack.close();
    child.kill();
  }
}
