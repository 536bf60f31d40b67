// EventBridge events (from the bus's rules) and Scheduler firings (from each schedule): queued for the automation worker.
import middy from '@middy/core';
import { loadRulesFile } from '../lib/automations/index.ts';
import { NotificationStore } from '../lib/automations/notification-store.ts';
import { automationSettings } from '../lib/automations/settings.ts';
import { triggerRouting } from '../lib/automations/triggers.ts';
import { documentClient, sqsClient } from '../lib/aws/clients.ts';
import { loadWebhookConfig } from '../lib/config/load.ts';
import { ownLogContext } from '../lib/observability/logger.ts';
import { logMetrics, metrics } from '../lib/observability/metrics.ts';
import { WorkQueue } from '../lib/queue/work-queue.ts';
import { receiveTrigger, type TriggerOutcome } from '../lib/triggers/intake.ts';

const settings = automationSettings();
const rules = loadRulesFile(settings.rulesFile);
// Deployed, DEFAULT_WORKSPACE names it: this function reads no secret at all.
const defaultWorkspace =
  process.env.DEFAULT_WORKSPACE || (await loadWebhookConfig(process.env)).defaultWorkspace || 'default';

const deps = {
  store: new NotificationStore(documentClient(), settings.table, settings.retentionDays),
  queue: new WorkQueue(sqsClient(), settings.queueUrl),
  routing: triggerRouting(rules, () => defaultWorkspace),
};

export const handler = ownLogContext(
  middy<unknown, TriggerOutcome>()
    .use(logMetrics(metrics()))
    .handler((payload) => receiveTrigger(deps, payload)),
);
