import { GraphWidget } from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { queueWorkerAlarms, type WatchedQueueWorker } from './queue-worker-alarms.ts';

/**
 * Bulk jobs fail quietly (nobody waits on a response): the queue worker's alarms (anything
 * dead-lettered, a backlog that stopped moving, any worker error or throttle), and the items charted.
 */
export class BulkAlarms extends Construct {
  constructor(scope: Construct, id: string, props: WatchedQueueWorker) {
    super(scope, id);
    const { alarms } = props;
    const widgets = queueWorkerAlarms(this, {
      ...props,
      descriptions: {
        deadLetters:
          'Bulk: messages in the dead-letter queue (unreadable, or received bulkMaxReceiveCount times); inspect, then redrive',
        queueAge: `Bulk: the oldest queued item waited over ${props.queueAgeAlarmMinutes} minutes: the worker is stuck, or a large backlog exceeds the rate budget (raise bulkQueueAgeAlarmMinutes if that is expected)`,
        workerErrors:
          'Bulk worker: invocation errors (it reports per-item failures, so an error retries a whole batch: a bug, a timeout or an AWS fault)',
        workerThrottles:
          'Bulk worker: Lambda throttled batches (account concurrency exhausted; maxConcurrency caps the worker itself)',
      },
      names: { queue: 'Bulk queue', deadLetterQueue: 'Bulk dead-letter queue', worker: 'Bulk worker' },
    });

    alarms.dashboard.addWidgets(
      new GraphWidget({
        title: 'Bulk items: succeeded, failed, retried',
        left: ['BulkItemsSucceeded', 'BulkItemsFailed', 'BulkItemsRetried'].map((name) =>
          alarms.serviceMetric(name),
        ),
      }),
      widgets.queue,
    );
    alarms.dashboard.addWidgets(widgets.deadLetterQueue, widgets.worker);
  }
}
