/** Bulk settings from the environment, read once per container; defaults documented in docs/configuration.md. */
import { ConfigError, type Env, numberSetting as number } from '../config/parse.ts';
import { type RateSettings, rateSettings } from '../governor/settings.ts';

export type { RateSettings } from '../governor/settings.ts';

export interface BulkSettings extends RateSettings {
  /** Jobs, chunks and item outcomes. */
  jobsTable: string;
  /** The work queue (absent in the worker, which only reads it through its event source). */
  queueUrl: string | undefined;
  /** Items per `POST /bulk/{operation}` request. */
  maxItemsPerRequest: number;
  /** Intercom calls per item before it is recorded as failed. */
  maxAttempts: number;
  /** The queue's `maxReceiveCount`: on the last receive an item is recorded before SQS dead-letters it. */
  maxReceiveCount: number;
  /** How long job and item records are kept (DynamoDB TTL). */
  retentionDays: number;
  /** How long after a call whose answer was lost the worker waits before looking it up. */
  verifyDelaySeconds: number;
}

export function bulkSettings(
  env: Env = process.env,
  options: { needsQueue: boolean } = { needsQueue: true },
): BulkSettings {
  const jobsTable = env.BULK_JOBS_TABLE;
  const rateTable = env.RATE_TABLE;
  const queueUrl = env.BULK_QUEUE_URL || undefined;
  const missing = [
    !jobsTable && 'BULK_JOBS_TABLE',
    !rateTable && 'RATE_TABLE',
    options.needsQueue && !queueUrl && 'BULK_QUEUE_URL',
  ].filter(Boolean);
  if (missing.length > 0) throw new ConfigError(`Bulk operations need ${missing.join(', ')}`);
  return {
    ...rateSettings(env),
    jobsTable: jobsTable!,
    queueUrl,
    maxItemsPerRequest: number(env, 'BULK_MAX_ITEMS', 1000, 1, 10_000),
    maxAttempts: number(env, 'BULK_MAX_ATTEMPTS', 5, 1, 50),
    maxReceiveCount: number(env, 'BULK_MAX_RECEIVE_COUNT', 20, 1, 1000),
    retentionDays: number(env, 'BULK_RETENTION_DAYS', 14, 1, 365),
    verifyDelaySeconds: number(env, 'BULK_VERIFY_DELAY_SECONDS', 60, 0, 3600),
  };
}
