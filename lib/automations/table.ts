/** The automations table (notification claims, run log, loop-guard counters), declared once for the emulator and the CDK app. */
import type { TableDefinition } from '../tables/definitions.ts';

export const AUTOMATIONS_TABLE: TableDefinition = { id: 'Automations', partitionKey: 'pk', sortKey: 'sk' };
