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

export interface AutomationsAlarmsProps {
  /** The stack's topic and dashboard. */
  alarms: Alarms;
  queue: IQueue;
  deadLetterQueue: IQueue;
  worker: IFunction;
  queueAgeAlarmMinutes: number;
  metricsNamespace: string;
  serviceName: string;
}

/** Rejected signatures per 5 minutes that mean more than a stray probe. */
export const WEBHOOK_REJECTIONS_THRESHOLD = 10;

/**
 * Automations run with nobody watching, so, as for bulk jobs, these alarm on absolute counts: anything
 * dead-lettered, a queue that stopped moving, any worker error or throttle; and deliveries the intake
 * refuses: Intercom retries them, and may suspend a subscription that keeps failing.
 */
export class AutomationsAlarms extends Construct {
  constructor(scope: Construct, id: string, props: AutomationsAlarmsProps) {
    super(scope, id);
    const { alarms, queue, deadLetterQueue, worker } = props;
    const period = Duration.minutes(5);
    const atLeast = (alarmId: string, alarmDescription: string, metric: Metric, threshold = 1) =>
      alarms.watch(
        new Alarm(this, alarmId, {
          alarmDescription,
          metric,
          threshold,
          evaluationPeriods: 1,
          comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      );
    const serviceMetric = (metricName: string, dimensions: Record<string, string> = {}) =>
      new Metric({
        namespace: props.metricsNamespace,
        metricName,
        dimensionsMap: { service: props.serviceName, ...dimensions },
        statistic: 'Sum',
        period: Duration.minutes(1),
      });
    // Every endpoint counts its errors by code; only the intake answers `invalid_signature`.
    const rejected = serviceMetric('Errors', { ErrorCode: 'invalid_signature' });

    atLeast(
      'DeadLetters',
      'Automations: notifications in the dead-letter queue (unreadable, or received automationsMaxReceiveCount times); inspect, then redrive',
      deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
    );
    alarms.watch(
      new Alarm(this, 'QueueAge', {
        alarmDescription: `Automations: the oldest queued notification waited over ${props.queueAgeAlarmMinutes} minutes: the worker is stuck, or a burst exceeds the rate budget (raise automationsQueueAgeAlarmMinutes if that is expected)`,
        metric: queue.metricApproximateAgeOfOldestMessage({ period, statistic: 'Maximum' }),
        threshold: props.queueAgeAlarmMinutes * 60,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    );
    atLeast(
      'WorkerErrors',
      'Automation worker: invocation errors (it reports per-notification failures, so an error retries a whole batch: a bug, a timeout or an AWS fault)',
      worker.metricErrors({ period, statistic: 'Sum' }),
    );
    atLeast(
      'WorkerThrottles',
      'Automation worker: Lambda throttled batches (account concurrency exhausted; automationsMaxConcurrency caps the worker itself)',
      worker.metricThrottles({ period, statistic: 'Sum' }),
    );
    atLeast(
      'WebhookRejections',
      `Webhooks: ${WEBHOOK_REJECTIONS_THRESHOLD}+ deliveries in 5 minutes failed signature checks: forged requests, or the hub secret or app id in the workspaces secret no longer matches Intercom's (Intercom may suspend a subscription that keeps failing)`,
      rejected.with({ period }),
      WEBHOOK_REJECTIONS_THRESHOLD,
    );

    alarms.dashboard.addWidgets(
      new GraphWidget({
        title: 'Webhooks: received, duplicate, rejected signatures',
        left: [serviceMetric('WebhooksReceived'), serviceMetric('WebhooksDuplicate'), rejected],
      }),
      new GraphWidget({
        title: 'Automations: notifications, actions succeeded and failed',
        left: [
          serviceMetric('AutomationNotifications'),
          serviceMetric('AutomationActionsSucceeded'),
          serviceMetric('AutomationActionsFailed'),
        ],
      }),
    );
    alarms.dashboard.addWidgets(
      new GraphWidget({
        title: 'Automations queue: visible, in flight; age of oldest (s)',
        left: [
          queue.metricApproximateNumberOfMessagesVisible(),
          queue.metricApproximateNumberOfMessagesNotVisible(),
        ],
        right: [queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum' })],
      }),
      new SingleValueWidget({
        title: 'Automations dead-letter queue depth',
        metrics: [deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum' })],
      }),
      new GraphWidget({
        title: 'Automation worker: errors, throttles, duration p99',
        left: [worker.metricErrors(), worker.metricThrottles()],
        right: [worker.metricDuration({ statistic: 'p99' })],
      }),
    );
  }
}
