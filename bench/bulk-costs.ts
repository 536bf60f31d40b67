/**
 * What one bulk item costs the backends, and how many items per second the local pipeline carries:
 * 5,000 upserts through the whole local stack (HTTP intake, SQS emulator, worker, DynamoDB
 * emulator, governor) against a sandbox with no rate limit and no latency, every DynamoDB and SQS
 * API call counted at the emulators, from the first chunk to the status call that reports the job
 * completed. Goals (issue 11): <= 2.5 DynamoDB writes and <= 0.2 reads per item; >= 180 items/s.
 */
import { cpuUsage } from 'node:process';
import type { BenchResult } from './cold-start.ts';
import { startBenchStack } from './local-stack.ts';

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

type Stack = Awaited<ReturnType<typeof import('../lib/local/stack.ts').startLocalStack>>;

/** One job of ITEMS upserts, counted at the emulators from its first chunk to the status that says it ended. */
async function costRun(stack: Stack, label: string, prefix: string) {
  const sandbox = stack.sandbox!;
  const headers = { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json' };
  const before = await stack.bulk.emulators.calls();
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
      body: { user_id: `${prefix}-${offset + i}`, email: `${prefix}-${offset + i}@example.com` },
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
  // Watch Intercom's side (no backend calls) until every item arrived, then ask the job: each
  // status call costs reads of its own, so it is asked rarely and its calls are reported.
  let statusCalls = 0;
  let job: { status: string; succeeded: number; failed: number } | undefined;
  const ask = async () => {
    statusCalls++;
    job = (await (await fetch(`${stack.url}/bulk/jobs/${jobId}`, { headers })).json()) as typeof job;
    return job!.status === 'completed' || job!.status === 'completed_with_errors';
  };
  // (An item that fails for good never reaches Intercom: the job is asked every 2 s meanwhile.)
  for (let i = 1; sandbox.stats().objects.users - usersBefore < ITEMS; i++) {
    if (i % 40 === 0 && (await ask())) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  while (!(await ask())) await new Promise((r) => setTimeout(r, 250));
  const seconds = (performance.now() - started) / 1000;
  clearInterval(rssTimer);
  const cpu = cpuUsage(cpuBefore);
  const calls = await stack.bulk.emulators.calls();
  const dynamodb = diff(calls.dynamodb, before.dynamodb);
  const sqs = diff(calls.sqs, before.sqs);
  const created = sandbox.stats().objects.users - usersBefore;
  return {
    label,
    items: ITEMS,
    seconds,
    intakeSeconds,
    itemsPerSecond: ITEMS / seconds,
    succeeded: job!.succeeded,
    failed: job!.failed,
    lost: ITEMS - created,
    statusCalls,
    dynamodb,
    sqs,
    writesPerItem: sum(dynamodb, WRITES) / ITEMS,
    readsPerItem: sum(dynamodb, READS) / ITEMS,
    sqsPerItem: Object.values(sqs).reduce((a, b) => a + b, 0) / ITEMS,
    cpuMsPerItem: (cpu.user + cpu.system) / 1000 / ITEMS,
    rssPeakMb: rssPeak.value / 2 ** 20,
  };
}

/**
 * Faults of the faulted run: Intercom errors and dropped connections (after Intercom applied the
 * request) that the worker retries. No injected 429s: a 429 pauses every worker of the workspace
 * until the window's reset, which measures waiting, not cost (bench/bulk-throughput.ts covers 429s).
 */
const FAULTS = { rates: { '500': 0.04, '503': 0.02, reset: 0.02 }, seed: 11 };

export async function run(): Promise<BenchResult> {
  const stack = await startBenchStack();
  try {
    const sandbox = stack.sandbox!;
    // Intercom's default private-app limit is far above this run's pace: no 429s, no waiting.
    sandbox.configure({ rateLimit: { perWindow: 1_000_000, windowSeconds: 10 } });
    const clean = await costRun(stack, 'no faults', 'cost');
    sandbox.configure({ faults: FAULTS });
    const faulted = await costRun(stack, '8% faults (4% 500, 2% 503, 2% dropped after applying)', 'faulted');
    sandbox.configure({ faults: null });
    const rows = [clean, faulted];
    const fmt = (calls: Record<string, number>) =>
      Object.entries(calls)
        .sort()
        .map(([k, v]) => `${k} ${v}`)
        .join(', ');
    const cell = (f: (r: (typeof rows)[number]) => string) => rows.map(f).join(' | ');
    const markdown = [
      `${ITEMS} upserts through the local stack, sandbox without rate limit or latency, every DynamoDB and SQS call counted at the emulators from the first chunk to the status call that said the job ended.`,
      '',
      `| measure | ${rows.map((r) => r.label).join(' | ')} | goal |`,
      `| --- | ${rows.map(() => '---:').join(' | ')} | --- |`,
      `| DynamoDB writes per item | ${cell((r) => r.writesPerItem.toFixed(2))} | <= 2.5 (no faults) |`,
      `| DynamoDB reads per item | ${cell((r) => r.readsPerItem.toFixed(3))} | <= 0.2 (no faults) |`,
      `| SQS calls per item | ${cell((r) => r.sqsPerItem.toFixed(3))} | |`,
      `| items/s (pipeline capacity without faults) | ${cell((r) => r.itemsPerSecond.toFixed(0))} | >= 180 |`,
      `| intake, s (chunks of ${CHUNK}) | ${cell((r) => r.intakeSeconds.toFixed(2))} | |`,
      `| CPU per item (whole stack: one process and its emulator thread), ms | ${cell((r) => r.cpuMsPerItem.toFixed(2))} | |`,
      `| peak RSS, MB | ${cell((r) => r.rssPeakMb.toFixed(0))} | |`,
      `| succeeded / failed / lost | ${cell((r) => `${r.succeeded} / ${r.failed} / ${r.lost}`)} | all / 0 / 0 |`,
      `| status calls | ${cell((r) => String(r.statusCalls))} | |`,
      '',
      ...rows.map((r) => `${r.label}: DynamoDB ${fmt(r.dynamodb)}; SQS ${fmt(r.sqs)}.`),
    ].join('\n');
    return { title: 'Bulk costs per item and pipeline capacity', markdown, results: rows };
  } finally {
    await stack.close();
  }
}
