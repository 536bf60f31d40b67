import { Duration } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { WORKER_BATCH_SIZE } from '../bulk-config.ts';
import { type BulkTables, RATE_GOVERNOR_ACTIONS } from './bulk-tables.ts';
import { QueueWorker, type QueueWorkerInputs } from './queue-worker.ts';

/**
 * 60 s: an Intercom call gets up to 20 s and a batch's items may first wait a few 10-second rate
 * windows for the governor; longer would only hold a crashed batch's messages invisible for longer
 * (the queue's visibility timeout is 6x this).
 */
export const WORKER_TIMEOUT = Duration.seconds(60);
export { WORKER_BATCH_SIZE };
/** Short: a batch waits at most this for more messages, so small jobs start at once. */
export const WORKER_BATCHING_WINDOW = Duration.seconds(1);

export interface BulkWorkerProps extends QueueWorkerInputs {
  tables: BulkTables;
}

/** The SQS-fed worker that runs bulk items against Intercom; not behind the API. */
export class BulkWorker extends QueueWorker {
  constructor(scope: Construct, id: string, props: BulkWorkerProps) {
    const { tables } = props;
    super(scope, id, {
      entry: new URL('../../functions/bulk-worker.ts', import.meta.url).pathname,
      description: 'intercom-actions bulk worker: queued items to Intercom within the rate budget',
      environment: props.environment,
      workspacesSecret: props.workspacesSecret,
      timeout: WORKER_TIMEOUT,
      logRetentionDays: props.logRetentionDays,
      tables: [
        // Claims, outcomes and counters are conditional UpdateItems; GetItem reads an item or its job.
        { table: tables.jobs, actions: ['GetItem', 'UpdateItem'] },
        { table: tables.rate, actions: RATE_GOVERNOR_ACTIONS },
      ],
      queue: props.queue,
      batchSize: WORKER_BATCH_SIZE,
      maxBatchingWindow: WORKER_BATCHING_WINDOW,
      maxConcurrency: props.maxConcurrency,
    });
  }
}
