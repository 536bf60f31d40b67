// The FIFO-fed automation worker: runs the rules matching each Intercom notification, in order per object.
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { ForEachStore } from '../lib/automations/for-each-store.ts';
import { createRuleEngine, loadRulesFile } from '../lib/automations/index.ts';
import { NotificationStore } from '../lib/automations/notification-store.ts';
import { automationSettings } from '../lib/automations/settings.ts';
import { createAutomationWorker } from '../lib/automations/worker.ts';
import { documentClient, sqsClient } from '../lib/aws/clients.ts';
import { bulkParts, bulkSettings } from '../lib/bulk/index.ts';
import { BulkService } from '../lib/bulk/service.ts';
import { appConfigSource } from '../lib/config/source.ts';
import { rateGovernor, rateSettings } from '../lib/governor/settings.ts';
import { refreshConfig } from '../lib/http/middleware/refresh-config.ts';
import { ownLogContext } from '../lib/observability/logger.ts';
import { logMetrics, metrics } from '../lib/observability/metrics.ts';
import { WorkQueue } from '../lib/queue/work-queue.ts';
import { ScrollLock } from '../lib/scroll/lock.ts';
import * as validators from '../lib/validation/generated/index.ts';
import { configuredWorkerClients } from '../lib/workspaces/worker-clients.ts';

const settings = automationSettings();
const config = await appConfigSource(process.env, { requireApiKeys: false });
const clientFor = configuredWorkerClients(config);
// Rules are validated here too: a bad file fails the cold start, loudly, not a notification.
const rules = loadRulesFile(settings.rulesFile);
const db = documentClient();
const rateConfig = rateSettings();
// For-each rules hand their matches to the bulk path: wired where the stack gives this worker the
// bulk table and queue (it does when the rules file has a for-each rule).
const bulk = process.env.BULK_JOBS_TABLE
  ? new BulkService({ ...bulkParts(bulkSettings(process.env, { needsQueue: true })), validators })
  : undefined;

// Each invocation logs in a context of its own; each item adds its ids to a context of its own.
export const handler = ownLogContext(
  middy<SQSEvent, SQSBatchResponse>()
    .use(logMetrics(metrics()))
    .use(refreshConfig(config))
    .handler(
      createAutomationWorker({
        rules: createRuleEngine(rules, {
          botAdminIds: settings.botAdminIds,
          // Event and scheduled rules without a workspace run in the default one.
          defaultWorkspace: () => config.value.defaultWorkspace,
        }),
        store: new NotificationStore(db, settings.table, settings.retentionDays),
        // The same governor as bulk jobs: automations and bulk share the workspace's budget.
        governor: rateGovernor(rateConfig),
        queue: new WorkQueue(sqsClient(), settings.queueUrl),
        validators,
        clientFor,
        maxReceiveCount: settings.maxReceiveCount,
        forEach: {
          store: new ForEachStore(db, settings.table, settings.retentionDays),
          jobs: bulk && { submit: (chunk) => bulk.submitForWorkspace(chunk) },
          lock: new ScrollLock(db, rateConfig.rateTable),
        },
      }),
    ),
);
