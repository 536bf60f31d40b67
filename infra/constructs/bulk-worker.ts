import { Duration } from 'aws-cdk-lib';
import { EventSourceMapping } from 'aws-cdk-lib/aws-lambda';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { BulkTables } from './bulk-tables.ts';
import { ServiceFunction } from './function.ts';

/**
 * 60 s: an Intercom call gets up to 20 s and a batch's items may first wait a few 10-second rate
 * windows for the governor; longer would only hold a crashed batch's messages invisible for longer
 * (the queue's visibility timeout is 6x this).
 */
export const WORKER_TIMEOUT = Duration.seconds(60);
/** SQS's default batch: the worker runs a batch's items in parallel. */
export const WORKER_BATCH_SIZE = 10;
/** Short: a batch waits at most this for more messages, so small jobs start at once. */
export const WORKER_BATCHING_WINDOW = Duration.seconds(1);

/** AWS's advice for a Lambda-fed queue: visibility at least 6x the timeout plus the batching window. */
export function workerVisibilityTimeout(): Duration {
  return Duration.seconds(6 * WORKER_TIMEOUT.toSeconds() + WORKER_BATCHING_WINDOW.toSeconds());
}

export interface BulkWorkerProps {
  queue: Queue;
  tables: BulkTables;
  /** The Intercom tokens; the worker never reads the API keys. */
  workspacesSecret: ISecret;
  environment: Record<string, string>;
  /** Concurrent batches (the mapping's `maxConcurrency`), sized to the rate budget. */
  maxConcurrency: number;
  logRetentionDays: number;
}

/** The SQS-fed worker that runs bulk items against Intercom; not behind the API. */
export class BulkWorker extends Construct {
  readonly service: ServiceFunction;
  readonly mapping: EventSourceMapping;

  constructor(scope: Construct, id: string, props: BulkWorkerProps) {
    super(scope, id);
    const { queue, tables } = props;
    this.service = new ServiceFunction(this, 'Function', {
      entry: new URL('../../functions/bulk-worker.ts', import.meta.url).pathname,
      description: 'intercom-actions bulk worker: queued items to Intercom within the rate budget',
      environment: { ...props.environment, WORKSPACES_SECRET_ARN: props.workspacesSecret.secretArn },
      secrets: [props.workspacesSecret],
      timeout: WORKER_TIMEOUT,
      logRetentionDays: props.logRetentionDays,
    });
    const fn = this.service.fn;
    tables.grant(fn, tables.jobs, ['GetItem', 'PutItem', 'UpdateItem', 'Query']);
    tables.grant(fn, tables.rate, ['GetItem', 'PutItem', 'UpdateItem']);
    // Not `grantConsumeMessages` (it adds GetQueueUrl); ChangeMessageVisibility is also the worker's
    // own retry delay.
    queue.grant(
      fn,
      'sqs:ReceiveMessage',
      'sqs:DeleteMessage',
      'sqs:ChangeMessageVisibility',
      'sqs:GetQueueAttributes',
    );
    // The policy is in the role's default policy, which the function (and so the mapping) depends on:
    // CloudFormation checks the role can receive before it creates the mapping.
    this.mapping = new EventSourceMapping(this, 'Source', {
      target: fn,
      eventSourceArn: queue.queueArn,
      batchSize: WORKER_BATCH_SIZE,
      maxBatchingWindow: WORKER_BATCHING_WINDOW,
      maxConcurrency: props.maxConcurrency,
      reportBatchItemFailures: true,
    });
  }
}
