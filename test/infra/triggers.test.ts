/** Event and scheduled rules on AWS: the bus, a rule per event rule, a schedule per scheduled rule, the intake, grants, alarms. */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseScheduleExpression } from '../../lib/automations/schedule-expression.ts';
import { expectReadsOnly } from './secret-assertions.ts';
import { grants, synth } from './synth-stack.ts';

const RULES = fileURLToPath(new URL('../fixtures/triggers/rules.yaml', import.meta.url));
const synthesized = synth({ automationsFile: RULES });
const { app, stack, resources, ofType, logicalId, statementsOf, environmentOf } = synthesized;
const triggers = stack.triggers!;
const ids = {
  intake: logicalId(triggers.events.intake.fn),
  bus: logicalId(triggers.events.bus as never),
  eventDeadLetters: logicalId(triggers.events.deadLetterQueue!),
  scheduleDeadLetters: logicalId(triggers.schedules.deadLetterQueue!),
  scheduleRole: logicalId(triggers.schedules.role!),
  table: logicalId(stack.automations.table),
  queue: logicalId(stack.automations.queue.queue),
  runLog: logicalId(stack.functions.automations.fn),
};
const arnOf = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });

describe('EventBridge events on AWS', () => {
  it('creates the bus and one rule per event rule, with the rule file pattern, targeting the intake with a DLQ and retries', () => {
    expect(resources[ids.bus]!.Properties).toEqual({ Name: 'intercom-actions-dev' });
    const rules = ofType('AWS::Events::Rule');
    expect(rules).toHaveLength(1);
    const [, rule] = rules[0]!;
    expect(rule.Properties.EventBusName).toEqual({ Ref: ids.bus });
    expect(rule.Properties.EventPattern).toEqual({
      source: ['com.example.shop'],
      'detail-type': ['OrderPlaced'],
      detail: { total: [{ numeric: ['>=', 100] }] },
    });
    expect(rule.Properties.Targets).toEqual([
      {
        Id: 'Target0',
        Arn: arnOf(ids.intake),
        DeadLetterConfig: { Arn: arnOf(ids.eventDeadLetters) },
        RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 },
      },
    ]);
    // Only that rule may invoke the intake, and write to its dead-letter queue.
    const permissions = ofType('AWS::Lambda::Permission').filter(
      ([, p]) => JSON.stringify(p.Properties.FunctionName) === JSON.stringify(arnOf(ids.intake)),
    );
    expect(permissions.map(([, p]) => p.Properties)).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        FunctionName: arnOf(ids.intake),
        Principal: 'events.amazonaws.com',
        SourceArn: arnOf(rules[0]![0]),
      },
    ]);
    const dlqPolicy = ofType('AWS::SQS::QueuePolicy').find(
      ([, p]) => p.Properties.Queues[0].Ref === ids.eventDeadLetters,
    )!;
    expect(dlqPolicy[1].Properties.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({
        Action: 'sqs:SendMessage',
        Principal: { Service: 'events.amazonaws.com' },
        Condition: { ArnEquals: { 'aws:SourceArn': arnOf(rules[0]![0]) } },
      }),
    );
  });

  it('attaches to an existing bus by configuration instead of creating one', () => {
    const attached = synth({ automationsFile: RULES, automationsEventBusName: 'default' });
    expect(attached.ofType('AWS::Events::EventBus')).toEqual([]);
    const [, rule] = attached.ofType('AWS::Events::Rule')[0]!;
    expect(rule.Properties.EventBusName).toBe('default');
    expect(() => synth({ automationsFile: RULES, automationsEventBusName: 'has space' })).toThrow(
      'context "automationsEventBusName"',
    );
  });

  it('gives the intake the rules, the queue and the default workspace, no secret, and only the inbox grants', () => {
    expect(environmentOf(ids.intake)).toMatchObject({
      AUTOMATIONS_FILE: 'automations.yaml',
      AUTOMATIONS_QUEUE_URL: { Ref: ids.queue },
      AUTOMATIONS_TABLE: { Ref: ids.table },
      DEFAULT_WORKSPACE: 'default',
    });
    expectReadsOnly(synthesized, ids.intake);
    expect(grants(statementsOf(ids.intake))).toEqual({
      'dynamodb:GetItem': [ids.table],
      'dynamodb:UpdateItem': [ids.table],
      'sqs:SendMessage': [ids.queue],
    });
  });
});

