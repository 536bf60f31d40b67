/**
 * The DynamoDB tables of bulk jobs and the rate governor (and the shape the notifications table is
 * declared with), declared once: `npm start` creates them on
 * the local emulator from these definitions and the CDK app derives its tables from them.
 */
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';

/** Every record carries its expiry (epoch seconds) here; DynamoDB TTL deletes it. */
export const TTL_ATTRIBUTE = 'expiresAt';
/** Sparse index of failed items: `failedJob` (job id) + `failedIndex`, set only while an item is failed. */
export const FAILURES_INDEX = 'failures';

export interface TableDefinition {
  /** Logical name (CDK construct id, local table name suffix). */
  id: 'Jobs' | 'Rate' | 'Automations';
  partitionKey: string;
  sortKey: string;
  index?: {
    name: string;
    partitionKey: { name: string; type: 'S' | 'N' };
    sortKey: { name: string; type: 'S' | 'N' };
  };
}

export const JOBS_TABLE: TableDefinition = {
  id: 'Jobs',
  partitionKey: 'pk',
  sortKey: 'sk',
  index: {
    name: FAILURES_INDEX,
    partitionKey: { name: 'failedJob', type: 'S' },
    sortKey: { name: 'failedIndex', type: 'N' },
  },
};

export const RATE_TABLE: TableDefinition = { id: 'Rate', partitionKey: 'pk', sortKey: 'sk' };

export const TABLES: readonly TableDefinition[] = [JOBS_TABLE, RATE_TABLE];

/** The CreateTable request for a definition (on-demand billing, as deployed). */
export function createTableInput(table: TableDefinition, tableName: string): CreateTableCommandInput {
  const attributes = new Map<string, 'S' | 'N'>([
    [table.partitionKey, 'S'],
    [table.sortKey, 'S'],
  ]);
  if (table.index) {
    attributes.set(table.index.partitionKey.name, table.index.partitionKey.type);
    attributes.set(table.index.sortKey.name, table.index.sortKey.type);
  }
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({
      AttributeName,
      AttributeType,
    })),
    KeySchema: [
      { AttributeName: table.partitionKey, KeyType: 'HASH' },
      { AttributeName: table.sortKey, KeyType: 'RANGE' },
    ],
    ...(table.index
      ? {
          GlobalSecondaryIndexes: [
            {
              IndexName: table.index.name,
              KeySchema: [
                { AttributeName: table.index.partitionKey.name, KeyType: 'HASH' },
                { AttributeName: table.index.sortKey.name, KeyType: 'RANGE' },
              ],
              Projection: { ProjectionType: 'ALL' },
            },
          ],
        }
      : {}),
  };
}
