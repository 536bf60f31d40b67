/**
 * Is the deployed worker concurrency enough for the rate budget? The real bulk worker, rate governor
 * and job store run against in-process stand-ins with AWS-like latencies (bench/sim/): DynamoDB
 * 5-10 ms per call with real conditional writes (the governor's window record races as on AWS), SQS
 * 10-20 ms per call with visibility timeouts, Lambda's event source mapping scaling as AWS documents
 * it (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html), and the Intercom
 * sandbox answering in 150-300 ms under a fixed window of 1,667 requests per 10 s.
 * Rows: the deployed defaults (maxConcurrency from `workerConcurrency`), a too-small concurrency, and a
 * calibration: the same simulation fed with the latencies measured on the local stack and its
 * concurrency, next to an actual local run (bench/bulk-throughput.ts style).
 * Goal (issue 11): >= 0.90 of the budget with the deployed defaults, 0 lost, 0 duplicated; the
 * calibrated prediction within 10% of the local run.
 */
import { cpus } from 'node:os';
import { WORKER_BATCH_SIZE, workerConcurrency } from '../lib/bulk/capacity.ts';
import { localWorkerConcurrency } from '../lib/local/bulk.ts';
import type { BenchResult } from './cold-start.ts';
import { startBenchStack } from './local-stack.ts';
import { type SimulationParams, type SimulationResult, simulate } from './sim/simulate.ts';

const ITEMS = Number(process.env.BENCH_ITEMS) || 5_000;
/** The too-small concurrency's row: fewer items, it is slow by design. */
const SMALL_ITEMS = Math.min(ITEMS, 2_000);
const SMALL_CONCURRENCY = 2;
const INTERCOM_LIMIT = { perWindow: 1_667, windowSeconds: 10 };
const DEPLOYED = { ratePerMinute: 10_000, reserve: 0.1, intercomLatencyMs: 200 };
/** AWS-like: DynamoDB 5-10 ms, SQS 10-20 ms, Intercom 150-300 ms. */
const AWS_SQS = { minMs: 10, maxMs: 20 };
const AWS: Pick<SimulationParams, 'dynamodb' | 'sqs' | 'intercom'> = {
  dynamodb: { minMs: 5, maxMs: 10 },
  sqs: AWS_SQS,
  intercom: { baseMs: 225, jitterMs: 75 },
};
const LOCAL_INTERCOM = { baseMs: 200, jitterMs: 50 };
/** The local stack's own sizing (lib/local/bulk.ts) for that Intercom, with no reserve; no batching window. */
const LOCAL_CONCURRENCY = localWorkerConcurrency({ RATE_LIMIT_RESERVE: '0' }, LOCAL_INTERCOM.baseMs);

interface Row {
  name: string;
  maxConcurrency: number;
  items: number;
  /** What the fraction is of: the bulk budget per window (the limit less the reserve). */
  budgetPerWindow: number;
  seconds: number;
  perWindow: number[];
  /** Accepted requests over every window with requests, each charged whole. */
  fraction: number;
  /** Accepted requests over the full windows only (the last one's rest is left to other work). */
  fullWindowFraction: number;
  rateLimited: number;
  lost: number;
  duplicated: number;
  governorConflicts: number | undefined;
  peakConcurrency: number | undefined;
  retried: number | undefined;
}

function fractions(perWindow: number[], budget: number) {
  const full = perWindow.slice(0, -1);
  return {
    fraction: perWindow.reduce((a, b) => a + b, 0) / (perWindow.length * budget),
    fullWindowFraction:
      full.length > 0 ? full.reduce((a, b) => a + b, 0) / (full.length * budget) : Number.NaN,
  };
}

function simulatedRow(name: string, p: SimulationParams, r: SimulationResult): Row {
  const budget = Math.max(1, Math.floor(p.rateLimit.perWindow * (1 - p.governor.reserve)));
  return {
    name,
    maxConcurrency: p.maxConcurrency,
    items: p.items,
    budgetPerWindow: budget,
    seconds: r.seconds,
    perWindow: r.perWindow,
    ...fractions(r.perWindow, budget),
    rateLimited: r.rateLimited,
    lost: r.lost,
    duplicated: r.duplicated,
    governorConflicts: r.governorConflicts,
    peakConcurrency: r.peakConcurrency,
    retried: r.retried,
  };
}

const percentile = (samples: number[], q: number) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
};
const mean = (samples: number[]) => samples.reduce((a, b) => a + b, 0) / Math.max(1, samples.length);

