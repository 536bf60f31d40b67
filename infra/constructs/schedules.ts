import { createHash } from 'node:crypto';
import { Stack } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { CfnSchedule } from 'aws-cdk-lib/aws-scheduler';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Rule, ScheduleTrigger } from '../../lib/automations/index.ts';
import { TARGET_RETRY, targetDeadLetterQueue } from './events.ts';

export interface RuleSchedulesProps {
  stage: string;
  rules: readonly Rule[];
  /** The trigger intake, each schedule's target. */
  intake: IFunction;
}

/** Scheduler names: 64 characters of [0-9a-zA-Z-_.]; a long rule name keeps a hash of itself. */
export function scheduleName(stage: string, rule: string): string {
  const name = `intercom-actions-${stage}-${rule}`;
  if (name.length <= 64) return name;
  const hash = createHash('sha256').update(rule).digest('hex').slice(0, 8);
  return `${name.slice(0, 55)}-${hash}`;
}

/**
 * One EventBridge Scheduler schedule per scheduled rule, in the rule's time zone, invoking the trigger
 * intake with `{"schedule": <rule>, "time": <scheduled time>}`; a role that may invoke that function
 * only (and write to the dead-letter queue), and a dead-letter queue for firings no invocation took.
 */
export class RuleSchedules extends Construct {
  readonly schedules: CfnSchedule[] = [];
  readonly role: Role | undefined;
  readonly deadLetterQueue: Queue | undefined;

  constructor(scope: Construct, id: string, props: RuleSchedulesProps) {
    super(scope, id);
    const scheduled = props.rules.filter(
      (rule): rule is Rule & { trigger: ScheduleTrigger } => rule.trigger?.kind === 'schedule',
    );
    if (scheduled.length === 0) return;
    const deadLetterQueue = targetDeadLetterQueue(this, 'DeadLetters');
    const account = Stack.of(this).account;
    const role = new Role(this, 'Role', {
      // Only this account's schedules may use it (the confused-deputy condition Scheduler documents).
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
      description: 'intercom-actions schedules: invoke the trigger intake, dead-letter what it never took',
    });
    role.addToPolicy(
      new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [props.intake.functionArn] }),
    );
    role.addToPolicy(
      new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [deadLetterQueue.queueArn] }),
    );
    for (const rule of scheduled) {
      this.schedules.push(
        new CfnSchedule(this, `Schedule-${rule.name}`, {
          name: scheduleName(props.stage, rule.name),
          description: `intercom-actions automation rule "${rule.name}"`,
          scheduleExpression: rule.trigger.expression,
          scheduleExpressionTimezone: rule.trigger.timezone,
          flexibleTimeWindow: { mode: 'OFF' },
          target: {
            arn: props.intake.functionArn,
            roleArn: role.roleArn,
            // Scheduler fills in the time the firing was due: a redelivery carries the same one.
            input: JSON.stringify({ schedule: rule.name, time: '<aws.scheduler.scheduled-time>' }),
            deadLetterConfig: { arn: deadLetterQueue.queueArn },
            retryPolicy: {
              maximumEventAgeInSeconds: TARGET_RETRY.maxEventAge.toSeconds(),
              maximumRetryAttempts: TARGET_RETRY.retryAttempts,
            },
          },
        }),
      );
    }
    this.role = role;
    this.deadLetterQueue = deadLetterQueue;
  }
}
