import { CfnOutput, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import {
  JOBS_TABLE,
  RATE_TABLE,
  TABLES,
  type TableDefinition,
  TTL_ATTRIBUTE,
} from '../../lib/bulk/tables.ts';

export type TableAction = 'GetItem' | 'PutItem' | 'UpdateItem' | 'Query';

const ATTRIBUTE_TYPE = { S: AttributeType.STRING, N: AttributeType.NUMBER } as const;

/**
 * The bulk jobs and rate governor tables, built from the definitions the local emulator uses: on-demand
 * (nothing to pay while idle), TTL-expired records, point-in-time recovery, AWS-managed encryption.
 */
export class BulkTables extends Construct {
  readonly jobs: Table;
  readonly rate: Table;
  readonly #definitions = new Map<Table, TableDefinition>();

  constructor(scope: Construct, id: string, props: { retainData: boolean }) {
    super(scope, id);
    const tables = new Map(
      TABLES.map((definition) => [definition.id, this.#table(definition, props.retainData)]),
    );
    this.jobs = tables.get(JOBS_TABLE.id)!;
    this.rate = tables.get(RATE_TABLE.id)!;
    new CfnOutput(Stack.of(this), 'BulkJobsTableName', {
      value: this.jobs.tableName,
      description: 'DynamoDB table of bulk jobs and item outcomes',
    });
    new CfnOutput(Stack.of(this), 'RateTableName', {
      value: this.rate.tableName,
      description: "DynamoDB table of the rate governor's windows",
    });
  }

  #table(definition: TableDefinition, retainData: boolean): Table {
    const table = new Table(this, definition.id, {
      partitionKey: { name: definition.partitionKey, type: AttributeType.STRING },
      sortKey: { name: definition.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TTL_ATTRIBUTE,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // AWS-managed key: encrypted with a KMS key whose use CloudTrail shows, at no monthly key fee.
      encryption: TableEncryption.AWS_MANAGED,
      removalPolicy: retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      deletionProtection: retainData,
    });
    if (definition.index) {
      table.addGlobalSecondaryIndex({
        indexName: definition.index.name,
        partitionKey: {
          name: definition.index.partitionKey.name,
          type: ATTRIBUTE_TYPE[definition.index.partitionKey.type],
        },
        sortKey: { name: definition.index.sortKey.name, type: ATTRIBUTE_TYPE[definition.index.sortKey.type] },
        projectionType: ProjectionType.ALL,
      });
    }
    this.#definitions.set(table, definition);
    return table;
  }

  /**
   * Grants exactly `actions` on the table and, with `index`, on its index by name: `Table.grant` would
   * add `index/*`, a wildcard resource.
   */
  grant(
    grantee: IGrantable,
    table: Table,
    actions: readonly TableAction[],
    options: { index?: boolean } = {},
  ) {
    const index = this.#definitions.get(table)?.index;
    if (options.index && !index) throw new Error(`table ${table.node.id} has no index`);
    const resourceArns = [table.tableArn];
    if (options.index && index) resourceArns.push(`${table.tableArn}/index/${index.name}`);
    return Grant.addToPrincipal({ grantee, actions: actions.map((a) => `dynamodb:${a}`), resourceArns });
  }
}