/**
 * Times every call an SDK client sends on `queueUrl` (or any DynamoDB call when absent), by command
 * (`UpdateItemCommand`, `ReceiveMessageCommand`, ...): the automations worker polls its own queue
 * through the same emulator client, and its idle polls are not the bulk worker's.
 */
function timeCalls(
  client: { middlewareStack: { add: (...args: never[]) => void } },
  into: Map<string, number[]>,
  queueUrl?: string,
): void {
  const middleware =
    (next: (args: { input: { QueueUrl?: string } }) => Promise<unknown>, context: { commandName?: string }) =>
    async (args: { input: { QueueUrl?: string } }) => {
      if (queueUrl !== undefined && args.input.QueueUrl !== queueUrl) return next(args);
      const started = performance.now();
      try {
        return await next(args);
      } finally {
        const name = context.commandName ?? 'unknown';
        into.set(name, [...(into.get(name) ?? []), performance.now() - started]);
      }
    };
  (client.middlewareStack.add as (m: unknown, o: unknown) => void)(middleware, {
    step: 'initialize',
    name: 'capacityTimer',
  });
}

interface LocalRun {
  row: Row;
  /** Measured per-call latencies during the job, ms. */
  dynamodb: number[];
  receive: number[];
  delete: number[];
  changeVisibility: number[];
  /** ReceiveMessage calls per batch of the local event source (it fills a batch from short polls). */
  receivesPerBatch: number;
  recordsPerBatch: number;
  calls: Record<string, { count: number; meanMs: number; p50: number; p90: number }>;
}

/** The whole local stack (HTTP intake, SQS and DynamoDB emulators, worker), its latencies timed. */
async function localRun(): Promise<LocalRun> {
  const { documentClient, sqsClient } = await import('../lib/aws/clients.ts');
  // The whole budget is for this job, as in bench/bulk-throughput.ts.
  const stack = await startBenchStack({ bulk: { maxConcurrency: LOCAL_CONCURRENCY } });
  try {
    const sandbox = stack.sandbox!;
    sandbox.configure({ rateLimit: INTERCOM_LIMIT, latency: LOCAL_INTERCOM });
    const timings = new Map<string, number[]>();
    // The worker's DynamoDB and SQS clients, and the event source's (receive, delete).
    timeCalls(documentClient() as never, timings);
    timeCalls(sqsClient() as never, timings, stack.bulk.queue.queueUrl);
    timeCalls(stack.bulk.emulators.sqs as never, timings, stack.bulk.queue.queueUrl);
    const headers = { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json' };
    const windowMs = INTERCOM_LIMIT.windowSeconds * 1000;
    await new Promise((r) => setTimeout(r, windowMs - (Date.now() % windowMs) + 5));
    const windowStart = Date.now() - (Date.now() % windowMs);
    const accepted = () => sandbox.stats().responses['200'] ?? 0;
    const before = sandbox.stats();
    const marks = [accepted()];
    const sampler = setInterval(() => {
      while (Date.now() >= windowStart + marks.length * windowMs) marks.push(accepted());
    }, 20);
    const started = performance.now();
    let jobId: string | undefined;
    for (let offset = 0; offset < ITEMS; offset += 1000) {
      const items = Array.from({ length: Math.min(1000, ITEMS - offset) }, (_, i) => ({
        body: { user_id: `local-${offset + i}`, email: `local-${offset + i}@example.com` },
      }));
      const res = await fetch(`${stack.url}/bulk/create_update_user`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ items, ...(jobId ? { jobId, offset } : {}), final: offset + 1000 >= ITEMS }),
      });
      const body = (await res.json()) as { jobId: string };
      if (res.status !== 202) throw new Error(`submit failed: ${res.status} ${JSON.stringify(body)}`);
      jobId = body.jobId;
    }
    // The intake's own calls are not the worker's: time only what follows.
    timings.clear();
    const source = stack.bulk.workerSource!;
    const sourceBefore = { ...source.stats };
    while (sandbox.stats().objects.users - before.objects.users < ITEMS)
      await new Promise((r) => setTimeout(r, 20));
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    marks.push(accepted());
    const invocations = source.stats.invocations - sourceBefore.invocations;
    const records = source.stats.records - sourceBefore.records;
    const measured = new Map(timings);
    // Answers still held by the sandbox's latency: count the responses once the job says it is done.
    for (;;) {
      const job = (await (await fetch(`${stack.url}/bulk/jobs/${jobId}`, { headers })).json()) as {
        status: string;
      };
      if (job.status === 'completed' || job.status === 'completed_with_errors') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const perWindow = marks.slice(1).map((m, i) => m - marks[i]!);
    while (perWindow.length > 1 && perWindow.at(-1) === 0) perWindow.pop();
    const after = sandbox.stats();
    const created = after.objects.users - before.objects.users;
    const delta = (key: string) => (after.responses[key] ?? 0) - (before.responses[key] ?? 0);
    const row: Row = {
      name: `local stack, actual (maxConcurrency ${LOCAL_CONCURRENCY}, Intercom ${LOCAL_INTERCOM.baseMs}±${LOCAL_INTERCOM.jitterMs} ms, reserve 0)`,
      maxConcurrency: LOCAL_CONCURRENCY,
      items: ITEMS,
      budgetPerWindow: INTERCOM_LIMIT.perWindow,
      seconds,
      perWindow,
      ...fractions(perWindow, INTERCOM_LIMIT.perWindow),
      rateLimited: delta('429'),
      lost: ITEMS - created,
      duplicated: delta('200') - created,
      governorConflicts: undefined,
      peakConcurrency: undefined,
      retried: undefined,
    };
    const of = (names: string[]) => names.flatMap((n) => measured.get(n) ?? []);
    const calls = Object.fromEntries(
      [...measured].map(([name, ms]) => [
        name,
        { count: ms.length, meanMs: mean(ms), p50: percentile(ms, 0.5), p90: percentile(ms, 0.9) },
      ]),
    );
    return {
      row,
      dynamodb: of(['UpdateItemCommand', 'GetItemCommand']),
      receive: of(['ReceiveMessageCommand']),
      delete: of(['DeleteMessageBatchCommand']),
      changeVisibility: of(['ChangeMessageVisibilityCommand']),
      receivesPerBatch: of(['ReceiveMessageCommand']).length / Math.max(1, invocations),
      recordsPerBatch: records / Math.max(1, invocations),
      calls,
    };
  } finally {
    await stack.close();
  }
}

