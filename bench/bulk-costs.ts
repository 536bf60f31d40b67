/**
 * What one bulk item costs the backends, and how many items per second the local pipeline carries:
 * 5,000 upserts through the whole local stack (HTTP intake, SQS emulator, worker, DynamoDB
 * emulator, governor) against a sandbox with no rate limit and no latency, every DynamoDB and SQS
 * API call counted at the emulators, from the first chunk to the status call that reports the job
 * completed. Goals (issue 11): <= 2.5 DynamoDB writes and <= 0.2 reads per item; >= 180 items/s.
 */
import { cpuUsage } from 'node:process';
import type { BenchResult } from './cold-start.ts';

const ITEMS = Number(process.env.BENCH_ITEMS) || 5_000;
const CHUNK = 1_000;

/** DynamoDB actions that write; each item of a batch write counts as one (we use none). */
const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);
const READS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem']);

function diff(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(after)) if (v - (before[k] ?? 0) > 0) out[k] = v - (before[k] ?? 0);
  return out;
}

const sum = (calls: Record<string, number>, kinds: Set<string>) =>
  Object.entries(calls).reduce((n, [k, v]) => n + (kinds.has(k) ? v : 0), 0);

export async function run(): Promise<BenchResult> {
  for (const key of ['INTERCOM_ACCESS_TOKEN', 'INTERCOM_BASE_URL', 'API_KEY']) delete process.env[key];
  Object.assign(process.env, {
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    RATE_LIMIT_RESERVE: '0',
  });
  const { startLocalStack } = await import('../lib/local/stack.ts');
  const stack = await startLocalStack({ port: 0, sandboxPort: 0 });
  try {
    const sandbox = stack.sandbox!;
    // Intercom's default private-app limit is far above this run's pace: no 429s, no waiting.
    sandbox.configure({ rateLimit: { perWindow: 1_000_000, windowSeconds: 10 } });
    await fetch(`${stack.sandboxUrl}/__sandbox/webhooks`, { method: 'DELETE' });
    const headers = { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json' };
    const before = stack.bulk.emulators.calls();
    const usersBefore = sandbox.stats().objects.users;
    const cpuBefore = cpuUsage();
    const rssPeak = { value: process.memoryUsage().rss };
    const rssTimer = setInterval(() => {
      rssPeak.value = Math.max(rssPeak.value, process.memoryUsage().rss);
    }, 250);
    const started = performance.now();
    let jobId: string | undefined;
    for (let offset = 0; offset < ITEMS; offset += CHUNK) {
      const items = Array.from({ length: Math.min(CHUNK, ITEMS - offset) }, (_, i) => ({
        body: { user_id: `cost-${offset + i}`, email: `cost-${offset + i}@example.com` },
      }));
      const res = await fetch(`${stack.url}/bulk/create_update_user`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ items, ...(jobId ? { jobId, offset } : {}), final: offset + CHUNK >= ITEMS }),
      });
      const body = (await res.json()) as { jobId: string };
      if (res.status !== 202) throw new Error(`submit failed: ${res.status} ${JSON.stringify(body)}`);
      jobId = body.jobId;
    }
    const intakeSeconds = (performance.now() - started) / 1000;
    // Watch Intercom's side (no backend calls) until every item arrived, then ask the job once.
    while (sandbox.stats().objects.users - usersBefore < ITEMS) await new Promise((r) => setTimeout(r, 50));
    let statusCalls = 0;
    for (;;) {
      statusCalls++;
      const job = (await (await fetch(`${stack.url}/bulk/jobs/${jobId}`, { headers })).json()) as {
        status: string;
        succeeded: number;
      };
      if (job.status === 'completed') break;
      if (job.status === 'completed_with_errors') throw new Error(`job ended ${JSON.stringify(job)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const seconds = (performance.now() - started) / 1000;
    clearInterval(rssTimer);
    const cpu = cpuUsage(cpuBefore);
    const calls = stack.bulk.emulators.calls();
    const dynamodb = diff(calls.dynamodb, before.dynamodb);
    const sqs = diff(calls.sqs, before.sqs);
    const created = sandbox.stats().objects.users - usersBefore;
    const row = {
      items: ITEMS,
      seconds,
      intakeSeconds,
      itemsPerSecond: ITEMS / seconds,
      created,
      statusCalls,
      dynamodb,
      sqs,
      writesPerItem: sum(dynamodb, WRITES) / ITEMS,
      readsPerItem: sum(dynamodb, READS) / ITEMS,
      sqsPerItem: Object.values(sqs).reduce((a, b) => a + b, 0) / ITEMS,
      cpuMsPerItem: (cpu.user + cpu.system) / 1000 / ITEMS,
      rssPeakMb: rssPeak.value / 2 ** 20,
    };
    const fmt = (calls: Record<string, number>) =>
      Object.entries(calls)
        .sort()
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
    const markdown = [
      `${ITEMS} upserts through the local stack, sandbox without rate limit or latency, counted at the emulators from the first chunk to the status call that said completed (${statusCalls} status call(s)).`,
      '',
      '| measure | value | goal |',
      '| --- | ---: | --- |',
      `| DynamoDB writes per item | ${row.writesPerItem.toFixed(2)} | <= 2.5 |`,
      `| DynamoDB reads per item | ${row.readsPerItem.toFixed(3)} | <= 0.2 |`,
      `| SQS calls per item | ${row.sqsPerItem.toFixed(3)} | |`,
      `| pipeline capacity, items/s | ${row.itemsPerSecond.toFixed(0)} | >= 180 |`,
      `| intake, s (5 chunks of 1,000) | ${intakeSeconds.toFixed(2)} | |`,
      `| CPU per item (whole stack, one process), ms | ${row.cpuMsPerItem.toFixed(2)} | |`,
      `| peak RSS, MB | ${row.rssPeakMb.toFixed(0)} | |`,
      `| lost / duplicated | ${ITEMS - created} / ${Math.max(0, created - ITEMS)} | 0 / 0 |`,
      '',
      `DynamoDB: ${fmt(dynamodb)}. SQS: ${fmt(sqs)}.`,
    ].join('\n');
    return { title: 'Bulk costs per item and pipeline capacity', markdown, results: [row] };
  } finally {
    await stack.close();
  }
}
