import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface QueueWithDeadLetterProps {
  /** The work queue's construct id: it names the queue's logical id. */
  queueId: string;
  /**
   * FIFO queues; the dead-letter queue must then be FIFO too. The producer sets each message's
   * deduplication id (no content-based deduplication).
   */
  fifo?: boolean;
  /** Names both queues `<name>` and `<name>-dead-letters` (with `.fifo`); absent, CloudFormation names them. */
  name?: string;
  /** Receives before SQS dead-letters a message: the worker's own MAX_RECEIVE_COUNT setting. */
  maxReceiveCount: number;
  /** At least 6x the worker's timeout plus its batching window (consumerVisibilityTimeout). */
  visibilityTimeout: Duration;
  /** The stack outputs `<outputPrefix>QueueUrl` and `<outputPrefix>DeadLetterQueueUrl`. */
  outputPrefix: string;
  /** What the outputs say the queues hold. */
  descriptions: { queue: string; deadLetterQueue: string };
}

/**
 * A queue a worker consumes and its dead-letter queue, both encrypted with SQS-managed keys (SSE-SQS):
 * no KMS key to pay for or to grant the producer, the worker and the event source mapping; both refuse
 * requests without TLS.
 */
export class QueueWithDeadLetter extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: QueueWithDeadLetterProps) {
    super(scope, id);
    const fifo = props.fifo ?? false;
    const queueName = (suffix: string) =>
      props.name === undefined ? {} : { queueName: `${props.name}${suffix}${fifo ? '.fifo' : ''}` };
    this.deadLetterQueue = new Queue(this, 'DeadLetters', {
      ...queueName('-dead-letters'),
      ...(fifo ? { fifo } : {}),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // The maximum: time to inspect and redrive (StartMessageMoveTask) after the source's 4 days.
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, props.queueId, {
      ...queueName(''),
      ...(fifo ? { fifo, contentBasedDeduplication: false } : {}),
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: props.visibilityTimeout,
      // Messages waiting on the rate budget are delayed, never lost: 4 days covers a long outage.
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
    });
    new CfnOutput(Stack.of(this), `${props.outputPrefix}QueueUrl`, {
      value: this.queue.queueUrl,
      description: props.descriptions.queue,
    });
    new CfnOutput(Stack.of(this), `${props.outputPrefix}DeadLetterQueueUrl`, {
      value: this.deadLetterQueue.queueUrl,
      description: `${props.descriptions.deadLetterQueue} (inspect, then redrive with StartMessageMoveTask)`,
    });
  }
}
