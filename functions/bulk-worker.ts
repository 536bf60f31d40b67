// The SQS-fed bulk worker: each queued item through the shared client, within the workspace's rate budget.
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { workspaceClients } from '../lib/actions/clients.ts';
import { workerClientFactory } from '../lib/bulk/clients.ts';
import { bulkParts, bulkSettings } from '../lib/bulk/index.ts';
import { createBulkWorker } from '../lib/bulk/worker.ts';
import { loadConfig } from '../lib/config/index.ts';
import { protectConfigSecrets } from '../lib/config/secrets.ts';
import { metrics } from '../lib/observability/metrics.ts';

const settings = bulkSettings(process.env, { needsQueue: true });
const config = await loadConfig(process.env, { requireApiKeys: false });
protectConfigSecrets(config);

export const handler = middy<SQSEvent, SQSBatchResponse>()
  .use(logMetrics(metrics()))
  .handler(
    createBulkWorker({
      ...bulkParts(settings),
      clientFor: workspaceClients(config, workerClientFactory),
      maxAttempts: settings.maxAttempts,
      maxReceiveCount: settings.maxReceiveCount,
      verifyDelayMs: settings.verifyDelaySeconds * 1000,
    }),
  );
