// GET /automations/runs and /automations/runs/{notificationId}: the automation run log. Never calls Intercom.

import { NotificationStore } from '../lib/automations/notification-store.ts';
import { documentClient } from '../lib/aws/clients.ts';
import { ConfigError } from '../lib/config/index.ts';
import { apiKeysSource } from '../lib/config/source.ts';
import { createAutomationsHandler } from '../lib/http/automations-handler.ts';

const table = process.env.AUTOMATIONS_TABLE;
if (!table) throw new ConfigError('AUTOMATIONS_TABLE is not set');

export const handler = createAutomationsHandler(
  await apiKeysSource(),
  new NotificationStore(documentClient(), table, Number(process.env.AUTOMATIONS_RETENTION_DAYS) || 30),
);
