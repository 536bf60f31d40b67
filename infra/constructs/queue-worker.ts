import { Duration } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { EventSourceMapping } from 'aws-cdk-lib/aws-lambda';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { grantTable, type TableAction } from './data-table.ts';
import { ServiceFunction, type ServiceFunctionProps } from './function.ts';

/** AWS's advice for a Lambda-fed queue: visibility at least 6x the timeout plus the batching window. */
export function consumerVisibilityTimeout(timeout: Duration, batchingWindow?: Duration): Duration {
  return Duration.seconds(6 * timeout.toSeconds() + (batchingWindow?.toSeconds() ?? 0));
}

/** What the owner of a queue worker hands it; the rest (code, timeout, batching, tables) is the worker's own. */
export type QueueWorkerInputs = Pick<
  QueueWorkerProps,
  'queue' | 'workspacesSecret' | 'environment' | 'maxConcurrency' | 'logRetentionDays'
>;

export interface QueueWorkerProps extends Omit<ServiceFunctionProps, 'secrets' | 'timeout'> {
  /** The queue that feeds the worker. */
  queue: IQueue;
  /** The queue's visibility timeout is at least 6x this (consumerVisibilityTimeout). */
  timeout: Duration;
  /** The Intercom tokens; a worker never reads the API keys. */
  workspacesSecret: ISecret;
  /** Exactly the table actions the worker's code uses, granted in this order. */
  tables: readonly { table: Table; actions: readonly TableAction[] }[];
  batchSize: number;
  /** How long a batch waits for more messages; FIFO event sources take none. */
  maxBatchingWindow?: Duration;
  /** Concurrent batches (the mapping's `maxConcurrency`), sized to the rate budget. */
  maxConcurrency: number;
}

/**
 * An SQS-fed worker, not behind the API: a ServiceFunction that reads the Intercom tokens, its table
 * grants, what it needs of the queue, and the event source mapping that feeds it batches with partial
 * batch responses.
 */
export class QueueWorker extends Construct {
  readonly service: ServiceFunction;
  readonly mapping: EventSourceMapping;

  constructor(scope: Construct, id: string, props: QueueWorkerProps) {
    super(scope, id);
    const { queue, workspacesSecret, tables, batchSize, maxBatchingWindow, maxConcurrency, ...service } =
      props;
    this.service = new ServiceFunction(this, 'Function', {
      ...service,
      environment: { ...service.environment, WORKSPACES_SECRET_ARN: workspacesSecret.secretArn },
      secrets: [workspacesSecret],
    });
    const fn = this.service.fn;
    for (const { table, actions } of tables) grantTable(fn, table, actions);
    // Not `grantConsumeMessages` (it adds GetQueueUrl); ChangeMessageVisibility is also the worker's
    // own retry delay (a wait for the rate budget, a busy notification).
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
      batchSize,
      ...(maxBatchingWindow ? { maxBatchingWindow } : {}),
      maxConcurrency,
      reportBatchItemFailures: true,
    });
  }
}
