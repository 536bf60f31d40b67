/**
 * A 100,000-user export (`POST /exports/scroll_users`) from a standalone sandbox (its own process, so
 * this process's memory is the stack's alone) answering in ~100 ms. A scroll is serial, so what is
 * measured is our overhead: pages per second against the 0.9 / latency goal (our time per page at
 * most 10% of Intercom's), the stack's RSS growth over the run, and the backend requests per record.
 * A second run turns faults on (0.1% 500s, 0.2% 429s, and one forced expiry mid-scroll) and checks
 * the file holds every record exactly once.
 */
import { fork } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './cold-start.ts';
import { startBenchStack } from './local-stack.ts';

const USERS = Number(process.env.BENCH_EXPORT_USERS) || 100_000;
const LATENCY_MS = 100;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function control(url: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${url}${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return res.json();
}

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
  // The external sandbox has no webhook subscriptions to remove.
  const stack = await startBenchStack(
    {},
    { INTERCOM_ACCESS_TOKEN: token, INTERCOM_BASE_URL: sandboxUrl },
    { webhooks: true },
  );
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${stack.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return (await res.json()) as any;
  };
  try {
    const generated = await control(sandboxUrl, 'POST', '/__sandbox/users', { count: USERS });
    const total: number = generated.objects.users;
    await control(sandboxUrl, 'PUT', '/__sandbox/config', {
      rateLimit: { perWindow: 100_000, windowSeconds: 10 },
      latency: { baseMs: LATENCY_MS, jitterMs: 10 },
    });

    async function exportOnce(faults: boolean) {
      await control(sandboxUrl, 'PUT', '/__sandbox/config', {
        faults: faults ? { rates: { '500': 0.001, '429': 0.002 }, seed: 5 } : null,
      });
      const callsBefore = await stack.bulk.emulators.calls();
      const rss: number[] = [];
      const sample = () => rss.push(process.memoryUsage().rss / 2 ** 20);
      sample();
      const timer = setInterval(sample, 1_000);
      const started = performance.now();
      const { exportId } = await api('POST', '/exports/scroll_users', {});
      let expired = false;
      let view: any;
      for (;;) {
        view = await api('GET', `/exports/${exportId}`);
        if (view.status === 'succeeded' || view.status === 'failed') break;
        if (faults && !expired && view.pages >= 300) {
          expired = true;
          await control(sandboxUrl, 'POST', '/__sandbox/scroll/expire');
        }
        await new Promise((r) => setTimeout(r, 500));
      }
      const seconds = (performance.now() - started) / 1000;
      clearInterval(timer);
      sample();
      if (view.status !== 'succeeded') throw new Error(`export failed: ${JSON.stringify(view)}`);
      const callsAfter = await stack.bulk.emulators.calls();
      const delta = (a: Record<string, number>, b: Record<string, number>) =>
        Object.values(b).reduce((s, v) => s + v, 0) - Object.values(a).reduce((s, v) => s + v, 0);
      // Read the file back and count its ids (streamed line by line: the check's memory is not the stack's concern).
      const res = await fetch(view.download.url);
      const text = await res.text();
      const ids = new Set<string>();
      let lines = 0;
      for (const line of text.split('\n')) {
        if (!line) continue;
        lines++;
        ids.add(JSON.parse(line).id);
      }
      return {
        seconds,
        pages: view.pages,
        pagesPerSecond: view.pages / seconds,
        restarts: view.restarts,
        records: view.records,
        lines,
        unique: ids.size,
        bytes: view.bytes,
        rssStartMb: rss[0]!,
        rssPeakMb: Math.max(...rss),
        dynamodb: delta(callsBefore.dynamodb, callsAfter.dynamodb),
        sqs: delta(callsBefore.sqs, callsAfter.sqs),
        expired,
      };
    }

    const clean = await exportOnce(false);
    const faulty = await exportOnce(true);
    const goal = 0.9 / (LATENCY_MS / 1000);
    const row = (name: string, r: typeof clean) =>
      `| ${name} | ${r.records} | ${r.pages} | ${r.seconds.toFixed(1)} | ${r.pagesPerSecond.toFixed(2)} (goal ${goal.toFixed(1)}) | ${r.restarts} | ${(r.rssPeakMb - r.rssStartMb).toFixed(0)} | ${r.lines === total && r.unique === total ? 'yes' : `no (${r.lines} lines, ${r.unique} unique of ${total})`} | ${(r.dynamodb / r.records).toFixed(4)} / ${(r.sqs / r.records).toFixed(5)} |`;
    return {
      title: `Exports: ${total} users at ${LATENCY_MS} ms per page`,
      markdown: [
        '| run | records | pages | seconds | pages/s | restarts | RSS growth MB | every record once | DynamoDB / SQS requests per record |',
        '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
        row('clean', clean),
        row('faults (0.1% 500, 0.2% 429, one expiry)', faulty),
      ].join('\n'),
      results: { total, latencyMs: LATENCY_MS, goalPagesPerSecond: goal, clean, faulty },
    };
  } finally {
    await stack.close();
    child.kill();
  }
}
