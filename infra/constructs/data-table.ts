import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Grant, type IGrantable } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { type TableDefinition, TTL_ATTRIBUTE } from '../../lib/tables/definitions.ts';

export type TableAction = 'GetItem' | 'BatchGetItem' | 'PutItem' | 'UpdateItem' | 'Query';

const ATTRIBUTE_TYPE = { S: AttributeType.STRING, N: AttributeType.NUMBER } as const;

/**
 * A table from a definition the local emulator also uses: on-demand (nothing to pay while idle),
 * TTL-expired records, point-in-time recovery, AWS-managed encryption; kept with `retainData`.
 */
export function dataTable(scope: Construct, definition: TableDefinition, retainData: boolean): Table {
  const table = new Table(scope, definition.id, {
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
  return table;
}

/** Every action granted on each table, on the table or its index: the operations the code calls. */
const granted = new WeakMap<Table, Set<TableAction>>();

/**
 * Grants exactly `actions` on the table and, with `indexName`, on that index: `Table.grant` would add
 * `index/*`, a wildcard resource.
 */
export function grantTable(
  grantee: IGrantable,
  table: Table,
  actions: readonly TableAction[],
  indexName?: string,
): Grant {
  const resourceArns = [table.tableArn];
  if (indexName) resourceArns.push(`${table.tableArn}/index/${indexName}`);
  const actionsOfTable = granted.get(table) ?? new Set();
  for (const action of actions) actionsOfTable.add(action);
  granted.set(table, actionsOfTable);
  return Grant.addToPrincipal({ grantee, actions: actions.map((a) => `dynamodb:${a}`), resourceArns });
}

/** The actions granted on the table so far, by any function, in a stable order. */
export function grantedTableActions(table: Table): TableAction[] {
  return [...(granted.get(table) ?? [])].sort();
}
