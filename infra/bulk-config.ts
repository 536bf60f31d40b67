/** Bulk job settings from CDK context; the functions get them as environment (lib/bulk/settings.ts). */
import type { Node } from 'constructs';
import {
  INTERCOM_DEFAULT_LATENCY_MS,
  INTERCOM_DEFAULT_RATE_PER_MINUTE,
  MAX_CONCURRENCY_BOUNDS,
  WORKER_BATCH_SIZE,
  workerConcurrency,
} from '../lib/bulk/capacity.ts';
import { numberFrom } from './context.ts';

// The formula lives with the bulk machinery: the local stack sizes its event source with it too.
export * from '../lib/bulk/capacity.ts';

export interface BulkDeploymentSettings {
  /**
   * The work queue's redrive `maxReceiveCount`, and the worker's `BULK_MAX_RECEIVE_COUNT`: on the last
   * receive the worker records the item as failed before SQS dead-letters it, so the two must agree.
   * Governor delays are receives too, hence 20 rather than AWS's minimum advice of 5.
   */
  maxReceiveCount: number;
  /**
   * The event source mapping's `maxConcurrency` (AWS: 2-1000): concurrent worker batches, sized to
   * the rate budget, not to the backlog (`workerConcurrency`: 7 for Intercom's default 10,000/min
   * and 200 ms answers). Context `bulkMaxConcurrency` sets it outright.
   */
  maxConcurrency: number;
  /** What `maxConcurrency` was derived from (context `intercomRatePerMinute`, `intercomLatencyMs`). */
  intercom: { ratePerMinute: number; latencyMs: number };
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
  const intercom = {
    ratePerMinute: numberFrom(node, 'intercomRatePerMinute', INTERCOM_DEFAULT_RATE_PER_MINUTE, 1, 1_000_000),
    latencyMs: numberFrom(node, 'intercomLatencyMs', INTERCOM_DEFAULT_LATENCY_MS, 1, 30_000),
  };
  const windowSeconds = numberFrom(node, 'rateLimitWindowSeconds', 10, 1, 3600);
  const reserve = numberFrom(node, 'rateLimitReserve', 0.1, 0, 0.9, false);
  const derived = workerConcurrency({
    ratePerMinute: intercom.ratePerMinute,
    reserve,
    intercomLatencyMs: intercom.latencyMs,
    batchSize: WORKER_BATCH_SIZE,
  });
  const settings: BulkDeploymentSettings = {
    maxReceiveCount: numberFrom(node, 'bulkMaxReceiveCount', 20, 5, 1000),
    maxConcurrency: numberFrom(
      node,
      'bulkMaxConcurrency',
      derived.concurrency,
      MAX_CONCURRENCY_BOUNDS.min,
      MAX_CONCURRENCY_BOUNDS.max,
    ),
    intercom,
    maxAttempts: numberFrom(node, 'bulkMaxAttempts', 5, 1, 50),
    maxItemsPerRequest: numberFrom(node, 'bulkMaxItems', 1000, 1, 10_000),
    retentionDays: numberFrom(node, 'bulkRetentionDays', 14, 1, 365),
    queueAgeAlarmMinutes: numberFrom(node, 'bulkQueueAgeAlarmMinutes', 15, 1, 24 * 60),
    rateLimit: {
      // Intercom's limit per window, until its X-RateLimit-Limit is seen: 10,000/min = 1,666 per 10 s.
      perWindow: numberFrom(
        node,
        'rateLimitPerWindow',
        Math.max(1, Math.floor((intercom.ratePerMinute * windowSeconds) / 60)),
        1,
        100_000,
      ),
      windowSeconds,
      reserve,
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