describe('schedules on AWS', () => {
  it('creates one Scheduler schedule per scheduled rule: its expression, time zone, input, DLQ and retries', () => {
    const schedules = ofType('AWS::Scheduler::Schedule').map(([, s]) => s.Properties);
    // nightly-tag, six-hourly-tag and the for-each rule tag-trigger-user-each.
    expect(schedules).toHaveLength(3);
    const byName = Object.fromEntries(schedules.map((s) => [s.Name, s]));
    expect(byName['intercom-actions-dev-nightly-tag']).toMatchObject({
      ScheduleExpression: 'cron(0 2 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Paris',
      FlexibleTimeWindow: { Mode: 'OFF' },
    });
    expect(byName['intercom-actions-dev-six-hourly-tag']).toMatchObject({
      ScheduleExpression: 'rate(6 hours)',
      ScheduleExpressionTimezone: 'UTC',
    });
    for (const schedule of schedules) {
      expect('problem' in parseScheduleExpression(schedule.ScheduleExpression)).toBe(false);
      expect(schedule.Target).toEqual({
        Arn: arnOf(ids.intake),
        RoleArn: arnOf(ids.scheduleRole),
        Input: JSON.stringify({
          schedule: schedule.Name.replace('intercom-actions-dev-', ''),
          time: '<aws.scheduler.scheduled-time>',
        }),
        DeadLetterConfig: { Arn: arnOf(ids.scheduleDeadLetters) },
        RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 },
      });
    }
  });

  it("lets the schedules' role invoke the intake only, and write to their dead-letter queue only", () => {
    const role = resources[ids.scheduleRole]!.Properties;
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { Service: 'scheduler.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      },
    ]);
    const statements = ofType('AWS::IAM::Policy')
      .filter(([, p]) => p.Properties.Roles.some((r: { Ref: string }) => r.Ref === ids.scheduleRole))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    expect(statements).toEqual([
      { Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: arnOf(ids.intake) },
      { Action: 'sqs:SendMessage', Effect: 'Allow', Resource: arnOf(ids.scheduleDeadLetters) },
    ]);
  });

  it('lets the run log function fire scheduled rules: the rules, the queue and the inbox grants', () => {
    expect(environmentOf(ids.runLog)).toMatchObject({
      AUTOMATIONS_FILE: 'automations.yaml',
      AUTOMATIONS_QUEUE_URL: { Ref: ids.queue },
    });
    expect(grants(statementsOf(ids.runLog))).toEqual({
      'dynamodb:GetItem': [ids.table],
      'dynamodb:Query': [ids.table],
      'dynamodb:UpdateItem': [ids.table],
      'sqs:SendMessage': [ids.queue],
    });
  });
});

describe('trigger alarms and checks', () => {
  it('alarms on both dead-letter queues and on intake errors', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
    const on = (metric: string, dimension: { Name: string; Value: unknown }) =>
      alarms.filter(
        (a) => a.MetricName === metric && JSON.stringify(a.Dimensions) === JSON.stringify([dimension]),
      );
    for (const queue of [ids.eventDeadLetters, ids.scheduleDeadLetters]) {
      const value = { 'Fn::GetAtt': [queue, 'QueueName'] };
      expect(on('ApproximateNumberOfMessagesVisible', { Name: 'QueueName', Value: value })).toEqual([
        expect.objectContaining({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' }),
      ]);
    }
    expect(on('Errors', { Name: 'FunctionName', Value: { Ref: ids.intake } })).toEqual([
      expect.objectContaining({ Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold' }),
    ]);
  });

  it('is clean under cdk-nag AwsSolutions', () => {
    expect(new AwsSolutionsChecks(app).validateScope(stack).violations).toEqual([]);
  });

  it('fails the synth on a bad event or scheduled rule, naming it', () => {
    const bad = fileURLToPath(new URL('../fixtures/triggers/invalid.yaml', import.meta.url));
    expect(() => synth({ automationsFile: bad })).toThrow(
      /\/rules\/0\/on\/schedule \(rule "bad-schedule"\): "cron\(0 9 \* \* \* \*\)": exactly one of day-of-month and day-of-week must be "\?"[\s\S]*\/rules\/1\/on\/eventbridge\/detail\/total\/0\/suffix \(rule "bad-event"\)/,
    );
  });
});
