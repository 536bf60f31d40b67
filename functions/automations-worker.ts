// The FIFO-fed automation worker: runs the rules matching each Intercom notification, in order per object.
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { createRuleEngine, loadRulesFile } from '../lib/automations/index.ts';
import { NotificationStore } from '../lib/automations/notification-store.ts';
import { automationSettings } from '../lib/automations/settings.ts';
import { createAutomationWorker } from '../lib/automations/worker.ts';
import { documentClient, sqsClient } from '../lib/aws/clients.ts';
import { appConfigSource } from '../lib/config/source.ts';
import { rateGovernor, rateSettings } from '../lib/governor/settings.ts';
import { refreshConfig } from '../lib/http/middleware/refresh-config.ts';
import { ownLogContext } from '../lib/observability/logger.ts';
import { metrics } from '../lib/observability/metrics.ts';
import { WorkQueue } from '../lib/queue/work-queue.ts';
import * as validators from '../lib/validation/generated/index.ts';
import { configuredWorkerClients } from '../lib/workspaces/worker-clients.ts';

const settings = automationSettings();
const config = await appConfigSource(process.env, { requireApiKeys: false });
const clientFor = configuredWorkerClients(config);
// Rules are validated here too: a bad file fails the cold start, loudly, not a notification.
const rules = loadRulesFile(settings.rulesFile);
const db = documentClient();

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
        governor: rateGovernor(rateSettings()),
        queue: new WorkQueue(sqsClient(), settings.queueUrl),
        validators,
        clientFor,
        maxReceiveCount: settings.maxReceiveCount,
      }),
    ),
);
