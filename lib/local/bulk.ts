/**
 * The bulk half of the local stack: SQS and DynamoDB emulators, the work queue with its dead-letter
 * queue and the tables (from the same definitions the CDK app deploys), and an event source that
 * invokes the real worker handler with SQS batches, as Lambda's event source mapping would.
 */
import {
  INTERCOM_DEFAULT_LATENCY_MS,
  INTERCOM_DEFAULT_RATE_PER_MINUTE,
  WORKER_BATCH_SIZE,
  workerConcurrency,
} from '../bulk/capacity.ts';
import { createTableInput, TABLES } from '../tables/definitions.ts';
import {
  awsEnvironment,
  createQueueWithDeadLetter,
  createTables,
  type Emulators,
  type QueueWithDeadLetter,
  startEmulators,
} from './emulators.ts';
import { type SqsEventSource, type SqsHandler, startSqsEventSource } from './sqs-event-source.ts';

export interface LocalBulkOptions {
  sqsPort?: number;
  dynamodbPort?: number;
  /** Keeps the tables on disk here across restarts (`npm start`); in memory when absent (tests). */
  dataDir?: string;
  /** The worker function's timeout; the queue's visibility timeout is 6x it, as deployed. */
  workerTimeoutMs?: number;
  /** Overrides the 6x rule (tests shorten redelivery after a crash). */
  visibilityTimeoutSeconds?: number;
  maxReceiveCount?: number;
  batchSize?: number;
  /** Concurrent worker batches; default: `localWorkerConcurrency` for `intercomLatencyMs`. */
  maxConcurrency?: number;
  /** Intercom's typical answer time, ms, that the default concurrency is sized for (default 200). */
  intercomLatencyMs?: number;
  /** Runs the emulators in a worker thread of their own, on another core (default: true). */
  emulatorThread?: boolean;
  /** Builds the worker handler once the environment is set (tests inject crashes); default: functions/bulk-worker.ts. */
  workerHandler?: () => Promise<SqsHandler>;
}

export interface LocalBulk {
  emulators: Emulators;
  queue: QueueWithDeadLetter;
  /** Starts feeding the worker; call after the environment is complete (the handler reads it at import). */
  startWorker(handler?: SqsHandler): Promise<SqsEventSource>;
  workerSource: SqsEventSource | undefined;
  /** Queues again the pending items of every unfinished job (after a restart on kept data). */
  recoverJobs(): Promise<{ jobs: number; requeued: number }>;
  close(): Promise<void>;
}

/** What one call to the local emulators takes here (measured: UpdateItem ~7 ms, ReceiveMessage ~12 ms). */
const LOCAL_CALL_MS = { dynamodb: 7, sqs: 12 } as const;

/**
 * The event source emulator's concurrency, from the formula the deployed mapping's comes from
 * (lib/bulk/capacity.ts), with this machine's emulator latencies and Intercom's: the sandbox's
 * configured latency, or 200 ms for the real Intercom.
 */
export function localWorkerConcurrency(env: NodeJS.ProcessEnv, intercomLatencyMs: number): number {
  const windowSeconds = Number(env.RATE_LIMIT_WINDOW_SECONDS) || 10;
  const perWindow = Number(env.RATE_LIMIT_DEFAULT_PER_WINDOW) || 0;
  return workerConcurrency({
    ratePerMinute: perWindow > 0 ? (perWindow * 60) / windowSeconds : INTERCOM_DEFAULT_RATE_PER_MINUTE,
    reserve: env.RATE_LIMIT_RESERVE === undefined ? 0.1 : Number(env.RATE_LIMIT_RESERVE) || 0,
    intercomLatencyMs,
    batchSize: WORKER_BATCH_SIZE,
    dynamodbMs: LOCAL_CALL_MS.dynamodb,
    sqsMs: LOCAL_CALL_MS.sqs,
  }).concurrency;
}

export const LOCAL_NAMES = { queue: 'intercom-actions-bulk', tablePrefix: 'intercom-actions-' } as const;

/** Starts the emulators and resources and writes their coordinates into `env`. */
export async function startLocalBulk(
  env: NodeJS.ProcessEnv,
  options: LocalBulkOptions = {},
): Promise<LocalBulk> {
  const emulators = await startEmulators({
    ...(options.sqsPort !== undefined ? { sqsPort: options.sqsPort } : {}),
    ...(options.dynamodbPort !== undefined ? { dynamodbPort: options.dynamodbPort } : {}),
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    thread: options.emulatorThread ?? true,
  });
  try {
    const workerTimeoutMs = options.workerTimeoutMs ?? 60_000;
    const maxReceiveCount = options.maxReceiveCount ?? (Number(env.BULK_MAX_RECEIVE_COUNT) || 20);
    const tableNames = Object.fromEntries(
      TABLES.map((t) => [t.id, `${LOCAL_NAMES.tablePrefix}${t.id.toLowerCase()}`]),
    );
    await createTables(
      emulators.dynamodb,
      TABLES.map((t) => createTableInput(t, tableNames[t.id]!)),
    );
    const queue = await createQueueWithDeadLetter(emulators.sqs, {
      name: LOCAL_NAMES.queue,
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? Math.ceil((6 * workerTimeoutMs) / 1000),
      maxReceiveCount,
    });
    Object.assign(env, awsEnvironment(emulators), {
      BULK_JOBS_TABLE: tableNames.Jobs,
      RATE_TABLE: tableNames.Rate,
      BULK_QUEUE_URL: queue.queueUrl,
      BULK_MAX_RECEIVE_COUNT: String(maxReceiveCount),
    });
    const local: LocalBulk = {
      emulators,
      queue,
      workerSource: undefined,
      async startWorker(handler) {
        const worker =
          handler ??
          (await options.workerHandler?.()) ??
          ((await import('../../functions/bulk-worker.ts')) as { handler: SqsHandler }).handler;
        local.workerSource = startSqsEventSource({
          sqs: emulators.sqs,
          queueUrl: queue.queueUrl,
          queueArn: queue.queueArn,
          handler: worker,
          batchSize: options.batchSize ?? WORKER_BATCH_SIZE,
          maxConcurrency:
            options.maxConcurrency ??
            localWorkerConcurrency(env, options.intercomLatencyMs ?? INTERCOM_DEFAULT_LATENCY_MS),
          functionTimeoutMs: workerTimeoutMs,
          functionName: 'intercom-actions-bulk-worker',
        });
        return local.workerSource;
      },
      async recoverJobs() {
        // The queue emulator keeps nothing across a restart; the tables do: queue again what is pending.
        const { bulkParts, bulkSettings } = await import('../bulk/index.ts');
        const { BulkService } = await import('../bulk/service.ts');
        const service = new BulkService({ ...bulkParts(bulkSettings(env)), validators: {} });
        return service.recoverAll();
      },
      async close() {
        await local.workerSource?.stop();
        await emulators.close();
      },
    };
    return local;
  } catch (error) {
    await emulators.close();
    throw error;
  }
}
