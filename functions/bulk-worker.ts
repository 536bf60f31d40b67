// The SQS-fed bulk worker: each queued item through the shared client, within the workspace's rate budget.
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { bulkParts, bulkSettings } from '../lib/bulk/index.ts';
import { createBulkWorker } from '../lib/bulk/worker.ts';
import { appConfigSource } from '../lib/config/source.ts';
import { refreshConfig } from '../lib/http/middleware/refresh-config.ts';
import { ownLogContext } from '../lib/observability/logger.ts';
import { logMetrics, metrics } from '../lib/observability/metrics.ts';
import { configuredWorkerClients } from '../lib/workspaces/worker-clients.ts';

const settings = bulkSettings(process.env, { needsQueue: true });
const config = await appConfigSource(process.env, { requireApiKeys: false });
const clientFor = configuredWorkerClients(config);

// Each invocation logs in a context of its own; each item adds its ids to a context of its own.
export const handler = ownLogContext(
  middy<SQSEvent, SQSBatchResponse>()
    .use(logMetrics(metrics()))
    .use(refreshConfig(config))
    .handler(
      createBulkWorker({
        ...bulkParts(settings),
        clientFor,
        maxAttempts: settings.maxAttempts,
        maxReceiveCount: settings.maxReceiveCount,
        verifyDelayMs: settings.verifyDelaySeconds * 1000,
      }),
    ),
);
