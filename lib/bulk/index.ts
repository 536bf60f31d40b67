/** Wires the bulk pieces for a Lambda function from its environment: AWS clients, store, queue, governor. */

import { documentClient, sqsClient } from './aws.ts';
import { RateGovernor } from './governor.ts';
import { JobStore } from './job-store.ts';
import { WorkQueue } from './queue.ts';
import type { BulkSettings } from './settings.ts';

export { bulkSettings } from './settings.ts';

export function bulkParts(settings: BulkSettings) {
  const db = documentClient();
  return {
    store: new JobStore(db, settings.jobsTable, settings.retentionDays),
    governor: new RateGovernor(db, {
      table: settings.rateTable,
      defaultLimit: settings.defaultLimitPerWindow,
      windowSeconds: settings.windowSeconds,
      reserveFraction: settings.reserveFraction,
    }),
    queue: new WorkQueue(sqsClient(), settings.queueUrl ?? ''),
  };
}
