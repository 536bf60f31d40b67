/** Wires the export pieces for a Lambda function from its environment: AWS clients, store, files, queue, lock, governor. */
import { documentClient, s3Client, sqsClient } from '../aws/clients.ts';
import { rateGovernor } from '../governor/settings.ts';
import { WorkQueue } from '../queue/work-queue.ts';
import { ScrollLock } from '../scroll/lock.ts';
import { ExportFiles } from './files.ts';
import type { ExportSettings } from './settings.ts';
import { ExportStore } from './store.ts';

export { exportSettings } from './settings.ts';

export function exportParts(settings: ExportSettings) {
  return {
    store: new ExportStore(documentClient(), settings.jobsTable, settings.retentionDays),
    files: new ExportFiles(s3Client(), settings.bucket),
    queue: new WorkQueue(sqsClient(), settings.queueUrl),
    // The lock lives beside the governor's per-workspace state.
    lock: new ScrollLock(documentClient(), settings.rateTable),
    governor: rateGovernor(settings),
  };
}
