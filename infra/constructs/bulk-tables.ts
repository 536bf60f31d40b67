import { CfnOutput, Stack } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { JOBS_TABLE, RATE_TABLE, TABLES, type TableDefinition } from '../../lib/tables/definitions.ts';
import { dataTable, grantTable, type TableAction } from './data-table.ts';

/**
 * What spending the rate budget takes of the rate table: the governor reads the workspace state and
 * windows (GetItem) and claims slots, pauses and learns limits with conditional UpdateItems.
 */
export const RATE_GOVERNOR_ACTIONS = ['GetItem', 'UpdateItem'] as const satisfies readonly TableAction[];

/** The bulk jobs and rate governor tables, built from the definitions the local emulator uses. */
export class BulkTables extends Construct {
  readonly jobs: Table;
  readonly rate: Table;
  readonly #definitions = new Map<Table, TableDefinition>();

  constructor(scope: Construct, id: string, props: { retainData: boolean }) {
    super(scope, id);
    for (const definition of TABLES)
      this.#definitions.set(dataTable(this, definition, props.retainData), definition);
    const byId = new Map([...this.#definitions].map(([table, definition]) => [definition.id, table]));
    this.jobs = byId.get(JOBS_TABLE.id)!;
    this.rate = byId.get(RATE_TABLE.id)!;
    new CfnOutput(Stack.of(this), 'BulkJobsTableName', {
      value: this.jobs.tableName,
      description: 'DynamoDB table of bulk jobs and item outcomes',
    });
    new CfnOutput(Stack.of(this), 'RateTableName', {
      value: this.rate.tableName,
      description: "DynamoDB table of the rate governor's windows",
    });
  }

  /** Grants exactly `actions` on the table and, with `index`, on its index by name (no `index/*`). */
  grant(
    grantee: IGrantable,
    table: Table,
    actions: readonly TableAction[],
    options: { index?: boolean } = {},
  ) {
    const index = this.#definitions.get(table)?.index;
    if (options.index && !index) throw new Error(`table ${table.node.id} has no index`);
    return grantTable(grantee, table, actions, options.index ? index?.name : undefined);
  }
}
