import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';

export interface AutomationsQueueProps {
  stage: string;
  /** Receives before SQS dead-letters a notification (the worker's AUTOMATIONS_MAX_RECEIVE_COUNT). */
  maxReceiveCount: number;
  /** At least 6x the worker's timeout (AWS's advice for Lambda consumers; FIFO has no batching window). */
  visibilityTimeout: Duration;
}

/**
 * The FIFO queue between the webhook intake and the automation worker, and its FIFO dead-letter queue
 * (a FIFO queue can only dead-letter to one). One message group per Intercom object keeps its
 * notifications in order. SSE-SQS, as the bulk queues: no KMS key to pay for or to grant.
 */
export class AutomationsQueue extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: AutomationsQueueProps) {
    super(scope, id);
    const name = `intercom-actions-${props.stage}-automations`;
    this.deadLetterQueue = new Queue(this, 'DeadLetters', {
      queueName: `${name}-dead-letters.fifo`,
      fifo: true,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // The maximum: time to inspect and redrive (StartMessageMoveTask) after the source's 4 days.
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, 'Notifications', {
      queueName: `${name}.fifo`,
      fifo: true,
      // The intake sets the deduplication id (the notification id's hash): Intercom's redeliveries
      // of one notification carry the same id, not necessarily the same bytes.
      contentBasedDeduplication: false,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: props.visibilityTimeout,
      // Notifications waiting on the rate budget are delayed, never lost: 4 days covers a long outage.
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
    });
    new CfnOutput(Stack.of(this), 'AutomationsQueueUrl', {
      value: this.queue.queueUrl,
      description: 'SQS FIFO queue of verified Intercom notifications',
    });
    new CfnOutput(Stack.of(this), 'AutomationsDeadLetterQueueUrl', {
      value: this.deadLetterQueue.queueUrl,
      description:
        'Dead-letter queue of Intercom notifications (inspect, then redrive with StartMessageMoveTask)',
    });
  }
}
