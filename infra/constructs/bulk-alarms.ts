import { GraphWidget } from 'aws-cdk-lib/aws-cloudwatch';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { queueWorkerAlarms, type WatchedQueueWorker } from './queue-worker-alarms.ts';
import { tableThrottleAlarm } from './table-alarms.ts';

export interface BulkAlarmsProps extends WatchedQueueWorker {
  /** Alarmed on throttling: made after every grant on them. */
  tables: { jobs: Table; rate: Table };
}

/**
 * Bulk jobs fail quietly (nobody waits on a response): the queue worker's alarms (anything
 * dead-lettered, a backlog that stopped moving, any worker error or throttle), DynamoDB throttling of
 * the jobs and rate tables, and the items charted.
 */
export class BulkAlarms extends Construct {
  constructor(scope: Construct, id: string, props: BulkAlarmsProps) {
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
    const jobsThrottled = tableThrottleAlarm(
      this,
      alarms,
      'JobsTableThrottles',
      props.tables.jobs,
      'Bulk jobs table: DynamoDB throttled requests (a hot partition, a burst past twice the previous peak, or the per-table account limit); the SDK retries them, but sustained throttling slows jobs and fails their bookkeeping',
    );
    const rateThrottled = tableThrottleAlarm(
      this,
      alarms,
      'RateTableThrottles',
      props.tables.rate,
      'Rate governor table: DynamoDB throttled requests (every worker updates one item per workspace: a hot partition); sustained throttling slows every bulk job and automation of that workspace',
    );
    alarms.dashboard.addWidgets(widgets.deadLetterQueue, widgets.worker);
    // One graph each: the two sums name their per-operation metrics alike, which one graph refuses.
    alarms.dashboard.addWidgets(
      new GraphWidget({ title: 'Jobs table: throttled requests', left: [jobsThrottled] }),
      new GraphWidget({ title: 'Rate governor table: throttled requests', left: [rateThrottled] }),
    );
  }
}
