/**
 * The exports half of the local stack: an S3 emulator speaking the real protocol (s3rver) with the
 * exports bucket, the export queue on the SQS emulator, and an event source feeding the real export
 * worker, as Lambda's mapping would. The handlers reach S3 through `AWS_ENDPOINT_URL_S3`: the same
 * code path as on AWS, presigned download URLs included (they point at the emulator).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';
import { EXPORT_WORKER_TIMEOUT_SECONDS } from '../exports/settings.ts';
import { WorkQueue } from '../queue/work-queue.ts';
import { createQueueWithDeadLetter, type Emulators, type QueueWithDeadLetter } from './emulators.ts';
import { type SqsEventSource, type SqsHandler, startSqsEventSource } from './sqs-event-source.ts';

export interface LocalExportsOptions {
  /** The S3 emulator's port (0: a free one). */
  s3Port?: number;
  /** Keeps export files here across restarts (`npm start`); a temporary folder when absent. */
  dataDir?: string;
  /** The worker function's timeout. */
  workerTimeoutMs?: number;
  visibilityTimeoutSeconds?: number;
  /** Builds the worker handler once the environment is set (tests inject crashes). */
  workerHandler?: () => Promise<SqsHandler>;
}

export interface LocalExports {
  s3Endpoint: string;
  bucket: string;
  queue: QueueWithDeadLetter;
  workerSource: SqsEventSource | undefined;
  startWorker(handler?: SqsHandler): Promise<SqsEventSource>;
  /** Queues again every unfinished export (the local queue keeps nothing across a restart); how many. */
  recoverExports(): Promise<number>;
  close(): Promise<void>;
}

export const LOCAL_EXPORTS = {
  bucket: 'intercom-actions-exports',
  queue: 'intercom-actions-exports',
} as const;

export async function startLocalExports(
  env: NodeJS.ProcessEnv,
  emulators: Emulators,
  options: LocalExportsOptions = {},
): Promise<LocalExports> {
  const temporary = options.dataDir ? undefined : await mkdtemp(join(tmpdir(), 'intercom-actions-s3-'));
  const directory = options.dataDir ? join(options.dataDir, 's3') : temporary!;
  const s3 = new S3rver({
    address: '127.0.0.1',
    port: options.s3Port ?? 0,
    silent: true,
    directory,
    configureBuckets: [{ name: LOCAL_EXPORTS.bucket }],
  });
  const address = await s3.run();
  const s3Endpoint = `http://127.0.0.1:${address.port}`;
  const close = async () => {
    await s3.close();
    if (temporary) await rm(temporary, { recursive: true, force: true });
  };
  try {
    // The deployed worker's timeout: an export hands over as often locally as on AWS.
    const workerTimeoutMs = options.workerTimeoutMs ?? EXPORT_WORKER_TIMEOUT_SECONDS * 1000;
    const queue = await createQueueWithDeadLetter(emulators.sqs, {
      name: LOCAL_EXPORTS.queue,
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? Math.ceil((6 * workerTimeoutMs) / 1000),
      maxReceiveCount: 20,
    });
    Object.assign(env, {
      AWS_ENDPOINT_URL_S3: s3Endpoint,
      EXPORTS_BUCKET: LOCAL_EXPORTS.bucket,
      EXPORTS_QUEUE_URL: queue.queueUrl,
    });
    const local: LocalExports = {
      s3Endpoint,
      bucket: LOCAL_EXPORTS.bucket,
      queue,
      workerSource: undefined,
      async startWorker(handler) {
        const worker =
          handler ??
          (await options.workerHandler?.()) ??
          ((await import('../../functions/exports-worker.ts')) as { handler: SqsHandler }).handler;
        local.workerSource = startSqsEventSource({
          sqs: emulators.sqs,
          queueUrl: queue.queueUrl,
          queueArn: queue.queueArn,
          handler: worker,
          batchSize: 1,
          maxConcurrency: 2,
          functionTimeoutMs: workerTimeoutMs,
          functionName: 'intercom-actions-exports-worker',
        });
        return local.workerSource;
      },
      async recoverExports() {
        // The worker takes a record left by a dead invocation as such and restarts its scroll.
        const { exportParts, exportSettings } = await import('../exports/index.ts');
        const { encodeExportMessage } = await import('../exports/messages.ts');
        const { store } = exportParts(exportSettings(env));
        const queueOf = new WorkQueue(emulators.sqs, queue.queueUrl);
        const refs = await store.unfinished();
        for (const ref of refs) await queueOf.sendLater(encodeExportMessage(ref), 0);
        return refs.length;
      },
      async close() {
        await local.workerSource?.stop();
        await close();
      },
    };
    return local;
  } catch (error) {
    await close();
    throw error;
  }
}
