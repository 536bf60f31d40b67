import { describe, expect, it } from '@jest/globals';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { WORKER_BATCH_SIZE, workerConcurrency } from '../../infra/bulk-config.ts';
import { deploymentSettings } from '../../infra/config.ts';
import { grantTable } from '../../infra/constructs/data-table.ts';
import { IntercomActionsStack } from '../../infra/stack.ts';
import { bulkSettings } from '../../lib/bulk/settings.ts';
import { JOBS_TABLE, TABLES } from '../../lib/tables/definitions.ts';
import {
  consumeGrants,
  dashboardBody,
  expectFedFromQueue,
  expectQueuesEncryptedAndKept,
  expectQueueWorkerAlarms,
  expectRedrivenAfter,
  queueWorkerIds,
} from './queue-worker-assertions.ts';
import { expectReadsOnly } from './secret-assertions.ts';
import { CDK_JSON_CONTEXT, environmentAsText, grants, NO_DEFAULT_RULES, synth } from './synth-stack.ts';
import { expectDataTable, expectThrottleAlarm, operationsGrantedOn } from './table-assertions.ts';

const synthesized = synth();
const { stack, template, resources, logicalId, statementsOf, statementsOfOthers } = synthesized;
const { bulk } = stack;
const queueWorker = queueWorkerIds(synthesized, bulk);
const ids = {
  ...queueWorker,
  jobs: logicalId(bulk.tables.jobs),
  rate: logicalId(bulk.tables.rate),
  api: logicalId(stack.functions.bulk.fn),
};

