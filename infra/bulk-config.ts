/** Bulk job settings from CDK context; the functions get them as environment (lib/bulk/settings.ts). */
import type { Node } from 'constructs';
import { numberFrom } from './context.ts';

export interface BulkDeploymentSettings {
  /**
   * The work queue's redrive `maxReceiveCount`, and the worker's `BULK_MAX_RECEIVE_COUNT`: on the last
   * receive the worker records the item as failed before SQS dead-letters it, so the two must agree.
   * Governor delays are receives too, hence 20 rather than AWS's minimum advice of 5.
   */
  maxReceiveCount: number;
  /**
   * The event source mapping's `maxConcurrency` (AWS: 2-1000): concurrent worker batches. Size it to
   * the rate budget, not to the backlog: at ~0.2 s per Intercom call and a batch's 10 items in
   * parallel, one batch carries ~50 req/s, so the default 167 req/10 s (1,000/min) needs 2; more only
   * makes batches wait on the governor. The default 5 leaves room for a 10,000/min app (~167 req/s).
   */
  maxConcurrency: number;
  /** Intercom calls per item before it is recorded as failed; each call takes at least one receive. */
  maxAttempts: number;
  maxItemsPerRequest: number;
  /** Days job and item records are kept (DynamoDB TTL). */
  retentionDays: number;
  /** Alarm when the oldest queued message is older than this. */
  queueAgeAlarmMinutes: number;
  /** The governor's budget until Intercom's `X-RateLimit-Limit` is seen, and the share kept for `/actions`. */
  rateLimit: { perWindow: number; windowSeconds: number; reserve: number };
}

export function bulkDeploymentSettings(node: Node): BulkDeploymentSettings {
  const settings: BulkDeploymentSettings = {
    maxReceiveCount: numberFrom(node, 'bulkMaxReceiveCount', 20, 5, 1000),
    maxConcurrency: numberFrom(node, 'bulkMaxConcurrency', 5, 2, 1000),
    maxAttempts: numberFrom(node, 'bulkMaxAttempts', 5, 1, 50),
    maxItemsPerRequest: numberFrom(node, 'bulkMaxItems', 1000, 1, 10_000),
    retentionDays: numberFrom(node, 'bulkRetentionDays', 14, 1, 365),
    queueAgeAlarmMinutes: numberFrom(node, 'bulkQueueAgeAlarmMinutes', 15, 1, 24 * 60),
    rateLimit: {
      perWindow: numberFrom(node, 'rateLimitPerWindow', 166, 1, 100_000),
      windowSeconds: numberFrom(node, 'rateLimitWindowSeconds', 10, 1, 3600),
      reserve: numberFrom(node, 'rateLimitReserve', 0.1, 0, 0.9, false),
    },
  };
  if (settings.maxAttempts > settings.maxReceiveCount)
    throw new Error(
      'context "bulkMaxAttempts" cannot exceed "bulkMaxReceiveCount": each attempt is a receive',
    );
  return settings;
}

/** The bulk settings both bulk functions read, so the HTTP function and the worker never disagree. */
export function bulkEnvironment(settings: BulkDeploymentSettings): Record<string, string> {
  return {
    BULK_MAX_ITEMS: String(settings.maxItemsPerRequest),
    BULK_MAX_ATTEMPTS: String(settings.maxAttempts),
    BULK_MAX_RECEIVE_COUNT: String(settings.maxReceiveCount),
    BULK_RETENTION_DAYS: String(settings.retentionDays),
    ...rateLimitEnvironment(settings.rateLimit),
  };
}

/** The rate governor's budget: bulk jobs and automations spend one budget, so they read the same values. */
export function rateLimitEnvironment(rateLimit: BulkDeploymentSettings['rateLimit']): Record<string, string> {
  return {
    RATE_LIMIT_DEFAULT_PER_WINDOW: String(rateLimit.perWindow),
    RATE_LIMIT_WINDOW_SECONDS: String(rateLimit.windowSeconds),
    RATE_LIMIT_RESERVE: String(rateLimit.reserve),
  };
}
