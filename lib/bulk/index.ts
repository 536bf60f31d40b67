/** Wires the bulk pieces for a Lambda function from its environment: AWS clients, store, queue, governor. */

import { documentClient, sqsClient } from '../aws/clients.ts';
import { RateGovernor } from '../governor/rate-governor.ts';
import { WorkQueue } from '../queue/work-queue.ts';
import { JobStore } from './job-store.ts';
import type { BulkSettings, RateSettings } from './settings.ts';

export { bulkSettings, rateSettings } from './settings.ts';

/** The workspace rate governor on the shared rate table. */
export function rateGovernor(settings: RateSettings): RateGovernor {
  return new RateGovernor(documentClient(), {
    table: settings.rateTable,
    defaultLimit: settings.defaultLimitPerWindow,
    windowSeconds: settings.windowSeconds,
    reserveFraction: settings.reserveFraction,
  });
}

export function bulkParts(settings: BulkSettings) {
  return {
    store: new JobStore(documentClient(), settings.jobsTable, settings.retentionDays),
    governor: rateGovernor(settings),
    queue: new WorkQueue(sqsClient(), settings.queueUrl ?? ''),
  };
}
