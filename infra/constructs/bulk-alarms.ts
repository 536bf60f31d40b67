import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  GraphWidget,
  Metric,
  SingleValueWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Alarms } from './alarms.ts';

export interface BulkAlarmsProps {
  /** The stack's topic and dashboard. */
  alarms: Alarms;
  queue: IQueue;
  deadLetterQueue: IQueue;
  worker: IFunction;
  queueAgeAlarmMinutes: number;
  metricsNamespace: string;
  serviceName: string;
}

/**
 * Bulk jobs fail quietly (nobody waits on a response), so these alarm on absolute counts rather than
 * rates: anything dead-lettered, a backlog that stopped moving, any worker error or throttle.
 */
export class BulkAlarms extends Construct {
  constructor(scope: Construct, id: string, props: BulkAlarmsProps) {
    super(scope, id);
    const { alarms, queue, deadLetterQueue, worker } = props;
    const period = Duration.minutes(5);
    const atLeastOnce = (alarmId: string, alarmDescription: string, metric: Metric) =>
      alarms.watch(
        new Alarm(this, alarmId, {
          alarmDescription,
          metric,
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      );

    atLeastOnce(
      'DeadLetters',
      'Bulk: messages in the dead-letter queue (unreadable, or received bulkMaxReceiveCount times); inspect, then redrive',
      deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
    );
    alarms.watch(
      new Alarm(this, 'QueueAge', {
        alarmDescription: `Bulk: the oldest queued item waited over ${props.queueAgeAlarmMinutes} minutes: the worker is stuck, or a large backlog exceeds the rate budget (raise bulkQueueAgeAlarmMinutes if that is expected)`,
        metric: queue.metricApproximateAgeOfOldestMessage({ period, statistic: 'Maximum' }),
        threshold: props.queueAgeAlarmMinutes * 60,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
    atLeastOnce(
      'WorkerErrors',
      'Bulk worker: invocation errors (it reports per-item failures, so an error retries a whole batch: a bug, a timeout or an AWS fault)',
      worker.metricErrors({ period, statistic: 'Sum' }),
    );
    atLeastOnce(
      'WorkerThrottles',
      'Bulk worker: Lambda throttled batches (account concurrency exhausted; maxConcurrency caps the worker itself)',
      worker.metricThrottles({ period, statistic: 'Sum' }),
    );

    const items = (metricName: string) =>
      new Metric({
        namespace: props.metricsNamespace,
        metricName,
        dimensionsMap: { service: props.serviceName },
        statistic: 'Sum',
        period: Duration.minutes(1),
      });
    alarms.dashboard.addWidgets(
      new GraphWidget({
        title: 'Bulk items: succeeded, failed, retried',
        left: [items('BulkItemsSucceeded'), items('BulkItemsFailed'), items('BulkItemsRetried')],
      }),
      new GraphWidget({
        title: 'Bulk queue: visible, in flight; age of oldest (s)',
        left: [
          queue.metricApproximateNumberOfMessagesVisible(),
          queue.metricApproximateNumberOfMessagesNotVisible(),
        ],
        right: [queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum' })],
      }),
    );
    alarms.dashboard.addWidgets(
      new SingleValueWidget({
        title: 'Bulk dead-letter queue depth',
        metrics: [deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum' })],
      }),
      new GraphWidget({
        title: 'Bulk worker: errors, throttles, duration p99',
        left: [worker.metricErrors(), worker.metricThrottles()],
        right: [worker.metricDuration({ statistic: 'p99' })],
      }),
    );
  }
}
