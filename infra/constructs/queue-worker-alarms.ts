import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  GraphWidget,
  type IMetric,
  SingleValueWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { Alarms } from './alarms.ts';

/** The queue workers' alarms count over 5 minutes. */
export const ALARM_PERIOD = Duration.minutes(5);

/** Watches an alarm when `metric` reaches `threshold` in one period (give `metric` ALARM_PERIOD). */
export function alarmAtLeast(
  scope: Construct,
  alarms: Alarms,
  alarmId: string,
  alarmDescription: string,
  metric: IMetric,
  threshold = 1,
): void {
  alarms.watch(
    new Alarm(scope, alarmId, {
      alarmDescription,
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    }),
  );
}

/** A queue, its dead-letter queue and the worker it feeds, to alarm on. */
export interface WatchedQueueWorker {
  /** The stack's topic and dashboard. */
  alarms: Alarms;
  queue: IQueue;
  deadLetterQueue: IQueue;
  worker: IFunction;
  queueAgeAlarmMinutes: number;
}

export interface QueueWorkerAlarmsProps extends WatchedQueueWorker {
  /** What each alarm tells whoever it pages: what fired, the likely causes, the setting to change. */
  descriptions: { deadLetters: string; queueAge: string; workerErrors: string; workerThrottles: string };
  /** How the dashboard widgets' titles name the queue, the dead-letter queue and the worker. */
  names: { queue: string; deadLetterQueue: string; worker: string };
}

/**
 * A queue worker runs with nobody waiting on it, so these alarm on absolute counts rather than rates:
 * anything dead-lettered, a queue that stopped moving, any worker error or throttle. Returns the
 * widgets that chart them, for the caller to lay out on the dashboard.
 */
export function queueWorkerAlarms(scope: Construct, props: QueueWorkerAlarmsProps) {
  const { alarms, queue, deadLetterQueue, worker, descriptions } = props;
  alarmAtLeast(
    scope,
    alarms,
    'DeadLetters',
    descriptions.deadLetters,
    deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: ALARM_PERIOD, statistic: 'Maximum' }),
  );
  alarms.watch(
    new Alarm(scope, 'QueueAge', {
      alarmDescription: descriptions.queueAge,
      metric: queue.metricApproximateAgeOfOldestMessage({ period: ALARM_PERIOD, statistic: 'Maximum' }),
      threshold: props.queueAgeAlarmMinutes * 60,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    }),
  );
  alarmAtLeast(
    scope,
    alarms,
    'WorkerErrors',
    descriptions.workerErrors,
    worker.metricErrors({ period: ALARM_PERIOD, statistic: 'Sum' }),
  );
  alarmAtLeast(
    scope,
    alarms,
    'WorkerThrottles',
    descriptions.workerThrottles,
    worker.metricThrottles({ period: ALARM_PERIOD, statistic: 'Sum' }),
  );
  return {
    queue: new GraphWidget({
      title: `${props.names.queue}: visible, in flight; age of oldest (s)`,
      left: [
        queue.metricApproximateNumberOfMessagesVisible(),
        queue.metricApproximateNumberOfMessagesNotVisible(),
      ],
      right: [queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum' })],
    }),
    deadLetterQueue: new SingleValueWidget({
      title: `${props.names.deadLetterQueue} depth`,
      metrics: [deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum' })],
    }),
    worker: new GraphWidget({
      title: `${props.names.worker}: errors, throttles, duration p99`,
      left: [worker.metricErrors(), worker.metricThrottles()],
      right: [worker.metricDuration({ statistic: 'p99' })],
    }),
  };
}
