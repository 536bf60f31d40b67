/** Assertions on a queue with its dead-letter queue and the SQS-fed worker it feeds (bulk jobs, automations). */
import { expect } from '@jest/globals';
import type { QueueWithDeadLetter } from '../../infra/constructs/queue-with-dead-letter.ts';
import type { QueueWorker } from '../../infra/constructs/queue-worker.ts';
import type { Synthesized } from './synth-stack.ts';

export interface QueueWorkerIds {
  queue: string;
  deadLetters: string;
  worker: string;
}

/** The logical ids of `part`'s queues and worker (`stack.bulk`, `stack.automations`). */
export function queueWorkerIds(
  synthesized: Synthesized,
  part: { queue: QueueWithDeadLetter; worker: QueueWorker },
): QueueWorkerIds {
  return {
    queue: synthesized.logicalId(part.queue.queue),
    deadLetters: synthesized.logicalId(part.queue.deadLetterQueue),
    worker: synthesized.logicalId(part.worker.service.fn),
  };
}

/** The properties of the event source mapping that feeds the worker with this logical id. */
export function mappingOf(synthesized: Synthesized, workerId: string): Record<string, any> {
  const mappings = synthesized
    .ofType('AWS::Lambda::EventSourceMapping')
    .filter(([, m]) => m.Properties.FunctionName.Ref === workerId);
  expect(mappings).toHaveLength(1);
  return mappings[0]![1].Properties;
}

/** Exactly this mapping: the worker fed from its queue with partial batch responses, and `settings`. */
export function expectFedFromQueue(
  synthesized: Synthesized,
  ids: QueueWorkerIds,
  settings: { BatchSize: number; MaximumBatchingWindowInSeconds?: number; MaximumConcurrency: number },
): void {
  const { MaximumConcurrency, ...batching } = settings;
  expect(mappingOf(synthesized, ids.worker)).toEqual({
    EventSourceArn: { 'Fn::GetAtt': [ids.queue, 'Arn'] },
    FunctionName: { Ref: ids.worker },
    ...batching,
    ScalingConfig: { MaximumConcurrency },
    FunctionResponseTypes: ['ReportBatchItemFailures'],
  });
}

/** The queue redrives to its dead-letter queue after `maxReceiveCount` receives, the count the worker reads. */
export function expectRedrivenAfter(
  synthesized: Synthesized,
  ids: QueueWorkerIds,
  maxReceiveCount: number,
  workerVariable: string,
): void {
  expect(synthesized.resources[ids.queue]!.Properties.RedrivePolicy).toEqual({
    deadLetterTargetArn: { 'Fn::GetAtt': [ids.deadLetters, 'Arn'] },
    maxReceiveCount,
  });
  expect(synthesized.environmentOf(ids.worker)[workerVariable]).toBe(String(maxReceiveCount));
}

/**
 * Both queues SSE-SQS and TLS only; messages kept 4 days (14 dead-lettered); hidden at least 6x the
 * worker's timeout plus the mapping's batching window while the worker has them.
 */
export function expectQueuesEncryptedAndKept(synthesized: Synthesized, ids: QueueWorkerIds): void {
  const { resources, ofType } = synthesized;
  const queue = resources[ids.queue]!.Properties;
  const deadLetters = resources[ids.deadLetters]!.Properties;
  for (const properties of [queue, deadLetters]) expect(properties.SqsManagedSseEnabled).toBe(true);
  expect(queue.MessageRetentionPeriod).toBe(4 * 24 * 3600);
  expect(deadLetters.MessageRetentionPeriod).toBe(14 * 24 * 3600);
  const mapping = mappingOf(synthesized, ids.worker);
  expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(
    6 * resources[ids.worker]!.Properties.Timeout + (mapping.MaximumBatchingWindowInSeconds ?? 0),
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
}

/** What a worker is granted on its queue (grants()'s form): what it takes to consume, nothing more. */
export function consumeGrants(queueId: string): Record<string, string[]> {
  return {
    'sqs:ReceiveMessage': [queueId],
    'sqs:DeleteMessage': [queueId],
    'sqs:ChangeMessageVisibility': [queueId],
    'sqs:GetQueueAttributes': [queueId],
  };
}

/** The properties of the alarm on `metricName` whose dimensions name `dimension`; fails if there is none. */
export function alarmOn(
  synthesized: Synthesized,
  metricName: string,
  dimension: string,
): Record<string, any> {
  const found = synthesized
    .ofType('AWS::CloudWatch::Alarm')
    .find(
      ([, a]) =>
        a.Properties.MetricName === metricName &&
        JSON.stringify(a.Properties.Dimensions).includes(`"${dimension}"`),
    );
  expect([metricName, dimension, found !== undefined]).toEqual([metricName, dimension, true]);
  return found![1].Properties;
}

/** The dashboard's body, as text. */
export function dashboardBody(synthesized: Synthesized): string {
  const [, dashboard] = synthesized.ofType('AWS::CloudWatch::Dashboard')[0]!;
  return JSON.stringify(dashboard.Properties.DashboardBody);
}

/**
 * Alarms on anything dead-lettered, a queue older than `queueAgeMinutes`, any worker error or throttle;
 * the dashboard charts the queue, the dead-letter queue and the worker.
 */
export function expectQueueWorkerAlarms(
  synthesized: Synthesized,
  ids: QueueWorkerIds,
  queueAgeMinutes: number,
): void {
  expect(alarmOn(synthesized, 'ApproximateNumberOfMessagesVisible', ids.deadLetters)).toMatchObject({
    Threshold: 1,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    Statistic: 'Maximum',
  });
  expect(alarmOn(synthesized, 'ApproximateAgeOfOldestMessage', ids.queue)).toMatchObject({
    Threshold: queueAgeMinutes * 60,
    ComparisonOperator: 'GreaterThanThreshold',
  });
  expect(alarmOn(synthesized, 'Errors', ids.worker)).toMatchObject({ Threshold: 1, Statistic: 'Sum' });
  expect(alarmOn(synthesized, 'Throttles', ids.worker)).toMatchObject({ Threshold: 1, Statistic: 'Sum' });
  const body = dashboardBody(synthesized);
  for (const text of ['ApproximateAgeOfOldestMessage', ids.queue, ids.deadLetters, ids.worker])
    expect(body).toContain(text);
}