describe('bulk jobs on AWS', () => {
  it('creates both tables from the shared definitions: on-demand, TTL, PITR, encrypted, the failures index', () => {
    // And the automations table.
    template.resourceCountIs('AWS::DynamoDB::Table', TABLES.length + 1);
    for (const [id, definition] of [
      [ids.jobs, JOBS_TABLE],
      [ids.rate, TABLES.find((t) => t.id === 'Rate')!],
    ] as const) {
      expectDataTable(resources[id]!, definition);
      expect(resources[id]!.DeletionPolicy).toBe('Delete');
    }
    const index = JOBS_TABLE.index!;
    expect(resources[ids.jobs]!.Properties.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: index.name,
        KeySchema: [
          { AttributeName: index.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: index.sortKey.name, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
    expect(resources[ids.jobs]!.Properties.AttributeDefinitions).toEqual(
      expect.arrayContaining([{ AttributeName: index.sortKey.name, AttributeType: index.sortKey.type }]),
    );
    expect(resources[ids.rate]!.Properties.GlobalSecondaryIndexes).toBeUndefined();
  });

  it('retains the tables of the prod stage, with deletion protection', () => {
    const prod = synth({ stage: 'prod' });
    for (const [, table] of prod.ofType('AWS::DynamoDB::Table')) {
      expect(table).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
      expect(table.Properties.DeletionProtectionEnabled).toBe(true);
    }
  });

  it('redrives the work queue to its dead-letter queue after the receives the worker counts', () => {
    expectRedrivenAfter(synthesized, queueWorker, 20, 'BULK_MAX_RECEIVE_COUNT');
    const custom = synth({ bulkMaxReceiveCount: 8 });
    expectRedrivenAfter(custom, queueWorkerIds(custom, custom.stack.bulk), 8, 'BULK_MAX_RECEIVE_COUNT');
  });

  it('encrypts both queues, requires TLS, keeps messages 4 days (14 dead-lettered), hides them 6x the worker timeout', () => {
    expectQueuesEncryptedAndKept(synthesized, queueWorker);
  });

  it('feeds the worker in batches of 10 with a 1 s window, capped concurrency and partial batch responses', () => {
    // And the automation worker's and the export worker's.
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 3);
    const batching = { BatchSize: 10, MaximumBatchingWindowInSeconds: 1 };
    // Derived from Intercom's default 10,000/min and 200 ms answers (workerConcurrency).
    expectFedFromQueue(synthesized, queueWorker, { ...batching, MaximumConcurrency: 7 });
    const custom = synth({ bulkMaxConcurrency: 2 });
    expectFedFromQueue(custom, queueWorkerIds(custom, custom.stack.bulk), {
      ...batching,
      MaximumConcurrency: 2,
    });
  });

  it("sizes the worker concurrency from the rate budget and the batch time (Little's law)", () => {
    // R = 10,000 / 60 x 0.9 = 150/s; T = 200 + 4 x 10 (DynamoDB) + 2 x 20 (SQS) = 280 ms; R x T = 42
    // items in flight; x 1.5 / 10 = 6.3 -> 7 batches.
    expect(
      workerConcurrency({ ratePerMinute: 10_000, reserve: 0.1, intercomLatencyMs: 200, batchSize: 10 }),
    ).toEqual({ concurrency: 7, requestsPerSecond: 150, batchMs: 280, inFlight: 42 });
    // Intercom's older 1,000/min: one batch carries it, and AWS's minimum is 2.
    expect(
      workerConcurrency({ ratePerMinute: 1_000, reserve: 0.1, intercomLatencyMs: 200, batchSize: 10 })
        .concurrency,
    ).toBe(2);
    // Every input moves it the way Little's law says.
    const base = { ratePerMinute: 10_000, reserve: 0, intercomLatencyMs: 200, batchSize: 10 };
    expect(workerConcurrency(base).concurrency).toBe(7); // 166.7/s x 0.28 s x 1.5 / 10 = 7.0
    expect(workerConcurrency({ ...base, intercomLatencyMs: 400 }).concurrency).toBe(12);
    expect(workerConcurrency({ ...base, batchSize: 5 }).concurrency).toBe(14);
    expect(workerConcurrency({ ...base, headroom: 1, dynamodbMs: 5, sqsMs: 10 }).concurrency).toBe(4);
    // Clamped to what AWS accepts.
    expect(workerConcurrency({ ...base, ratePerMinute: 1_000_000 }).concurrency).toBe(700);
    expect(workerConcurrency({ ...base, ratePerMinute: 2_000_000 }).concurrency).toBe(1000);
  });

  it('derives the deployed concurrency and the governor default from the Intercom context, unless set', () => {
    const faster = synth({ intercomRatePerMinute: 25_000, intercomLatencyMs: 300 });
    const expected = workerConcurrency({
      ratePerMinute: 25_000,
      reserve: 0.1,
      intercomLatencyMs: 300,
      batchSize: WORKER_BATCH_SIZE,
    }).concurrency;
    expect(expected).toBe(22);
    expectFedFromQueue(faster, queueWorkerIds(faster, faster.stack.bulk), {
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 1,
      MaximumConcurrency: expected,
    });
    // The governor's limit until Intercom's headers are seen: 25,000/min = 4,166 per 10 s.
    const env = faster.environmentOf(faster.logicalId(faster.stack.bulk.worker.service.fn));
    expect(env.RATE_LIMIT_DEFAULT_PER_WINDOW).toBe('4166');
    expect(synthesized.environmentOf(ids.worker).RATE_LIMIT_DEFAULT_PER_WINDOW).toBe('1666');
    // Explicit values win over the derived ones.
    const set = synth({ intercomRatePerMinute: 25_000, bulkMaxConcurrency: 3, rateLimitPerWindow: 500 });
    const setIds = queueWorkerIds(set, set.stack.bulk);
    expectFedFromQueue(set, setIds, {
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 1,
      MaximumConcurrency: 3,
    });
    expect(set.environmentOf(setIds.worker).RATE_LIMIT_DEFAULT_PER_WINDOW).toBe('500');
    expect(() => synth({ intercomRatePerMinute: 0 })).toThrow('context "intercomRatePerMinute"');
    expect(() => synth({ intercomLatencyMs: 'slow' })).toThrow('context "intercomLatencyMs"');
  });

  it('rejects bulk context values AWS or the worker cannot honour', () => {
    expect(() => synth({ bulkMaxConcurrency: 1 })).toThrow('context "bulkMaxConcurrency"');
    expect(() => synth({ bulkMaxReceiveCount: 2 })).toThrow('context "bulkMaxReceiveCount"');
    expect(() => synth({ bulkMaxReceiveCount: 'many' })).toThrow('context "bulkMaxReceiveCount"');
    expect(() => synth({ bulkMaxAttempts: 10, bulkMaxReceiveCount: 6 })).toThrow('context "bulkMaxAttempts"');
    expect(() => synth({ rateLimitReserve: 1 })).toThrow('context "rateLimitReserve"');
  });

  it('gives both bulk functions settings the bulk code accepts, from the same context', () => {
    const context = {
      bulkMaxAttempts: 7,
      bulkRetentionDays: 30,
      rateLimitPerWindow: 1666,
      rateLimitReserve: 0.2,
    };
    const custom = synth(context);
    for (const fn of [custom.stack.functions.bulk.fn, custom.stack.bulk.worker.service.fn]) {
      const env = custom.environmentOf(custom.logicalId(fn));
      expect(bulkSettings(environmentAsText(env), { needsQueue: true })).toMatchObject({
        maxAttempts: 7,
        retentionDays: 30,
        defaultLimitPerWindow: 1666,
        reserveFraction: 0.2,
        maxItemsPerRequest: 1000,
      });
      expect(env).toMatchObject({
        BULK_JOBS_TABLE: { Ref: custom.logicalId(custom.stack.bulk.tables.jobs) },
        RATE_TABLE: { Ref: custom.logicalId(custom.stack.bulk.tables.rate) },
        BULK_QUEUE_URL: { Ref: custom.logicalId(custom.stack.bulk.queue.queue) },
      });
    }
  });

  it('lets the worker read only the Intercom tokens, and the bulk API only the API keys', () => {
    expectReadsOnly(synthesized, ids.worker, 'workspaces');
    expectReadsOnly(synthesized, ids.api, 'apiKeys');
  });

  it('grants each bulk function exactly the table and queue actions its code uses', () => {
    const jobsIndex = `${ids.jobs}/index/${JOBS_TABLE.index!.name}`;
    // The bulk code sends GetItem, UpdateItem and Query (jobs), GetItem and UpdateItem (rate): no
    // PutItem anywhere (the governor's either); the API queries the rate table only for a job's
    // windows (its throughput), and the worker never queries.
    expect(grants(statementsOf(ids.api))).toEqual({
      'dynamodb:BatchGetItem': [ids.jobs],
      'dynamodb:GetItem': [ids.jobs, ids.rate].sort(),
      'dynamodb:UpdateItem': [ids.jobs],
      'dynamodb:Query': [ids.jobs, jobsIndex, ids.rate].sort(),
      'sqs:SendMessage': [ids.queue],
    });
    expect(grants(statementsOf(ids.worker))).toEqual({
      'dynamodb:GetItem': [ids.jobs, ids.rate].sort(),
      'dynamodb:UpdateItem': [ids.jobs, ids.rate].sort(),
      ...consumeGrants(ids.queue),
    });
    // Nothing else touches the tables or the queues (the dead-letter queue is for operators), but the
    // automation worker, which spends the same rate budget.
    const automationWorker = logicalId(stack.automations.worker.service.fn);
    const bulkResources = new Set([ids.jobs, ids.rate, ids.queue, ids.deadLetters]);
    const onBulkResources = (statements: Parameters<typeof grants>[0]) => {
      const granted: Record<string, string[]> = {};
      for (const [action, targets] of Object.entries(grants(statements))) {
        const onBulk = targets.filter((target) => bulkResources.has(target.split('/')[0]!));
        if (onBulk.length > 0) granted[action] = onBulk;
      }
      return granted;
    };
    expect(onBulkResources(statementsOf(automationWorker))).toEqual({
      'dynamodb:GetItem': [ids.rate],
      'dynamodb:UpdateItem': [ids.rate],
    });
    // Exports keep their records in the jobs table and spend the same budget: test/infra/exports.test.ts.
    const exportFunctions = [
      logicalId(stack.exports.worker.service.fn),
      logicalId(stack.functions.exports.fn),
    ];
    expect(
      onBulkResources(statementsOfOthers([ids.api, ids.worker, automationWorker, ...exportFunctions])),
    ).toEqual({});
  });

  it('alarms on dead letters, queue age, worker errors and throttles, and charts them', () => {
    expectQueueWorkerAlarms(synthesized, queueWorker, 15);
    const custom = synth({ bulkQueueAgeAlarmMinutes: 60 });
    expectQueueWorkerAlarms(custom, queueWorkerIds(custom, custom.stack.bulk), 60);
    expect(dashboardBody(synthesized)).toContain('BulkItemsFailed');
  });

  it('alarms when DynamoDB throttles the jobs or the rate table, summing the operations granted on each', () => {
    expectThrottleAlarm(synthesized, ids.jobs);
    expectThrottleAlarm(synthesized, ids.rate);
    // PutItem: export records live in the jobs table, the scroll lock in the rate table.
    expect(operationsGrantedOn(synthesized, ids.jobs)).toEqual([
      'BatchGetItem',
      'GetItem',
      'PutItem',
      'Query',
      'UpdateItem',
    ]);
    expect(operationsGrantedOn(synthesized, ids.rate)).toEqual(['GetItem', 'PutItem', 'Query', 'UpdateItem']);
  });

  it('refuses to synthesize a table grant made after its throttle alarm (the alarm would miss it)', () => {
    const app = new App({ context: { ...CDK_JSON_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
    const late = new IntercomActionsStack(
      app,
      'Late',
      deploymentSettings(app.node, { rulesFile: NO_DEFAULT_RULES }),
    );
    grantTable(late.functions.meta.fn, late.bulk.tables.rate, ['BatchGetItem']);
    expect(() => Template.fromStack(late)).toThrow(
      'RateTableThrottles watches GetItem, PutItem, Query, UpdateItem but BatchGetItem, GetItem, PutItem, Query, UpdateItem are granted on the table',
    );
  });
});