export async function run(): Promise<BenchResult> {
  Object.assign(process.env, { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' });
  const formula = workerConcurrency({ ...DEPLOYED, batchSize: WORKER_BATCH_SIZE });
  const deployedGovernor = {
    defaultLimit: Math.floor((DEPLOYED.ratePerMinute * INTERCOM_LIMIT.windowSeconds) / 60),
    reserve: DEPLOYED.reserve,
  };
  const base = { batchSize: WORKER_BATCH_SIZE, rateLimit: INTERCOM_LIMIT, ...AWS };
  const rows: Row[] = [];
  const deployed: SimulationParams = {
    ...base,
    items: ITEMS,
    maxConcurrency: formula.concurrency,
    governor: deployedGovernor,
  };
  const deployedResult = await simulate(deployed);
  rows.push(simulatedRow('simulated AWS, deployed defaults', deployed, deployedResult));
  const small: SimulationParams = { ...deployed, items: SMALL_ITEMS, maxConcurrency: SMALL_CONCURRENCY };
  const smallResult = await simulate(small);
  rows.push(
    simulatedRow(`simulated AWS, maxConcurrency ${SMALL_CONCURRENCY} (too small)`, small, smallResult),
  );

  // Calibration: the local stack measured, then the simulation fed with what it measured.
  const local = await localRun();
  const calibrated: SimulationParams = {
    ...base,
    items: ITEMS,
    maxConcurrency: LOCAL_CONCURRENCY,
    dynamodb: { samples: local.dynamodb },
    // The simulated mapping receives a batch in one call; the local event source took
    // `receivesPerBatch` short polls for one: a batch's receive costs that many local receives.
    sqs: {
      ReceiveMessage: { samples: local.receive.map((ms) => ms * local.receivesPerBatch) },
      DeleteMessageBatch: { samples: local.delete },
      ChangeMessageVisibility:
        local.changeVisibility.length > 0 ? { samples: local.changeVisibility } : AWS_SQS,
    },
    intercom: LOCAL_INTERCOM,
    governor: { defaultLimit: deployedGovernor.defaultLimit, reserve: 0 },
    batchingWindowMs: 0,
  };
  const calibratedResult = await simulate(calibrated);
  const predicted = simulatedRow(
    `simulated with the local latencies (maxConcurrency ${LOCAL_CONCURRENCY}, reserve 0): prediction`,
    calibrated,
    calibratedResult,
  );
  rows.push(predicted, local.row);
  const ratio = predicted.fullWindowFraction / local.row.fullWindowFraction;
  // The formula's own view of the local run: batches x items / batch time, against the budget.
  const localBatchMs =
    LOCAL_INTERCOM.baseMs +
    4 * mean(local.dynamodb) +
    local.receivesPerBatch * mean(local.receive) +
    mean(local.delete);
  const formulaLocal = Math.min(
    1,
    (LOCAL_CONCURRENCY * WORKER_BATCH_SIZE * 1000) /
      localBatchMs /
      (INTERCOM_LIMIT.perWindow / INTERCOM_LIMIT.windowSeconds),
  );

  const fmt = (n: number | undefined, digits = 3) => (n === undefined ? '-' : n.toFixed(digits));
  const markdown = [
    `Machine: ${cpus().length} CPU(s), ${cpus()[0]?.model ?? 'unknown'}. Intercom limit ${INTERCOM_LIMIT.perWindow} per ${INTERCOM_LIMIT.windowSeconds}-s window. Formula (lib/bulk/capacity.ts workerConcurrency, ${DEPLOYED.ratePerMinute}/min, reserve ${DEPLOYED.reserve}, Intercom ${DEPLOYED.intercomLatencyMs} ms): R = ${formula.requestsPerSecond.toFixed(0)} req/s, T = ${formula.batchMs} ms per batch, R x T = ${formula.inFlight.toFixed(1)} items in flight -> maxConcurrency ${formula.concurrency}.`,
    `Simulated AWS: DynamoDB 5-10 ms, SQS 10-20 ms per call, Intercom ${AWS.intercom.baseMs - AWS.intercom.jitterMs}-${AWS.intercom.baseMs + AWS.intercom.jitterMs} ms, batches of ${WORKER_BATCH_SIZE}, AWS's scaling ramp (5 batches, +300/min). Goals: >= 0.90 of the budget with the deployed defaults, 0 lost / duplicated; calibrated prediction within 10% of the local run.`,
    '',
    '| run | maxConcurrency | items | budget per window | seconds | accepted per window | fraction: windows with requests, whole | full windows only | 429s | lost | duplicated | governor takes refused and retried | peak batches | items handed back |',
    '| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.maxConcurrency} | ${r.items} | ${r.budgetPerWindow} | ${r.seconds.toFixed(1)} | ${r.perWindow.join(' / ')} | ${fmt(r.fraction)} | ${fmt(r.fullWindowFraction)} | ${r.rateLimited} | ${r.lost} | ${r.duplicated} | ${r.governorConflicts ?? '-'} | ${r.peakConcurrency ?? '-'} | ${r.retried ?? '-'} |`,
    ),
    '',
    `Deployed defaults: ${fmt(rows[0]!.fullWindowFraction)} of the bulk budget (${rows[0]!.budgetPerWindow} per window, full windows), ${fmt((rows[0]!.fullWindowFraction * rows[0]!.budgetPerWindow) / INTERCOM_LIMIT.perWindow)} of Intercom's limit (the reserve keeps ${DEPLOYED.reserve * 100}% for /actions).`,
    `Calibration: predicted ${fmt(predicted.fullWindowFraction)} vs actual ${fmt(local.row.fullWindowFraction)} of the budget (full windows): ratio ${fmt(ratio)}. The formula alone (${LOCAL_CONCURRENCY} x ${WORKER_BATCH_SIZE} items per ${localBatchMs.toFixed(0)} ms batch) says ${fmt(formulaLocal)}.`,
    '',
    `Local run: ${local.recordsPerBatch.toFixed(1)} items and ${local.receivesPerBatch.toFixed(1)} ReceiveMessage calls per batch. Latencies measured during it (ms, mean / p50 / p90): ${Object.entries(
      local.calls,
    )
      .sort()
      .map(
        ([k, v]) =>
          `${k.replace(/Command$/, '')} ${v.count}x ${v.meanMs.toFixed(1)} / ${v.p50.toFixed(1)} / ${v.p90.toFixed(1)}`,
      )
      .join('; ')}.`,
  ].join('\n');
  return {
    title: 'Bulk capacity: the deployed defaults simulated, and calibrated against the local stack',
    markdown,
    results: [
      { formula, ...rows[0]!, simulation: deployedResult },
      { ...rows[1]!, simulation: smallResult },
      { ...predicted, simulation: calibratedResult, ratio },
      {
        ...local.row,
        calls: local.calls,
        receivesPerBatch: local.receivesPerBatch,
        recordsPerBatch: local.recordsPerBatch,
        formulaLocal,
      },
    ],
  };
}
