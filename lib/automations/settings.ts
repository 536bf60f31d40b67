/** Webhook and automation settings from the environment, read once per container. */
import { ConfigError } from '../config/parse.ts';

export interface AutomationSettings {
  /** De-duplication, claims, run log and loop-guard counters. */
  table: string;
  /** The FIFO queue between the webhook intake and the automation worker. */
  queueUrl: string;
  /** The rules file (JSON or YAML). */
  rulesFile: string;
  /** Admins whose own writes never trigger a rule (the bot the automations act as). */
  botAdminIds: string[];
  maxReceiveCount: number;
  retentionDays: number;
}

type Env = Readonly<Record<string, string | undefined>>;

export const DEFAULT_RULES_FILE = 'automations.yaml';

export function automationSettings(env: Env = process.env): AutomationSettings {
  const missing = ['AUTOMATIONS_TABLE', 'AUTOMATIONS_QUEUE_URL'].filter((name) => !env[name]);
  if (missing.length > 0) throw new ConfigError(`Webhook automations need ${missing.join(', ')}`);
  const receives = Number(env.AUTOMATIONS_MAX_RECEIVE_COUNT ?? 10);
  const retention = Number(env.AUTOMATIONS_RETENTION_DAYS ?? 30);
  if (!Number.isInteger(receives) || receives < 1)
    throw new ConfigError('AUTOMATIONS_MAX_RECEIVE_COUNT must be a positive integer');
  if (!Number.isInteger(retention) || retention < 1)
    throw new ConfigError('AUTOMATIONS_RETENTION_DAYS must be a positive integer');
  return {
    table: env.AUTOMATIONS_TABLE!,
    queueUrl: env.AUTOMATIONS_QUEUE_URL!,
    rulesFile: env.AUTOMATIONS_FILE || DEFAULT_RULES_FILE,
    botAdminIds: (env.AUTOMATIONS_BOT_ADMIN_IDS ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    maxReceiveCount: receives,
    retentionDays: retention,
  };
}
