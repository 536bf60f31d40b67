// POST /webhooks/intercom: public, signature-verified; queues each notification for the automation worker.

import { NotificationStore } from '../lib/automations/notification-store.ts';
import { automationSettings } from '../lib/automations/settings.ts';
import { documentClient, sqsClient } from '../lib/aws/clients.ts';
import { webhookConfigSource } from '../lib/config/source.ts';
import { createWebhookHandler, DEFAULT_WEBHOOK_BODY_BYTES } from '../lib/http/webhook-handler.ts';
import { WorkQueue } from '../lib/queue/work-queue.ts';

const settings = automationSettings();
// Deployed, the webhook secrets secret only: this public function never holds an Intercom token.
const config = await webhookConfigSource(process.env);

export const handler = createWebhookHandler(
  {
    config,
    store: new NotificationStore(documentClient(), settings.table, settings.retentionDays),
    queue: new WorkQueue(sqsClient(), settings.queueUrl),
  },
  Number(process.env.WEBHOOK_MAX_BODY_BYTES) || DEFAULT_WEBHOOK_BODY_BYTES,
);
