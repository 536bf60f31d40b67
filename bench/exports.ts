/**
 * A 100,000-user export (`POST /exports/scroll_users`) from a standalone sandbox (its own process)
 * answering in ~100 ms, through the export path as deployed (bench/local-stack.ts
 * `startExportBenchStack`: the export endpoints, the worker and the stand-in of Lambda's event source
 * mapping in this process; DynamoDB, SQS and S3 emulated in a process of their own, as they are
 * remote services on AWS). So this process's memory and CPU are the stack's alone, and the
 * emulators' are reported apart. A scroll is serial, so what is measured is our overhead: pages per
 * second against the 0.9 / latency goal (our time per page at most 10% of Intercom's), the stack's
 * RSS growth, and the backend requests per page.
 *
 * Three exports on the same process: a small one first (about 1,000 users: the one-time warm-up of
 * the export path, modules loaded and compiled, clients and connections made), then the whole
 * population (the growth over a large export, the per-size growth the 64 MB goal is about), then the
 * whole population again with faults on (0.1% 500s, 0.2% 429s, and one forced expiry mid-scroll),
 * checking the file holds every record exactly once.
 *
 * Wall time depends on the machine's load; two measures do not: the CPU this process spends per page
 * (the worker, the handlers and the bench's status polls, on the main thread), and the backend
 * requests the export makes per page, counted on the SDK clients the worker shares (the benchmark's
 * own status polls taken off).
 */
import { fork } from 'node:child_process';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './cold-start.ts';
import { type EmulatorUsage, startExportBenchStack } from './local-stack.ts';

const USERS = Number(process.env.BENCH_EXPORT_USERS) || 100_000;
/** The warm-up export's population (plus the sandbox's own few users). */
const WARMUP_USERS = 1_000;
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
  createdAt: string;
  finishedAt?: string;
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

