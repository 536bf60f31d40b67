import { type IMetric, MathExpression } from 'aws-cdk-lib/aws-cloudwatch';
import { Operation, type Table } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import type { Alarms } from './alarms.ts';
import { grantedTableActions, type TableAction } from './data-table.ts';
import { ALARM_PERIOD, alarmAtLeast } from './queue-worker-alarms.ts';

const OPERATIONS: Record<TableAction, Operation> = {
  GetItem: Operation.GET_ITEM,
  BatchGetItem: Operation.BATCH_GET_ITEM,
  PutItem: Operation.PUT_ITEM,
  UpdateItem: Operation.UPDATE_ITEM,
  Query: Operation.QUERY,
};

/**
 * Alarms when DynamoDB throttles any request to `table` in 5 minutes. The tables are on-demand, so this
 * is a hot partition (one key taking more than a partition serves: 1,000 writes or 3,000 reads a
 * second), a burst past twice the table's previous peak, or the account's per-table limit; the SDK
 * retries, but sustained throttling slows or fails the work that reads and writes the table.
 * `ThrottledRequests` counts a request whatever the reason (`Read`/`WriteThrottleEvents` are documented
 * for provisioned capacity); it is published per operation, so the alarm sums the operations the
 * functions are granted on the table (CloudWatch bills an alarm per metric it reads: no more than
 * those): make it after the grants (a validation checks it at synth).
 * Returns the metric, for the dashboard.
 */
export function tableThrottleAlarm(
  scope: Construct,
  alarms: Alarms,
  alarmId: string,
  table: Table,
  description: string,
): IMetric {
  const operations = grantedTableActions(table);
  if (operations.length === 0)
    throw new Error(
      `${table.node.path}: no function is granted on it yet: make its throttle alarm after the grants`,
    );
  // An operation with nothing throttled in a period may have no data point there: FILL makes it a 0
  // rather than a gap that would blank the sum (and the alarm) while another operation throttles.
  const metric = new MathExpression({
    expression: operations.map((action) => `FILL(${action.toLowerCase()}, 0)`).join(' + '),
    usingMetrics: Object.fromEntries(
      operations.map((action) => [
        action.toLowerCase(),
        table.metricThrottledRequestsForOperation(OPERATIONS[action], { period: ALARM_PERIOD }),
      ]),
    ),
    period: ALARM_PERIOD,
    label: `${table.node.id} table: throttled requests`,
  });
  alarmAtLeast(scope, alarms, alarmId, description, metric);
  scope.node.addValidation({
    validate: () => {
      const now = grantedTableActions(table);
      return now.join() === operations.join()
        ? []
        : [
            `${alarmId} watches ${operations.join(', ')} but ${now.join(', ')} are granted on the table: make the alarm after every grant`,
          ];
    },
  });
  return metric;
}
