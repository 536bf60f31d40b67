import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { App } from 'aws-cdk-lib';
import { automationsDeploymentSettings } from '../../infra/automations-config.ts';
import { copyIntoBundle } from '../../infra/bundling.ts';
import { RuleValidationError } from '../../lib/automations/index.ts';
import { automationSettings } from '../../lib/automations/settings.ts';
import { AUTOMATIONS_TABLE } from '../../lib/automations/table.ts';
import { rateSettings } from '../../lib/governor/settings.ts';
import { routes } from '../../lib/http/routes.ts';
import {
  alarmOn,
  consumeGrants,
  dashboardBody,
  expectFedFromQueue,
  expectQueuesEncryptedAndKept,
  expectQueueWorkerAlarms,
  expectRedrivenAfter,
  queueWorkerIds,
} from './queue-worker-assertions.ts';
import { TAG_NEW_USERS_RULES as GOOD_RULES } from './sample-rules.ts';
import { expectReadsOnly } from './secret-assertions.ts';
import { environmentAsText, grants, synth } from './synth-stack.ts';
import { expectDataTable, expectThrottleAlarm, operationsGrantedOn } from './table-assertions.ts';

const synthesized = synth();
const { stack, template, resources, ofType, logicalId, statementsOf, statementsOfOthers, environmentOf } =
  synthesized;
