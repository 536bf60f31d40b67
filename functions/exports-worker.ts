// The SQS-fed export worker: carries each export forward one invocation at a time.
import middy from '@middy/core';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { appConfigSource } from '../lib/config/source.ts';
import { exportParts, exportSettings } from '../lib/exports/index.ts';
import { createExportWorker } from '../lib/exports/worker.ts';
import { refreshConfig } from '../lib/http/middleware/refresh-config.ts';
import { ownLogContext } from '../lib/observability/logger.ts';
import { logMetrics, metrics } from '../lib/observability/metrics.ts';
import { configuredWorkerClients } from '../lib/workspaces/worker-clients.ts';

const settings = exportSettings(process.env);
const config = await appConfigSource(process.env, { requireApiKeys: false });
const clientFor = configuredWorkerClients(config);

export const handler = ownLogContext(
  middy<SQSEvent, SQSBatchResponse>()
    .use(logMetrics(metrics()))
    .use(refreshConfig(config))
    .handler(
      createExportWorker({
        ...exportParts(settings),
        clientFor,
        partBytes: settings.partBytes,
        invocationMs: settings.invocationMs,
        scrollWaitSeconds: settings.scrollWaitSeconds,
        maxRestarts: settings.maxRestarts,
      }),
    ),
);