/** The floor (bench/scroll-floor.ts, its own process): the scroll read straight from the sandbox. */
async function rawScroll(sandboxUrl: string, token: string) {
  const child = fork(fileURLToPath(new URL('./scroll-floor.ts', import.meta.url)), [sandboxUrl, token], {
    execArgv: [],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const { pages, seconds } = await new Promise<{ pages: number; seconds: number }>((resolve, reject) => {
    child.once('message', (message) => resolve(message as { pages: number; seconds: number }));
    child.once('exit', (code) => reject(new Error(`the floor's process exited (${code}) without a result`)));
  });
  return { pages, pagesPerSecond: pages / seconds, msPerPage: (seconds * 1000) / pages - LATENCY_MS };
}

export async function run(): Promise<BenchResult> {
  const port = await freePort();
  const token = `bench_${Date.now()}`;
  const child = fork(fileURLToPath(new URL('../lib/sandbox/main.ts', import.meta.url)), [], {
    env: { ...process.env, SANDBOX_PORT: String(port), SANDBOX_TOKEN: token },
    // Intercom's stand-in runs without the V8 limits the stack may be given (it holds every user).
    execArgv: [],
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
  const stack = await startExportBenchStack({ INTERCOM_ACCESS_TOKEN: token, INTERCOM_BASE_URL: sandboxUrl });
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
    const generate = async (count: number) =>
      ((await control(sandboxUrl, 'POST', '/__sandbox/users', { count })) as { objects: { users: number } })
        .objects.users;
    let users = await generate(WARMUP_USERS);
    await control(sandboxUrl, 'PUT', '/__sandbox/config', {
      rateLimit: { perWindow: 100_000, windowSeconds: 10 },
      latency: { baseMs: LATENCY_MS, jitterMs: 10 },
    });

    async function exportOnce(faults: boolean) {
      const emulatorsBefore = await stack.usage();
      let emulatorsRssPeak = emulatorsBefore.memory.rss;
      let emulatorsLast: EmulatorUsage = emulatorsBefore;
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
      const sampleEmulators = async () => {
        emulatorsLast = await stack.usage();
        emulatorsRssPeak = Math.max(emulatorsRssPeak, emulatorsLast.memory.rss);
      };
      sample();
      const heapStart = mb(process.memoryUsage().heapUsed);
      const timer = setInterval(() => {
        sample();
        void sampleEmulators();
      }, 1_000);
      const before = { dynamodb: snapshot(dynamodb), sqs: snapshot(sqs), s3: snapshot(s3) };
      const cpuBefore = process.cpuUsage();
      const mainBefore = process.threadCpuUsage();
      const monotonicStartUs = Number(process.hrtime.bigint() / 1000n);
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
      // From the export's own record: the status polls see the end up to a poll late.
      const seconds = (Date.parse(view.finishedAt!) - Date.parse(view.createdAt)) / 1000;
      const monotonicEndUs = Number(process.hrtime.bigint() / 1000n);
      const cpu = process.cpuUsage(cpuBefore);
      const mainThread = process.threadCpuUsage(mainBefore);
      clearInterval(timer);
      sample();
      await sampleEmulators();
      const emulatorsCpu =
        emulatorsLast.cpu.user +
        emulatorsLast.cpu.system -
        emulatorsBefore.cpu.user -
        emulatorsBefore.cpu.system;
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
      // Read the file back line by line and count its ids (streamed: the next run starts from this
      // process's RSS, which a whole file read at once would raise).
      const ids = new Set<string>();
      let lines = 0;
      const file = createInterface({ input: Readable.fromWeb((await fetch(view.download.url)).body!) });
      for await (const line of file) {
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
        emulatorsCpuMsPerPage: emulatorsCpu / 1000 / pages,
        emulatorsRssStartMb: mb(emulatorsBefore.memory.rss),
        emulatorsRssGrowthMb: mb(emulatorsRssPeak - emulatorsBefore.memory.rss),
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
        /** The run's span on the monotonic clock (µs), the one `--cpu-prof` profiles use. */
        monotonicUs: [monotonicStartUs, monotonicEndUs],
      };
    }

    const load = loadavg();
    const warmup = await exportOnce(false);
    users = await generate(USERS - WARMUP_USERS);
    const floorBefore = await rawScroll(sandboxUrl, token);
    const clean = await exportOnce(false);
    const faulty = await exportOnce(true);
    await control(sandboxUrl, 'PUT', '/__sandbox/config', { faults: null });
    const floorAfter = await rawScroll(sandboxUrl, token);
    const floorMsPerPage = (floorBefore.msPerPage + floorAfter.msPerPage) / 2;
    const loadAfter = loadavg();
    const row = (name: string, r: typeof clean) =>
      `| ${name} | ${r.records} | ${r.pages} | ${r.seconds.toFixed(1)} | ${r.pagesPerSecond.toFixed(2)} (${(r.pagesPerSecond / GOAL_PAGES_PER_SECOND).toFixed(2)} of goal) | ${r.oursMsPerPage.toFixed(1)} (${(r.oursMsPerPage - floorMsPerPage).toFixed(1)}) | ${r.cpuMsPerPage.toFixed(1)} / ${r.mainThreadCpuMsPerPage.toFixed(1)} | ${r.emulatorsCpuMsPerPage.toFixed(1)} | ${r.restarts} | ${r.rssStartMb.toFixed(0)} + ${r.rssGrowthMb.toFixed(0)} | ${r.emulatorsRssStartMb.toFixed(0)} + ${r.emulatorsRssGrowthMb.toFixed(0)} | ${r.everyRecordOnce ? 'yes' : `no (${r.lines} lines, ${r.unique} unique)`} | ${r.dynamodbPerPage.toFixed(3)} / ${r.sqsPerPage.toFixed(4)} / ${r.s3PerPage.toFixed(4)} |`;
    const calls = (name: string, r: typeof clean) =>
      `- ${name}: DynamoDB ${JSON.stringify(r.dynamodb)}, SQS ${JSON.stringify(r.sqs)}, S3 ${JSON.stringify(r.s3)}`;
    return {
      title: `Exports: ${users} users at ${LATENCY_MS} ms per page`,
      markdown: [
        `Goals: ${GOAL_PAGES_PER_SECOND.toFixed(1)} pages/s (our time <= ${(LATENCY_MS / 9).toFixed(1)} ms per page), RSS growth <= ${GOAL_RSS_MB} MB. Load average ${load.map((l) => l.toFixed(2)).join(' ')} before, ${loadAfter.map((l) => l.toFixed(2)).join(' ')} after.`,
        `Floor (the same scroll read straight from the sandbox, nothing done per page): ${floorBefore.pagesPerSecond.toFixed(2)} pages/s before the exports and ${floorAfter.pagesPerSecond.toFixed(2)} after, i.e. ${floorBefore.msPerPage.toFixed(1)} and ${floorAfter.msPerPage.toFixed(1)} ms per page beyond the latency (the sandbox's and the loopback's time); an export's time beyond it (in brackets below) is ours.`,
        `Stack RSS: ${mb(memoryAtStart.rss).toFixed(0)} MB before the stack, ${mb(memoryStackUp.rss).toFixed(0)} MB with it started (heap ${mb(memoryStackUp.heapUsed).toFixed(0)} MB). Stack RSS growth: warm-up (a) ${warmup.rssGrowthMb.toFixed(0)} MB, over the large export after it (b) ${clean.rssGrowthMb.toFixed(0)} MB (${(clean.rssGrowthMb / GOAL_RSS_MB).toFixed(2)} of the ${GOAL_RSS_MB} MB limit); the emulators' process (c) ${warmup.emulatorsRssGrowthMb.toFixed(0)} and ${clean.emulatorsRssGrowthMb.toFixed(0)} MB.`,
        '',
        '| run | records | pages | seconds | pages/s | ms/page beyond the latency, wall (beyond the floor) | stack CPU ms/page (process / main thread) | emulators CPU ms/page | restarts | stack RSS MB (start + growth) | emulators RSS MB (start + growth) | every record once | DynamoDB / SQS / S3 requests per page |',
        '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
        row('warm-up (first, small)', warmup),
        row('clean', clean),
        row('faults (0.1% 500, 0.2% 429, one expiry)', faulty),
        '',
        calls('warm-up', warmup),
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
        floor: { before: floorBefore, after: floorAfter },
        warmup,
        clean,
        faulty,
      },
    };
  } finally {
    await stack.close();
    child.kill();
  }
}
