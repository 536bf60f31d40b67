import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Alarms } from './alarms.ts';
import type { EventTriggers } from './events.ts';
import { ALARM_PERIOD, alarmAtLeast } from './queue-worker-alarms.ts';
import type { RuleSchedules } from './schedules.ts';

/**
 * Events and firings that never reached the automations queue: anything in either dead-letter queue
 * (an event or a firing the intake did not take in 24 hours of retries), and any error of the intake
 * (each one is retried, but a steady stream means events are waiting).
 */
export class EventTriggersAlarms extends Construct {
  constructor(
    scope: Construct,
    id: string,
    props: { alarms: Alarms; triggers: EventTriggers; schedules: RuleSchedules },
  ) {
    super(scope, id);
    const { alarms, triggers, schedules } = props;
    const deadLetters = (alarmId: string, queue: Queue | undefined, what: string) => {
      if (!queue) return;
      alarmAtLeast(
        this,
        alarms,
        alarmId,
        `${what} in the dead-letter queue: the trigger intake did not take it within 24 hours of retries; inspect the message (its error attributes say why), then send it again`,
        queue.metricApproximateNumberOfMessagesVisible({ period: ALARM_PERIOD, statistic: 'Maximum' }),
      );
    };
    deadLetters('EventDeadLetters', triggers.deadLetterQueue, 'EventBridge: an event for an automation rule');
    deadLetters('ScheduleDeadLetters', schedules.deadLetterQueue, 'Scheduler: a firing of a scheduled rule');
    alarmAtLeast(
      this,
      alarms,
      'IntakeErrors',
      'Trigger intake: invocation errors (EventBridge and Scheduler retry them; the queue or the table failing, or an event that is not one)',
      triggers.intake.fn.metricErrors({ period: ALARM_PERIOD, statistic: 'Sum' }),
    );
  }
}
