import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface BulkQueueProps {
  /** Receives before SQS moves a message to the dead-letter queue (the worker's BULK_MAX_RECEIVE_COUNT). */
  maxReceiveCount: number;
  /** At least 6x the worker's timeout plus its batching window (AWS's advice for Lambda consumers). */
  visibilityTimeout: Duration;
}

/**
 * The bulk work queue (one message per item) and its dead-letter queue. Encrypted with SQS-managed
 * keys (SSE-SQS): no KMS key to pay for or to grant the producer, the worker and the event source
 * mapping; the messages hold item inputs, not credentials.
 */
export class BulkQueue extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: BulkQueueProps) {
    super(scope, id);
    this.deadLetterQueue = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // The maximum: time to inspect and redrive (StartMessageMoveTask) after the source's 4 days.
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, 'Work', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: props.visibilityTimeout,
      // Items waiting on the rate budget are delayed, never lost: 4 days covers a long outage.
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
    });
    new CfnOutput(Stack.of(this), 'BulkQueueUrl', {
      value: this.queue.queueUrl,
      description: 'SQS queue of bulk items',
    });
    new CfnOutput(Stack.of(this), 'BulkDeadLetterQueueUrl', {
      value: this.deadLetterQueue.queueUrl,
      description: 'Dead-letter queue of bulk items (inspect, then redrive with StartMessageMoveTask)',
    });
  }
}
