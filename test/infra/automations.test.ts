import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { App } from 'aws-cdk-lib';
import { automationsDeploymentSettings } from '../../infra/automations-config.ts';
import { copyIntoBundle } from '../../infra/bundling.ts';
import { RuleValidationError } from '../../lib/automations/index.ts';
import { rateSettings } from '../../lib/bulk/settings.ts';
import { TTL_ATTRIBUTE } from '../../lib/bulk/tables.ts';
import { routes } from '../../lib/http/routes.ts';
import { automationSettings } from '../../lib/webhooks/settings.ts';
import { AUTOMATIONS_TABLE } from '../../lib/webhooks/table.ts';
import { grants, synth } from './synth-stack.ts';

const { stack, template, resources, ofType, logicalId, statementsOf, statementsOfOthers, environmentOf } =
  synth();
const { automations } = stack;
const ids = {
  table: logicalId(automations.table),
  queue: logicalId(automations.queue.queue),
  deadLetters: logicalId(automations.queue.deadLetterQueue),
  worker: logicalId(automations.worker.service.fn),
  webhooks: logicalId(stack.functions.webhooks.fn),
  runLog: logicalId(stack.functions.automations.fn),
  rate: logicalId(stack.bulk.tables.rate),
  bulkWorker: logicalId(stack.bulk.worker.service.fn),
  apiKeys: logicalId(stack.secrets.apiKeys),
  workspaces: logicalId(stack.secrets.workspaces),
};
const dir = mkdtempSync(join(tmpdir(), 'automations-infra-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const GOOD_RULES = `version: 1
rules:
  - name: tag-new-users
    topics: [user.created]
    actions:
      - operation: create_tag
        params:
          body:
            name: new-user
            users:
              - id: "{{data.item.id}}"
`;
/** Two problems, both reported. */
const BAD_RULES = GOOD_RULES.replace('[user.created]', '[user.createdd]').replace(
  'create_tag',
  'create_tagg',
);
function rulesFile(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
const queueOf = (id: string) => resources[id]!.Properties;

describe('webhook automations on AWS', () => {
  it('queues notifications on a FIFO queue with a FIFO dead-letter queue, redriven after the receives the worker counts', () => {
    const queue = queueOf(ids.queue);
    const deadLetters = queueOf(ids.deadLetters);
    for (const properties of [queue, deadLetters]) {
      expect(properties.FifoQueue).toBe(true);
      expect(properties.QueueName).toMatch(/^intercom-actions-dev-automations.*\.fifo$/);
    }
    // The intake sets the deduplication id.
    expect(queue.ContentBasedDeduplication).toBe(false);
    expect(queue.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [ids.deadLetters, 'Arn'] },
      maxReceiveCount: 10,
    });
    expect(environmentOf(ids.worker).AUTOMATIONS_MAX_RECEIVE_COUNT).toBe(
      String(queue.RedrivePolicy.maxReceiveCount),
    );
    const custom = synth({ automationsMaxReceiveCount: 7 });
    const customQueue = custom.resources[custom.logicalId(custom.stack.automations.queue.queue)]!;
    const customWorker = custom.environmentOf(custom.logicalId(custom.stack.automations.worker.service.fn));
    expect(customQueue.Properties.RedrivePolicy.maxReceiveCount).toBe(7);
    expect(customWorker.AUTOMATIONS_MAX_RECEIVE_COUNT).toBe('7');
  });

  it('encrypts both queues, requires TLS, keeps messages 4 days (14 dead-lettered), hides them 6x the worker timeout', () => {
    const queue = queueOf(ids.queue);
    const deadLetters = queueOf(ids.deadLetters);
    for (const properties of [queue, deadLetters]) expect(properties.SqsManagedSseEnabled).toBe(true);
    expect(queue.MessageRetentionPeriod).toBe(4 * 24 * 3600);
    expect(deadLetters.MessageRetentionPeriod).toBe(14 * 24 * 3600);
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * resources[ids.worker]!.Properties.Timeout);
    const policies = ofType('AWS::SQS::QueuePolicy');
    for (const id of [ids.queue, ids.deadLetters]) {
      const [, policy] = policies.find(([, p]) =>
        p.Properties.Queues.some((q: { Ref: string }) => q.Ref === id),
      )!;
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
  });

  it('feeds the worker batches of 10 with partial batch responses, no batching window, capped concurrency', () => {
    const [, mapping] = ofType('AWS::Lambda::EventSourceMapping').find(
      ([, m]) => m.Properties.FunctionName.Ref === ids.worker,
    )!;
    expect(mapping.Properties).toEqual({
      EventSourceArn: { 'Fn::GetAtt': [ids.queue, 'Arn'] },
      FunctionName: { Ref: ids.worker },
      BatchSize: 10,
      ScalingConfig: { MaximumConcurrency: 2 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    synth({ automationsMaxConcurrency: 20 }).template.hasResourceProperties(
      'AWS::Lambda::EventSourceMapping',
      {
        BatchSize: 10,
        ScalingConfig: { MaximumConcurrency: 20 },
      },
    );
  });

  it('creates the automations table from the shared definition: on-demand, TTL, PITR, encrypted; kept in prod', () => {
    expect(resources[ids.table]!.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: AUTOMATIONS_TABLE.partitionKey, KeyType: 'HASH' },
        { AttributeName: AUTOMATIONS_TABLE.sortKey, KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
    expect(resources[ids.table]!.DeletionPolicy).toBe('Delete');
    const prod = synth({ stage: 'prod' });
    const table = prod.resources[prod.logicalId(prod.stack.automations.table)]!;
    expect(table).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    expect(table.Properties.DeletionProtectionEnabled).toBe(true);
  });

  it('routes the public webhook route, with no authorizer, to the webhooks function, and outputs its URL', () => {
    const webhook = routes.find((route) => route.target === 'webhooks')!;
    expect(webhook).toMatchObject({ method: 'POST', public: true });
    const [, route] = ofType('AWS::ApiGatewayV2::Route').find(
      ([, r]) => r.Properties.RouteKey === `POST ${webhook.path}`,
    )!;
    expect(route.Properties.AuthorizerId).toBeUndefined();
    expect(route.Properties.AuthorizationType ?? 'NONE').toBe('NONE');
    const integrationId = route.Properties.Target['Fn::Join'][1][1].Ref;
    expect(resources[integrationId]!.Properties.IntegrationUri['Fn::GetAtt'][0]).toBe(ids.webhooks);
    const url = JSON.stringify(template.findOutputs('WebhookUrl').WebhookUrl!.Value);
    expect(url).toContain('execute-api');
    expect(url).toContain(`/${webhook.path.slice(1)}`);
    expect(url).not.toContain(`//${webhook.path.slice(1)}`);
  });

  it('lets the intake and the worker read only the workspaces secret, and the run log only the API keys', () => {
    for (const id of [ids.webhooks, ids.worker]) {
      const env = environmentOf(id);
      expect(env.WORKSPACES_SECRET_ARN).toEqual({ Ref: ids.workspaces });
      expect(env.API_KEYS_SECRET_ARN).toBeUndefined();
      const statements = JSON.stringify(statementsOf(id));
      expect(statements).toContain(ids.workspaces);
      expect(statements).not.toContain(ids.apiKeys);
    }
    const runLog = environmentOf(ids.runLog);
    expect(runLog.API_KEYS_SECRET_ARN).toEqual({ Ref: ids.apiKeys });
    expect(runLog.WORKSPACES_SECRET_ARN).toBeUndefined();
    expect(JSON.stringify(statementsOf(ids.runLog))).not.toContain(ids.workspaces);
  });

  it('grants each function exactly the table and queue actions its code uses', () => {
    expect(grants(statementsOf(ids.webhooks))).toEqual({
      'dynamodb:GetItem': [ids.table],
      'dynamodb:UpdateItem': [ids.table],
      'sqs:SendMessage': [ids.queue],
    });
    expect(grants(statementsOf(ids.runLog))).toEqual({
      'dynamodb:GetItem': [ids.table],
      'dynamodb:Query': [ids.table],
    });
    expect(grants(statementsOf(ids.worker))).toEqual({
      'dynamodb:GetItem': [ids.table, ids.rate].sort(),
      'dynamodb:PutItem': [ids.table, ids.rate].sort(),
      'dynamodb:UpdateItem': [ids.table, ids.rate].sort(),
      'dynamodb:Query': [ids.table],
      'sqs:ReceiveMessage': [ids.queue],
      'sqs:DeleteMessage': [ids.queue],
      'sqs:ChangeMessageVisibility': [ids.queue],
      'sqs:GetQueueAttributes': [ids.queue],
    });
    // Nothing else touches the automations table or queues (the dead-letter queue is for operators).
    const mine = new Set([ids.table, ids.queue, ids.deadLetters]);
    const others = grants(statementsOfOthers([ids.webhooks, ids.runLog, ids.worker]));
    expect(
      Object.values(others)
        .flat()
        .filter((target) => mine.has(target)),
    ).toEqual([]);
  });

  it('gives the functions settings the automations code accepts, and the worker the bulk rate budget', () => {
    const custom = synth({
      automationsRetentionDays: 60,
      automationsBotAdminIds: '814860, 42',
      rateLimitPerWindow: 1666,
      rateLimitReserve: 0.2,
    });
    const asText = (env: Record<string, unknown>) =>
      Object.fromEntries(
        Object.entries(env).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
      );
    const envOf = (fn: { node: unknown }) => custom.environmentOf(custom.logicalId(fn as never));
    const worker = envOf(custom.stack.automations.worker.service.fn);
    expect(automationSettings(asText(worker))).toMatchObject({
      rulesFile: 'automations.json',
      botAdminIds: ['814860', '42'],
      maxReceiveCount: 10,
      retentionDays: 60,
    });
    expect(worker).toMatchObject({
      AUTOMATIONS_TABLE: { Ref: custom.logicalId(custom.stack.automations.table) },
      AUTOMATIONS_QUEUE_URL: { Ref: custom.logicalId(custom.stack.automations.queue.queue) },
    });
    // The same governor table and budget as the bulk worker.
    const bulkWorker = envOf(custom.stack.bulk.worker.service.fn);
    expect(rateSettings(asText(worker))).toEqual(rateSettings(asText(bulkWorker)));
    expect(rateSettings(asText(worker))).toMatchObject({ defaultLimitPerWindow: 1666, reserveFraction: 0.2 });
    const intake = envOf(custom.stack.functions.webhooks.fn);
    expect(automationSettings(asText(intake))).toMatchObject({ retentionDays: 60 });
    expect(intake.AUTOMATIONS_QUEUE_URL).toEqual(worker.AUTOMATIONS_QUEUE_URL);
    const runLog = envOf(custom.stack.functions.automations.fn);
    expect(runLog).toMatchObject({
      AUTOMATIONS_TABLE: worker.AUTOMATIONS_TABLE,
      AUTOMATIONS_RETENTION_DAYS: '60',
    });
    expect(runLog.AUTOMATIONS_QUEUE_URL).toBeUndefined();
    expect(environmentOf(ids.worker).AUTOMATIONS_BOT_ADMIN_IDS).toBeUndefined();
  });

  it('rejects automation context values AWS or the worker cannot honour', () => {
    expect(() => synth({ automationsMaxReceiveCount: 2 })).toThrow('context "automationsMaxReceiveCount"');
    expect(() => synth({ automationsMaxConcurrency: 1 })).toThrow('context "automationsMaxConcurrency"');
    expect(() => synth({ automationsRetentionDays: 0 })).toThrow('context "automationsRetentionDays"');
    expect(() => synth({ automationsBotAdminIds: 'bot' })).toThrow('context "automationsBotAdminIds"');
  });

  it('fails the synth on a bad rules file, naming every problem', () => {
    const bad = rulesFile('bad.yaml', BAD_RULES);
    let thrown: unknown;
    try {
      synth({ automationsFile: bad });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(RuleValidationError);
    const error = thrown as RuleValidationError;
    expect(error.issues).toHaveLength(2);
    expect(error.message).toContain(bad);
    expect(error.message).toContain('unknown topic "user.createdd"');
    expect(error.message).toContain('unknown operation "create_tagg"');
    expect(() => synth({ automationsFile: join(dir, 'missing.yaml') })).toThrow(/cannot be read/);
  });

  it('ships a valid rules file with the worker, else an empty rules document', () => {
    const good = rulesFile('rules.yml', GOOD_RULES);
    const withRules = synth({ automationsFile: good });
    const worker = withRules.resources[withRules.logicalId(withRules.stack.automations.worker.service.fn)]!;
    expect(worker.Properties.Environment.Variables.AUTOMATIONS_FILE).toBe('automations.yml');
    expect(worker.Properties.Description).toContain('1 rule(s)');
    expect(environmentOf(ids.worker).AUTOMATIONS_FILE).toBe('automations.json');
    // The project's automations.yaml is the default; without one, no rules.
    const project = join(dir, 'project');
    mkdirSync(project);
    const node = new App().node;
    expect(automationsDeploymentSettings(node, join(project, 'automations.yaml'))).toMatchObject({
      ruleCount: 0,
    });
    expect(automationsDeploymentSettings(node, join(project, 'automations.yaml')).rulesFile).toBeUndefined();
    const projectRules = join(project, 'automations.yaml');
    writeFileSync(projectRules, GOOD_RULES);
    expect(automationsDeploymentSettings(node, projectRules)).toMatchObject({
      rulesFile: projectRules,
      ruleCount: 1,
    });
  });

  it('copies bundled files with bundling hooks that survive spaces and quotes in paths', () => {
    const source = rulesFile("it's my rules.yaml", GOOD_RULES);
    const output = join(dir, 'bundle output');
    mkdirSync(output);
    const hooks = copyIntoBundle({ 'automations.yaml': source });
    expect(hooks.beforeBundling(dir, output)).toEqual([]);
    for (const command of hooks.afterBundling(dir, output)) execFileSync('bash', ['-c', command]);
    expect(readFileSync(join(output, 'automations.yaml'), 'utf8')).toBe(GOOD_RULES);
  });

  it('alarms on dead letters, queue age, worker errors and throttles, rejected signatures, and charts them', () => {
    const alarmOn = (metricName: string, dimension: string) => {
      const found = ofType('AWS::CloudWatch::Alarm').find(
        ([, a]) =>
          a.Properties.MetricName === metricName &&
          JSON.stringify(a.Properties.Dimensions).includes(`"${dimension}"`),
      );
      expect([metricName, found !== undefined]).toEqual([metricName, true]);
      return found![1].Properties;
    };
    expect(alarmOn('ApproximateNumberOfMessagesVisible', ids.deadLetters)).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Statistic: 'Maximum',
    });
    expect(alarmOn('ApproximateAgeOfOldestMessage', ids.queue)).toMatchObject({
      Threshold: 15 * 60,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    expect(alarmOn('Errors', ids.worker)).toMatchObject({ Threshold: 1, Statistic: 'Sum' });
    expect(alarmOn('Throttles', ids.worker)).toMatchObject({ Threshold: 1, Statistic: 'Sum' });
    expect(alarmOn('Errors', 'invalid_signature')).toMatchObject({
      Namespace: 'IntercomActions',
      Dimensions: expect.arrayContaining([
        { Name: 'service', Value: 'intercom-actions' },
        { Name: 'ErrorCode', Value: 'invalid_signature' },
      ]),
      Statistic: 'Sum',
      Period: 300,
      Threshold: 10,
    });
    const custom = synth({ automationsQueueAgeAlarmMinutes: 60 });
    const queueId = custom.logicalId(custom.stack.automations.queue.queue);
    expect(
      custom
        .ofType('AWS::CloudWatch::Alarm')
        .some(
          ([, a]) =>
            a.Properties.MetricName === 'ApproximateAgeOfOldestMessage' &&
            JSON.stringify(a.Properties.Dimensions).includes(queueId) &&
            a.Properties.Threshold === 3600,
        ),
    ).toBe(true);
    const [, dashboard] = ofType('AWS::CloudWatch::Dashboard')[0]!;
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const text of [
      'WebhooksReceived',
      'AutomationActionsFailed',
      ids.queue,
      ids.deadLetters,
      ids.worker,
    ])
      expect(body).toContain(text);
  });
});
