import { expect } from '@jest/globals';
import { type TableDefinition, TTL_ATTRIBUTE } from '../../lib/tables/definitions.ts';
import { grants, type Resource, type Statement, type Synthesized } from './synth-stack.ts';

/** A table built from `definition` (infra's dataTable): on-demand, its keys, TTL, PITR, encrypted. */
export function expectDataTable(table: Resource, definition: TableDefinition): void {
  expect(table.Properties).toMatchObject({
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [
      { AttributeName: definition.partitionKey, KeyType: 'HASH' },
      { AttributeName: definition.sortKey, KeyType: 'RANGE' },
    ],
    TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
    PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    SSESpecification: { SSEEnabled: true },
  });
}

/** The DynamoDB operations any function's role is granted on the table with this logical id (or its index). */
export function operationsGrantedOn(synthesized: Synthesized, tableId: string): string[] {
  const statements = synthesized
    .ofType('AWS::IAM::Policy')
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[]);
  const operations = Object.entries(grants(statements))
    .filter(([, targets]) => targets.some((target) => target === tableId || target.startsWith(`${tableId}/`)))
    .map(([action]) => action.replace('dynamodb:', ''));
  return [...new Set(operations)].sort();
}

/**
 * One alarm into the topic when DynamoDB throttles any request to the table in 5 minutes: the sum of
 * `ThrottledRequests` over exactly the operations the functions are granted on it, each a 0 when it
 * has no data point. The dashboard charts it.
 */
export function expectThrottleAlarm(synthesized: Synthesized, tableId: string): void {
  const alarms = synthesized
    .ofType('AWS::CloudWatch::Alarm')
    .filter(([, a]) => JSON.stringify(a.Properties.Metrics ?? []).includes(`{"Ref":"${tableId}"}`));
  expect([tableId, alarms.length]).toEqual([tableId, 1]);
  const alarm = alarms[0]![1].Properties;
  expect(alarm).toMatchObject({
    Threshold: 1,
    EvaluationPeriods: 1,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    TreatMissingData: 'notBreaching',
    AlarmActions: [{ Ref: expect.stringMatching(/^AlarmsTopic/) }],
    OKActions: [{ Ref: expect.stringMatching(/^AlarmsTopic/) }],
  });
  const metrics = alarm.Metrics.filter((m: any) => m.MetricStat);
  const granted = operationsGrantedOn(synthesized, tableId);
  expect(granted.length).toBeGreaterThan(0);
  expect(
    metrics.map((m: any) => {
      const { Metric, Period, Stat } = m.MetricStat;
      const operation = Metric.Dimensions.find((d: any) => d.Name === 'Operation').Value;
      expect(Metric).toEqual({
        Namespace: 'AWS/DynamoDB',
        MetricName: 'ThrottledRequests',
        Dimensions: expect.arrayContaining([{ Name: 'TableName', Value: { Ref: tableId } }]),
      });
      expect([Period, Stat]).toEqual([300, 'Sum']);
      return operation;
    }),
  ).toEqual(granted);
  const [expression] = alarm.Metrics.filter((m: any) => m.Expression);
  expect(expression.Expression).toBe(metrics.map((m: any) => `FILL(${m.Id}, 0)`).join(' + '));
  expect(expression.ReturnData).toBe(true);
  const [, dashboard] = synthesized.ofType('AWS::CloudWatch::Dashboard')[0]!;
  expect(JSON.stringify(dashboard.Properties.DashboardBody)).toContain(tableId);
}
