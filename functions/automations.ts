// The automation run log (GET /automations/runs, /automations/runs/{notificationId}) and firing a scheduled rule now
// (POST /automations/rules/{name}/fire). Never calls Intercom.

import { loadRulesFile } from '../lib/automations/index.ts';
import { NotificationStore } from '../lib/automations/notification-store.ts';
import { triggerRouting } from '../lib/automations/triggers.ts';
import { documentClient, sqsClient } from '../lib/aws/clients.ts';
import { ConfigError } from '../lib/config/index.ts';
import { loadWebhookConfig } from '../lib/config/load.ts';
import { apiKeysSource } from '../lib/config/source.ts';
import { createAutomationsHandler, type FireDeps } from '../lib/http/automations-handler.ts';
import { WorkQueue } from '../lib/queue/work-queue.ts';

const table = process.env.AUTOMATIONS_TABLE;
if (!table) throw new ConfigError('AUTOMATIONS_TABLE is not set');
const store = new NotificationStore(
  documentClient(),
  table,
  Number(process.env.AUTOMATIONS_RETENTION_DAYS) || 30,
);
const apiKeys = await apiKeysSource();

/** Firing needs the rules and the queue; without them (a stack without rules) the run log still serves. */
async function fireDeps(): Promise<FireDeps | undefined> {
  const { AUTOMATIONS_FILE: rulesFile, AUTOMATIONS_QUEUE_URL: queueUrl } = process.env;
  if (!rulesFile || !queueUrl) return undefined;
  // Deployed, DEFAULT_WORKSPACE names it (this function reads no workspace secret); locally, the environment's.
  const defaultWorkspace =
    process.env.DEFAULT_WORKSPACE || (await loadWebhookConfig(process.env)).defaultWorkspace || 'default';
  const rules = loadRulesFile(rulesFile);
  return {
    rules,
    defaultWorkspace,
    trigger: {
      store,
      queue: new WorkQueue(sqsClient(), queueUrl),
      routing: triggerRouting(rules, () => defaultWorkspace),
    },
  };
}

export const handler = createAutomationsHandler(apiKeys, store, Date.now, await fireDeps());
