/**
 * One capacity simulation: the real bulk worker (createBulkWorker), the real rate governor and job
 * store, on in-process stand-ins with AWS-like latencies: DynamoDB (bench/sim/dynamodb.ts), SQS and
 * Lambda's event source mapping (bench/sim/sqs.ts), and the Intercom sandbox answering after its
 * configured latency under a fixed-window rate limit. Real clock: a run takes as long as the job would.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { JobStore } from '../../lib/bulk/job-store.ts';
import { encodeItemMessage } from '../../lib/bulk/messages.ts';
import { createBulkWorker } from '../../lib/bulk/worker.ts';
import { RateGovernor } from '../../lib/governor/rate-governor.ts';
import { IntercomClient } from '../../lib/intercom/client.ts';
import { WorkQueue } from '../../lib/queue/work-queue.ts';
import { startSandbox } from '../../lib/sandbox/server.ts';
import { type LatencyRange, MemoryDynamo } from './dynamodb.ts';
import { MemoryQueue, type MemoryQueueOptions, startEventSource } from './sqs.ts';

export interface SimulationParams {
  items: number;
  maxConcurrency: number;
  batchSize: number;
  dynamodb: LatencyRange;
  sqs: MemoryQueueOptions['latency'];
  /** Intercom's answer time: uniform over base +- jitter. */
  intercom: { baseMs: number; jitterMs: number };
  /** Intercom's fixed-window limit. */
  rateLimit: { perWindow: number; windowSeconds: number };
  /** The governor's settings (as deployed: RATE_LIMIT_*). */
  governor: { defaultLimit: number; reserve: number };
  functionTimeoutMs?: number;
  /** The mapping's batching window (1 s deployed; the local event source has none). */
  batchingWindowMs?: number;
  /** Gives up (and reports what is left) after this long. */
  maxSeconds?: number;
}

export interface SimulationResult {
  seconds: number;
  /** Requests Intercom accepted in each rate window from the run's first one, the last partial. */
  perWindow: number[];
  succeeded: number;
  failed: number;
  lost: number;
  duplicated: number;
  rateLimited: number;
  /** The governor's conditional takes on a window record that lost a race and were tried again. */
  governorConflicts: number;
  /** Other conditional writes refused (claims of redelivered items, ...). */
  otherConflicts: Record<string, number>;
  deadLettered: number;
  invocations: number;
  peakConcurrency: number;
  /** Items handed back to the queue by the worker (governor delays, 429s). */
  retried: number;
  dynamodbCalls: Record<string, number>;
  sqsCalls: Record<string, number>;
}

const TOKEN = 'tok_capacity_simulation';
const WORKSPACE = 'default';

export async function simulate(p: SimulationParams): Promise<SimulationResult> {
  const sandbox = await startSandbox({
    port: 0,
    token: TOKEN,
    quiet: true,
    seed: false,
    rateLimit: p.rateLimit,
    latency: { baseMs: p.intercom.baseMs, jitterMs: p.intercom.jitterMs },
  });
  const db = new MemoryDynamo(p.dynamodb);
  const documents = db.asDocumentClient();
  const store = new JobStore(documents, 'jobs', 14);
  const governor = new RateGovernor(documents, {
    table: 'rate',
    defaultLimit: p.governor.defaultLimit,
    windowSeconds: p.rateLimit.windowSeconds,
    reserveFraction: p.governor.reserve,
  });
  const timeoutMs = p.functionTimeoutMs ?? 60_000;
  const queue = new MemoryQueue({
    latency: p.sqs,
    // As deployed: 6x the worker's timeout, 20 receives.
    visibilityTimeoutSeconds: Math.ceil((6 * timeoutMs) / 1000),
    maxReceiveCount: 20,
  });
  // One client per workspace for the life of the container, no retries inside a call (lib/workspaces/worker-clients.ts).
  const client = new IntercomClient({ token: TOKEN, baseUrl: sandbox.url, retry: { maxRetries: 0 } });
  const worker = createBulkWorker({
    store,
    governor,
    queue: new WorkQueue(queue.asSqsClient(), 'simulation'),
    clientFor: () => client,
    maxAttempts: 5,
    maxReceiveCount: 20,
  });
  const jobId = `job_sim_${Date.now()}`;
  const now = Date.now();
  await store.registerChunk({
    jobId,
    operation: 'create_update_user',
    workspace: WORKSPACE,
    ownerId: 'workspace',
    createdBy: 'simulation',
    offset: 0,
    size: p.items,
    accepted: p.items,
    final: true,
    hash: 'simulation',
    now,
    expiresAt: store.expiresAt(now),
  });
  queue.enqueue(
    Array.from({ length: p.items }, (_, index) =>
      encodeItemMessage({
        jobId,
        index,
        attempt: 1,
        operation: 'create_update_user',
        workspace: WORKSPACE,
        input: { body: { user_id: `sim-${index}`, email: `sim-${index}@example.com` } },
      }),
    ),
  );
  try {
    // Start on a fresh window, so every run is charged alike for its windows.
    const windowMs = p.rateLimit.windowSeconds * 1000;
    await sleep(windowMs - (Date.now() % windowMs) + 5);
    const windowStart = Date.now() - (Date.now() % windowMs);
    const accepted = () => sandbox.stats().responses['200'] ?? 0;
    const marks = [accepted()];
    const sampler = setInterval(() => {
      while (Date.now() >= windowStart + marks.length * windowMs) marks.push(accepted());
    }, 20);
    const started = performance.now();
    const source = startEventSource({
      queue,
      handler: worker,
      batchSize: p.batchSize,
      maxConcurrency: p.maxConcurrency,
      batchingWindowMs: p.batchingWindowMs ?? 1_000,
      functionTimeoutMs: timeoutMs,
    });
    const giveUpAt = Date.now() + (p.maxSeconds ?? 600) * 1000;
    while (queue.size > 0 && Date.now() < giveUpAt) await sleep(20);
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    marks.push(accepted());
    await source.stop();
    const perWindow = marks.slice(1).map((m, i) => m - marks[i]!);
    while (perWindow.length > 1 && perWindow.at(-1) === 0) perWindow.pop();
    const stats = sandbox.stats();
    const created = stats.objects.users ?? 0;
    const job = db.scan('jobs').find((item) => item.sk === 'job')!;
    const { window: governorConflicts = 0, ...otherConflicts } = db.stats.conditionFailures;
    return {
      seconds,
      perWindow,
      succeeded: Number(job.succeeded),
      failed: Number(job.failed),
      lost: p.items - created,
      duplicated: (stats.responses['200'] ?? 0) - created,
      rateLimited: stats.responses['429'] ?? 0,
      governorConflicts,
      otherConflicts,
      deadLettered: queue.deadLettered.length,
      invocations: source.stats.invocations,
      peakConcurrency: source.stats.peakConcurrency,
      retried: source.stats.retried,
      dynamodbCalls: { ...db.stats.calls },
      sqsCalls: { ...queue.calls },
    };
  } finally {
    await sandbox.close();
  }
}
