import { describe, expect, it } from '@jest/globals';
import { bulkSettings } from '../../lib/bulk/settings.ts';
import { JOBS_TABLE, TABLES, TTL_ATTRIBUTE } from '../../lib/bulk/tables.ts';
import { grants, synth } from './synth-stack.ts';

const { stack, template, resources, ofType, logicalId, statementsOf, statementsOfOthers, environmentOf } =
  synth();
const { bulk } = stack;
const ids = {
  jobs: logicalId(bulk.tables.jobs),
  rate: logicalId(bulk.tables.rate),
  queue: logicalId(bulk.queue.queue),
  deadLetters: logicalId(bulk.queue.deadLetterQueue),
  worker: logicalId(bulk.worker.service.fn),
  api: logicalId(stack.functions.bulk.fn),
  apiKeys: logicalId(stack.secrets.apiKeys),
  workspaces: logicalId(stack.secrets.workspaces),
};

describe('bulk jobs on AWS', () => {
  it('creates both tables from the shared definitions: on-demand, TTL, PITR, encrypted, the failures index', () => {
    // And the automations table.
    template.resourceCountIs('AWS::DynamoDB::Table', TABLES.length + 1);
    for (const [id, definition] of [
      [ids.jobs, JOBS_TABLE],
      [ids.rate, TABLES.find((t) => t.id === 'Rate')!],
    ] as const) {
      expect(resources[id]!.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: definition.partitionKey, KeyType: 'HASH' },
          { AttributeName: definition.sortKey, KeyType: 'RANGE' },
        ],
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      });
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
    const queue = resources[ids.queue]!.Properties;
    expect(queue.RedrivePolicy).toEqual({
      deadLetterTargetArn: { 'Fn::GetAtt': [ids.deadLetters, 'Arn'] },
      maxReceiveCount: 20,
    });
    expect(environmentOf(ids.worker).BULK_MAX_RECEIVE_COUNT).toBe(
      String(queue.RedrivePolicy.maxReceiveCount),
    );
    const custom = synth({ bulkMaxReceiveCount: 8 });
    const customQueue = custom.resources[custom.logicalId(custom.stack.bulk.queue.queue)]!;
    const customWorker = custom.resources[custom.logicalId(custom.stack.bulk.worker.service.fn)]!;
    expect(customQueue.Properties.RedrivePolicy.maxReceiveCount).toBe(8);
    expect(customWorker.Properties.Environment.Variables.BULK_MAX_RECEIVE_COUNT).toBe('8');
  });

  it('encrypts both queues, requires TLS, keeps messages 4 days (14 dead-lettered), hides them 6x the worker timeout', () => {
    const queue = resources[ids.queue]!.Properties;
    const deadLetters = resources[ids.deadLetters]!.Properties;
    for (const properties of [queue, deadLetters]) expect(properties.SqsManagedSseEnabled).toBe(true);
    expect(queue.MessageRetentionPeriod).toBe(4 * 24 * 3600);
    expect(deadLetters.MessageRetentionPeriod).toBe(14 * 24 * 3600);
    const worker = resources[ids.worker]!.Properties;
    const [, { Properties: mapping }] = ofType('AWS::Lambda::EventSourceMapping').find(
      ([, m]) => m.Properties.FunctionName.Ref === ids.worker,
    )!;
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(
      6 * worker.Timeout + mapping.MaximumBatchingWindowInSeconds,
    );
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

  it('feeds the worker in batches of 10 with a 1 s window, capped concurrency and partial batch responses', () => {
    // And the automation worker's.
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 2);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [ids.queue, 'Arn'] },
      FunctionName: { Ref: ids.worker },
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 1,
      ScalingConfig: { MaximumConcurrency: 5 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    synth({ bulkMaxConcurrency: 2 }).template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      ScalingConfig: { MaximumConcurrency: 2 },
    });
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
      const env = custom.resources[custom.logicalId(fn)]!.Properties.Environment.Variables;
      const asText = Object.fromEntries(
        Object.entries(env).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
      );
      expect(bulkSettings(asText, { needsQueue: true })).toMatchObject({
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
    const worker = environmentOf(ids.worker);
    expect(worker.WORKSPACES_SECRET_ARN).toEqual({ Ref: ids.workspaces });
    expect(worker.API_KEYS_SECRET_ARN).toBeUndefined();
    expect(JSON.stringify(statementsOf(ids.worker))).not.toContain(ids.apiKeys);
    const api = environmentOf(ids.api);
    expect(api.API_KEYS_SECRET_ARN).toEqual({ Ref: ids.apiKeys });
    expect(api.WORKSPACES_SECRET_ARN).toBeUndefined();
    expect(JSON.stringify(statementsOf(ids.api))).not.toContain(ids.workspaces);
  });

  it('grants each bulk function exactly the table and queue actions its code uses', () => {
    const jobsIndex = `${ids.jobs}/index/${JOBS_TABLE.index!.name}`;
    expect(grants(statementsOf(ids.api))).toEqual({
      'dynamodb:GetItem': [ids.jobs, jobsIndex, ids.rate].sort(),
      'dynamodb:PutItem': [ids.jobs, jobsIndex].sort(),
      'dynamodb:UpdateItem': [ids.jobs, jobsIndex].sort(),
      'dynamodb:Query': [ids.jobs, jobsIndex, ids.rate].sort(),
      'sqs:SendMessage': [ids.queue],
    });
    expect(grants(statementsOf(ids.worker))).toEqual({
      'dynamodb:GetItem': [ids.jobs, ids.rate].sort(),
      'dynamodb:PutItem': [ids.jobs, ids.rate].sort(),
      'dynamodb:UpdateItem': [ids.jobs, ids.rate].sort(),
      'dynamodb:Query': [ids.jobs],
      'sqs:ReceiveMessage': [ids.queue],
      'sqs:DeleteMessage': [ids.queue],
      'sqs:ChangeMessageVisibility': [ids.queue],
      'sqs:GetQueueAttributes': [ids.queue],
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
      'dynamodb:PutItem': [ids.rate],
      'dynamodb:UpdateItem': [ids.rate],
    });
    expect(onBulkResources(statementsOfOthers([ids.api, ids.worker, automationWorker]))).toEqual({});
  });

  it('alarms on dead letters, queue age, worker errors and throttles, and charts them', () => {
    const alarmOn = (metricName: string, dimensionTarget: string) => {
      const found = ofType('AWS::CloudWatch::Alarm').find(
        ([, a]) =>
          a.Properties.MetricName === metricName &&
          JSON.stringify(a.Properties.Dimensions).includes(`"${dimensionTarget}"`),
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
    synth({ bulkQueueAgeAlarmMinutes: 60 }).template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Threshold: 3600,
    });
    const [, dashboard] = ofType('AWS::CloudWatch::Dashboard')[0]!;
    const body = JSON.stringify(dashboard.Properties.DashboardBody);
    for (const text of ['BulkItemsFailed', 'ApproximateAgeOfOldestMessage', ids.deadLetters, ids.worker])
      expect(body).toContain(text);
  });
});
