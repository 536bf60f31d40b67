/** Export settings from the environment, read once per container; defaults documented in docs/exports.md. */
import { ConfigError, type Env, numberSetting as number } from '../config/parse.ts';
import { type RateSettings, rateSettings } from '../governor/settings.ts';

/** The export worker's Lambda timeout: deployed (infra) and local (npm start) alike. */
export const EXPORT_WORKER_TIMEOUT_SECONDS = 300;

/**
 * V8 limits for the export worker's heap (its NODE_OPTIONS when deployed). Without them V8 sizes the
 * heap from the machine's memory and lets ~100 MB of garbage build up between full collections
 * (measured: RSS +205 MB over a 100,000-user export, though each full GC returns to 36-44 MB live);
 * with them the growth was 32 MB at the same speed (docs/benchmarks.md). Parts, id lists and the
 * packed seen-id set live in buffers outside this heap.
 */
export const EXPORT_WORKER_V8_OPTIONS = '--max-semi-space-size=4 --max-old-space-size=128';

export interface ExportSettings extends RateSettings {
  /** Export records live in the jobs table, beside bulk jobs. */
  jobsTable: string;
  bucket: string;
  queueUrl: string;
  /** Bytes gathered before a part is uploaded (S3: at least 5 MiB for every part but the last). */
  partBytes: number;
  /** Most time one invocation runs before it continues through the queue (0: until the Lambda's end nears). */
  invocationMs: number;
  /** How long an export waits for another open scroll before it fails with `scroll_busy`. */
  scrollWaitSeconds: number;
  /** Scroll restarts (500s, expiries, deaths) before the export fails. */
  maxRestarts: number;
  /** How long a download URL works. */
  urlSeconds: number;
  /** How long export records are kept (the bucket's lifecycle expires the files). */
  retentionDays: number;
}

export function exportSettings(env: Env = process.env): ExportSettings {
  const missing = ['BULK_JOBS_TABLE', 'RATE_TABLE', 'EXPORTS_BUCKET', 'EXPORTS_QUEUE_URL'].filter(
    (k) => !env[k],
  );
  if (missing.length > 0) throw new ConfigError(`Exports need ${missing.join(', ')}`);
  return {
    ...rateSettings(env),
    jobsTable: env.BULK_JOBS_TABLE!,
    bucket: env.EXPORTS_BUCKET!,
    queueUrl: env.EXPORTS_QUEUE_URL!,
    partBytes: number(env, 'EXPORT_PART_BYTES', 8 * 1024 * 1024, 1024, 5 * 1024 * 1024 * 1024),
    invocationMs: number(env, 'EXPORT_INVOCATION_MS', 0, 0, 900_000),
    scrollWaitSeconds: number(env, 'EXPORT_SCROLL_WAIT_SECONDS', 300, 0, 86_400),
    maxRestarts: number(env, 'EXPORT_MAX_RESTARTS', 50, 0, 10_000),
    urlSeconds: number(env, 'EXPORT_URL_SECONDS', 3600, 60, 604_800),
    retentionDays: number(env, 'EXPORT_RETENTION_DAYS', 7, 1, 365),
  };
}
