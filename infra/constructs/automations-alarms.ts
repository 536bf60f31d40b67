import { GraphWidget } from 'aws-cdk-lib/aws-cloudwatch';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import {
  ALARM_PERIOD,
  alarmAtLeast,
  queueWorkerAlarms,
  type WatchedQueueWorker,
} from './queue-worker-alarms.ts';
import { tableThrottleAlarm } from './table-alarms.ts';

/** Rejected signatures per 5 minutes that mean more than a stray probe. */
export const WEBHOOK_REJECTIONS_THRESHOLD = 10;

export interface AutomationsAlarmsProps extends WatchedQueueWorker {
  /** The automations table, alarmed on throttling: made after every grant on it. */
  table: Table;
}

/**
 * Automations run with nobody watching: the queue worker's alarms, as for bulk jobs (anything
 * dead-lettered, a queue that stopped moving, any worker error or throttle); DynamoDB throttling of
 * their table; and deliveries the intake refuses: Intercom retries them, and may suspend a
 * subscription that keeps failing.
 */
export class AutomationsAlarms extends Construct {
  constructor(scope: Construct, id: string, props: AutomationsAlarmsProps) {
    super(scope, id);
    const { alarms } = props;
    // Every endpoint counts its errors by code; only the intake answers `invalid_signature`.
    const rejected = alarms.serviceMetric('Errors', 'Sum', { ErrorCode: 'invalid_signature' });

    const widgets = queueWorkerAlarms(this, {
      ...props,
      descriptions: {
        deadLetters:
          'Automations: notifications in the dead-letter queue (unreadable, or received automationsMaxReceiveCount times); inspect, then redrive',
        queueAge: `Automations: the oldest queued notification waited over ${props.queueAgeAlarmMinutes} minutes: the worker is stuck, or a burst exceeds the rate budget (raise automationsQueueAgeAlarmMinutes if that is expected)`,
        workerErrors:
          'Automation worker: invocation errors (it reports per-notification failures, so an error retries a whole batch: a bug, a timeout or an AWS fault)',
        workerThrottles:
          'Automation worker: Lambda throttled batches (account concurrency exhausted; automationsMaxConcurrency caps the worker itself)',
      },
      names: {
        queue: 'Automations queue',
        deadLetterQueue: 'Automations dead-letter queue',
        worker: 'Automation worker',
      },
    });
    alarmAtLeast(
      this,
      alarms,
      'WebhookRejections',
      `Webhooks: ${WEBHOOK_REJECTIONS_THRESHOLD}+ deliveries in 5 minutes failed signature checks: forged requests, or the hub secret or app id in the webhook secrets secret no longer matches Intercom's (Intercom may suspend a subscription that keeps failing)`,
      rejected.with({ period: ALARM_PERIOD }),
      WEBHOOK_REJECTIONS_THRESHOLD,
    );

    const unrouted = alarms.serviceMetric('WebhooksUnrouted', 'Sum');
    alarmAtLeast(
      this,
      alarms,
      'WebhooksUnrouted',
      "Webhooks: signed notifications whose app_id no workspace claims were acknowledged and dropped: add that app's workspace (appId) to the webhook secrets secret (intercom-actions workspace set --app-id), or remove the subscription",
      unrouted.with({ period: ALARM_PERIOD }),
      1,
    );

    alarms.dashboard.addWidgets(
      new GraphWidget({
        title: 'Webhooks: received, duplicate, unrouted, rejected signatures',
        left: [
          alarms.serviceMetric('WebhooksReceived'),
          alarms.serviceMetric('WebhooksDuplicate'),
          unrouted,
          rejected,
        ],
      }),
      new GraphWidget({
        title: 'Automations: notifications, actions succeeded and failed',
        left: ['AutomationNotifications', 'AutomationActionsSucceeded', 'AutomationActionsFailed'].map(
          (name) => alarms.serviceMetric(name),
        ),
      }),
    );
    const throttled = tableThrottleAlarm(
      this,
      alarms,
      'TableThrottles',
      props.table,
      'Automations table: DynamoDB throttled requests (a hot partition, a burst past twice the previous peak, or the per-table account limit); the SDK retries them, but sustained throttling makes the intake answer 5xx (Intercom retries) and the worker retry notifications',
    );
    alarms.dashboard.addWidgets(widgets.queue, widgets.deadLetterQueue, widgets.worker);
    alarms.dashboard.addWidgets(
      new GraphWidget({ title: 'Automations table: throttled requests', left: [throttled] }),
    );
  }
}