const { automations } = stack;
const queueWorker = queueWorkerIds(synthesized, automations);
const ids = {
  ...queueWorker,
  table: logicalId(automations.table),
  webhooks: logicalId(stack.functions.webhooks.fn),
  runLog: logicalId(stack.functions.automations.fn),
  rate: logicalId(stack.bulk.tables.rate),
};
const dir = mkdtempSync(join(tmpdir(), 'automations-infra-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

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
    expectRedrivenAfter(synthesized, queueWorker, 10, 'AUTOMATIONS_MAX_RECEIVE_COUNT');
    const custom = synth({ automationsMaxReceiveCount: 7 });
    const customIds = queueWorkerIds(custom, custom.stack.automations);
    expectRedrivenAfter(custom, customIds, 7, 'AUTOMATIONS_MAX_RECEIVE_COUNT');
  });

  it('encrypts both queues, requires TLS, keeps messages 4 days (14 dead-lettered), hides them 6x the worker timeout', () => {
    expectQueuesEncryptedAndKept(synthesized, queueWorker);
  });

  it('feeds the worker batches of 10 with partial batch responses, no batching window, capped concurrency', () => {
    expectFedFromQueue(synthesized, queueWorker, { BatchSize: 10, MaximumConcurrency: 2 });
    const custom = synth({ automationsMaxConcurrency: 20 });
    const customIds = queueWorkerIds(custom, custom.stack.automations);
    expectFedFromQueue(custom, customIds, { BatchSize: 10, MaximumConcurrency: 20 });
  });

  it('creates the automations table from the shared definition: on-demand, TTL, PITR, encrypted; kept in prod', () => {
    expectDataTable(resources[ids.table]!, AUTOMATIONS_TABLE);
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

  it('lets the public intake read only the webhook secrets (never the tokens), the worker only the tokens, the run log only the API keys', () => {
    expectReadsOnly(synthesized, ids.webhooks, 'webhookSecrets');
    expectReadsOnly(synthesized, ids.worker, 'workspaces');
    expectReadsOnly(synthesized, ids.runLog, 'apiKeys');
  });

  it('lets the intake read the workspaces secret too only while a deployment migrates (legacyWebhookSecrets)', () => {
    const migrating = synth({ legacyWebhookSecrets: 'true' });
    const intake = migrating.logicalId(migrating.stack.functions.webhooks.fn);
    expectReadsOnly(migrating, intake, 'webhookSecrets', 'workspaces');
    // Nothing else changes: the worker and the run log read what they did.
    expectReadsOnly(
      migrating,
      migrating.logicalId(migrating.stack.automations.worker.service.fn),
      'workspaces',
    );
    expectReadsOnly(migrating, migrating.logicalId(migrating.stack.functions.automations.fn), 'apiKeys');
    expectReadsOnly(synth({ legacyWebhookSecrets: false }), ids.webhooks, 'webhookSecrets');
    expect(() => synth({ legacyWebhookSecrets: 'yes' })).toThrow(
      'context "legacyWebhookSecrets" must be true or false: yes',
    );
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
      'dynamodb:PutItem': [ids.table],
      'dynamodb:UpdateItem': [ids.table, ids.rate].sort(),
      'dynamodb:Query': [ids.table],
      ...consumeGrants(ids.queue),
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

  it('gives the worker the bulk path (its table, its queue, the scroll lock) only when a rule enumerates', () => {
    const forEachRules = rulesFile(
      'for-each.yaml',
      `rules:
  - name: nurture
    topics: [user.created]
    forEach: { operation: scroll_users, where: [{ path: item.custom_attributes.plan, equals: free }] }
    actions:
      - operation: create_update_user
        params: { body: { user_id: "{{item.user_id}}", custom_attributes: { nurtured: true } } }
`,
    );
    const withForEach = synth({ automationsFile: forEachRules });
    const worker = withForEach.logicalId(withForEach.stack.automations.worker.service.fn);
    const jobs = withForEach.logicalId(withForEach.stack.bulk.tables.jobs);
    const rate = withForEach.logicalId(withForEach.stack.bulk.tables.rate);
    const table = withForEach.logicalId(withForEach.stack.automations.table);
    const bulkQueue = withForEach.logicalId(withForEach.stack.bulk.queue.queue);
    const granted = grants(withForEach.statementsOf(worker));
    expect(granted).toMatchObject({
      'dynamodb:GetItem': [table, jobs, rate].sort(),
      'dynamodb:UpdateItem': [table, jobs, rate].sort(),
      // The scroll lock's take and hand-over.
      'dynamodb:PutItem': [table, rate].sort(),
      'sqs:SendMessage': [bulkQueue],
    });
    const env = environmentAsText(withForEach.environmentOf(worker));
    expect(JSON.parse(env.BULK_JOBS_TABLE!)).toEqual({ Ref: jobs });
    expect(JSON.parse(env.BULK_QUEUE_URL!)).toEqual({ Ref: bulkQueue });
    // Without a for-each rule, none of it.
    expect(grants(statementsOf(ids.worker))['sqs:SendMessage']).toBeUndefined();
    expect(environmentOf(ids.worker)).not.toHaveProperty('BULK_JOBS_TABLE');
  });

  it('gives the functions settings the automations code accepts, and the worker the bulk rate budget', () => {
    const custom = synth({
      automationsRetentionDays: 60,
      automationsBotAdminIds: '814860, 42',
      rateLimitPerWindow: 1666,
      rateLimitReserve: 0.2,
    });
    const envOf = (fn: { node: unknown }) => custom.environmentOf(custom.logicalId(fn as never));
    const worker = envOf(custom.stack.automations.worker.service.fn);
    expect(automationSettings(environmentAsText(worker))).toMatchObject({
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
    expect(rateSettings(environmentAsText(worker))).toEqual(rateSettings(environmentAsText(bulkWorker)));
    expect(rateSettings(environmentAsText(worker))).toMatchObject({
      defaultLimitPerWindow: 1666,
      reserveFraction: 0.2,
    });
    const intake = envOf(custom.stack.functions.webhooks.fn);
    expect(automationSettings(environmentAsText(intake))).toMatchObject({ retentionDays: 60 });
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
    expectQueueWorkerAlarms(synthesized, queueWorker, 15);
    expect(alarmOn(synthesized, 'Errors', 'invalid_signature')).toMatchObject({
      Namespace: 'IntercomActions',
      Dimensions: expect.arrayContaining([
        { Name: 'service', Value: 'intercom-actions' },
        { Name: 'ErrorCode', Value: 'invalid_signature' },
      ]),
      Statistic: 'Sum',
      Period: 300,
      Threshold: 10,
    });
    // A verified notification that no workspace claims is dropped (acknowledged): say so at once.
    expect(alarmOn(synthesized, 'WebhooksUnrouted', 'intercom-actions')).toMatchObject({
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
    });
    const custom = synth({ automationsQueueAgeAlarmMinutes: 60 });
    expectQueueWorkerAlarms(custom, queueWorkerIds(custom, custom.stack.automations), 60);
    const body = dashboardBody(synthesized);
    for (const text of ['WebhooksReceived', 'WebhooksUnrouted', 'AutomationActionsFailed'])
      expect(body).toContain(text);
  });

  it('alarms when DynamoDB throttles the automations table, summing the operations granted on it', () => {
    expectThrottleAlarm(synthesized, ids.table);
    expect(operationsGrantedOn(synthesized, ids.table)).toEqual([
      'GetItem',
      'PutItem',
      'Query',
      'UpdateItem',
    ]);
  });
});
