/** Wires the bulk pieces for a Lambda function from its environment: AWS clients, store, queue, governor. */

import { documentClient, sqsClient } from '../aws/clients.ts';
import { rateGovernor } from '../governor/settings.ts';
import { WorkQueue } from '../queue/work-queue.ts';
import { JobStore } from './job-store.ts';
import type { BulkSettings } from './settings.ts';

export { bulkSettings } from './settings.ts';

export function bulkParts(settings: BulkSettings) {
  return {
    store: new JobStore(documentClient(), settings.jobsTable, settings.retentionDays),
    governor: rateGovernor(settings),
    queue: new WorkQueue(sqsClient(), settings.queueUrl ?? ''),
  };
}
