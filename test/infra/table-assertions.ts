import { expect } from '@jest/globals';
import { type TableDefinition, TTL_ATTRIBUTE } from '../../lib/tables/definitions.ts';
import type { Resource } from './synth-stack.ts';

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
