import { CfnOutput, Duration, Stack, Validations } from 'aws-cdk-lib';
import { EventBus, type IEventBus, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Rule as AutomationRule, EventBridgeTrigger } from '../../lib/automations/index.ts';
import type { AutomationsDeploymentSettings } from '../automations-config.ts';
import type { WebhookAutomations } from './automations.ts';
import { bundledRulesName, NO_RULES_FILE } from './automations-worker.ts';
import { ServiceFunction } from './function.ts';

/**
 * 10 s, as the webhook intake: one item read, one message sent, one item written. EventBridge and
 * Scheduler retry a failed invocation, so failing fast costs nothing.
 */
export const TRIGGER_INTAKE_TIMEOUT = Duration.seconds(10);
/** EventBridge's and Scheduler's most patient retry policy: 24 hours, 185 tries, then the dead-letter queue. */
export const TARGET_RETRY = { maxEventAge: Duration.hours(24), retryAttempts: 185 } as const;

export interface EventTriggersProps {
  stage: string;
  settings: AutomationsDeploymentSettings;
  automations: WebhookAutomations;
  /** Powertools and Intercom settings every function gets (DEFAULT_WORKSPACE among them); no secret ARNs. */
  baseEnvironment: Record<string, string>;
  logRetentionDays: number;
}

/** A dead-letter queue for a trigger's target: encrypted, TLS only, kept 14 days to inspect and replay. */
export function targetDeadLetterQueue(scope: Construct, id: string): Queue {
  const queue = new Queue(scope, id, {
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  Validations.of(queue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason:
      "This queue is a dead-letter queue: an EventBridge rule target's or a Scheduler schedule's (DeadLetterConfig), which cdk-nag cannot see from SQS's own redrive settings.",
  });
  return queue;
}

/** The pattern of an event rule as CDK takes it (EventBridge's own JSON, keys in CDK's case). */
function eventPatternOf(trigger: EventBridgeTrigger) {
  const { source, 'detail-type': detailType, detail } = trigger.pattern;
  // The leaves hold matchers ({prefix}, {numeric}...), which CDK's types write as strings but pass on as they are.
  return {
    ...(source ? { source: source as string[] } : {}),
    ...(detailType ? { detailType: detailType as string[] } : {}),
    ...(detail ? { detail: detail as Record<string, unknown> } : {}),
  };
}

/**
 * Event and scheduled rules' way in: the trigger intake function (functions/trigger-intake.ts) that
 * EventBridge rules and Scheduler schedules invoke, and the event bus with one EventBridge rule per
 * event rule. EventBridge's SQS FIFO target takes one fixed message group id for every event, so the
 * events go through the intake, which queues each with its rule's `orderBy` group.
 */
export class EventTriggers extends Construct {
  readonly intake: ServiceFunction;
  readonly bus: IEventBus | undefined;
  readonly rules: Rule[] = [];
  /** Where the bus's rules put an event no invocation of the intake took (after 24 hours of retries). */
  readonly deadLetterQueue: Queue | undefined;

  constructor(scope: Construct, id: string, props: EventTriggersProps) {
    super(scope, id);
    const { settings, automations } = props;
    const rulesName = bundledRulesName(settings.rulesFile);
    this.intake = new ServiceFunction(this, 'Intake', {
      entry: new URL('../../functions/trigger-intake.ts', import.meta.url).pathname,
      description:
        'intercom-actions trigger intake: EventBridge events and Scheduler firings to the automations queue',
      environment: {
        ...props.baseEnvironment,
        ...automations.intakeEnvironment,
        AUTOMATIONS_FILE: rulesName,
      },
      // Routing needs the rules and the default workspace's name, never a token or a key.
      secrets: [],
      timeout: TRIGGER_INTAKE_TIMEOUT,
      logRetentionDays: props.logRetentionDays,
      bundledFiles: { [rulesName]: settings.rulesFile ?? NO_RULES_FILE },
    });
    automations.grantIntake(this.intake.fn);

    const eventRules = settings.triggerRules.filter(
      (rule): rule is AutomationRule & { trigger: EventBridgeTrigger } =>
        rule.trigger?.kind === 'eventbridge',
    );
    if (eventRules.length === 0) return;
    const given = settings.eventBusName;
    this.bus = given
      ? given.startsWith('arn:')
        ? EventBus.fromEventBusArn(this, 'Bus', given)
        : EventBus.fromEventBusName(this, 'Bus', given)
      : new EventBus(this, 'Bus', { eventBusName: `intercom-actions-${props.stage}` });
    this.deadLetterQueue = targetDeadLetterQueue(this, 'EventDeadLetters');
    for (const rule of eventRules) {
      this.rules.push(
        new Rule(this, `Rule-${rule.name}`, {
          eventBus: this.bus,
          description: `intercom-actions automation rule "${rule.name}"`,
          eventPattern: eventPatternOf(rule.trigger),
          targets: [
            new LambdaFunction(this.intake.fn, { deadLetterQueue: this.deadLetterQueue, ...TARGET_RETRY }),
          ],
        }),
      );
    }
    new CfnOutput(Stack.of(this), 'EventBusName', {
      value: this.bus.eventBusName,
      description: 'The EventBridge bus your applications send events to (PutEvents EventBusName)',
    });
  }
}
