/**
 * The configuration a warm function runs with. Deployed, it comes from Secrets Manager and is re-read
 * at most every CONFIG_REFRESH_SECONDS (checked per invocation), so a revoked key, a rotated token or
 * a removed workspace reaches running containers, not only new ones. The first load happens at init
 * and fails the cold start; a later failed or invalid read keeps the last good configuration.
 */
import { logger } from '../observability/logger.ts';
import { type Env, type LoadOptions, loadApiKeysOnly, loadConfig, loadWebhookConfig } from './load.ts';
import { ConfigError } from './parse.ts';
import type { ApiKeyRecord, AppConfig, WebhookConfig } from './types.ts';

export const DEFAULT_REFRESH_SECONDS = 300;
/** After a failed refresh, the next try: soon, but not on every request. */
export const RETRY_AFTER_FAILURE_MS = 30_000;

export type Warn = (message: string, details: Record<string, unknown>) => void;

export interface SourceOptions {
  /** Re-read when the value is this old; undefined: never (configuration from the environment). */
  refreshMs?: number | undefined;
  now?: () => number;
  /** Where a failed refresh is reported; the process logger by default. */
  warn?: Warn;
}

/** Map-aware JSON: equal text means equal configuration, so an unchanged re-read keeps its object. */
function fingerprint(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (v instanceof Map ? [...v] : v));
}

export class ConfigSource<T> {
  readonly #load: () => Promise<T>;
  readonly #refreshMs: number | undefined;
  readonly #now: () => number;
  readonly #warn: Warn;
  #value: T;
  #fingerprint: string;
  #loadedAt: number;
  #nextAttemptAt: number;
  #inFlight: Promise<void> | undefined;

  private constructor(load: () => Promise<T>, value: T, options: SourceOptions) {
    this.#load = load;
    this.#refreshMs = options.refreshMs;
    this.#now = options.now ?? Date.now;
    this.#warn = options.warn ?? ((message, details) => logger().warn(message, details));
    this.#value = value;
    this.#fingerprint = fingerprint(value);
    this.#loadedAt = this.#now();
    this.#nextAttemptAt = this.#loadedAt + (this.#refreshMs ?? 0);
  }

  /** Loads once (a failure is the caller's: the cold start fails with it), then refreshes on demand. */
  static async start<T>(load: () => Promise<T>, options: SourceOptions = {}): Promise<ConfigSource<T>> {
    return new ConfigSource(load, await load(), options);
  }

  /** A value that never changes (tests, configuration from the environment). */
  static fixed<T>(value: T): ConfigSource<T> {
    return new ConfigSource(async () => value, value, {});
  }

  /** The last good value, as of the last `fresh()`. */
  get value(): T {
    return this.#value;
  }

  /** Whether the next `fresh()` re-reads: lets a caller skip awaiting it on every request. */
  isDue(): boolean {
    return this.#refreshMs !== undefined && this.#now() >= this.#nextAttemptAt;
  }

  /**
   * Once per invocation: re-reads when the value is older than the interval, then returns it.
   * Concurrent callers share one read; it never throws (a failed read keeps the last good value).
   */
  async fresh(): Promise<T> {
    if (this.isDue()) {
      this.#inFlight ??= this.#refresh().finally(() => {
        this.#inFlight = undefined;
      });
      await this.#inFlight;
    }
    return this.#value;
  }

  /**
   * What is built from the value (a key ring, clients, masked secrets): rebuilt once when the value
   * changes, not per request.
   */
  derive<D>(build: (value: T) => D): () => D {
    let last: { from: T; built: D } | undefined;
    return () => {
      if (last?.from !== this.#value) last = { from: this.#value, built: build(this.#value) };
      return last.built;
    };
  }

  async #refresh(): Promise<void> {
    const startedAt = this.#now();
    const refreshMs = this.#refreshMs ?? 0;
    try {
      const value = await this.#load();
      const print = fingerprint(value);
      if (print !== this.#fingerprint) {
        this.#value = value;
        this.#fingerprint = print;
      }
      this.#loadedAt = startedAt;
      this.#nextAttemptAt = startedAt + refreshMs;
    } catch (error) {
      const retryMs = Math.min(RETRY_AFTER_FAILURE_MS, refreshMs);
      this.#nextAttemptAt = startedAt + retryMs;
      // ConfigError messages name settings, never values; anything else is reduced to its kind.
      this.#warn('Configuration refresh failed; keeping the last good configuration', {
        reason: error instanceof ConfigError ? error.message : `${(error as Error)?.name ?? 'Error'}`,
        configAgeSeconds: Math.round((startedAt - this.#loadedAt) / 1000),
        retryInSeconds: Math.round(retryMs / 1000),
      });
    }
  }
}

/** CONFIG_REFRESH_SECONDS (default 300), in ms; undefined when nothing comes from Secrets Manager. */
export function refreshInterval(env: Env, secretArns: readonly (string | undefined)[]): number | undefined {
  if (!secretArns.some(Boolean)) return undefined;
  const raw = env.CONFIG_REFRESH_SECONDS;
  if (raw === undefined || raw === '') return DEFAULT_REFRESH_SECONDS * 1000;
  const seconds = Number(raw);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 86_400)
    throw new ConfigError(
      `CONFIG_REFRESH_SECONDS must be a whole number of seconds from 1 to 86400 (got "${raw}")`,
    );
  return seconds * 1000;
}

type SourceLoadOptions = LoadOptions & Omit<SourceOptions, 'refreshMs'>;

/** Workspaces and API keys, refreshed when either comes from a secret. */
export async function appConfigSource(
  env: Env = process.env,
  options: SourceLoadOptions = {},
): Promise<ConfigSource<AppConfig>> {
  const refreshMs = refreshInterval(env, [env.WORKSPACES_SECRET_ARN, env.API_KEYS_SECRET_ARN]);
  return ConfigSource.start(() => loadConfig(env, options), { ...options, refreshMs });
}

/** Only the API keys (functions that never call Intercom), refreshed when they come from a secret. */
export async function apiKeysSource(
  env: Env = process.env,
  options: Omit<SourceLoadOptions, 'requireApiKeys'> = {},
): Promise<ConfigSource<readonly ApiKeyRecord[]>> {
  const refreshMs = refreshInterval(env, [env.API_KEYS_SECRET_ARN]);
  return ConfigSource.start(() => loadApiKeysOnly(env, options), { ...options, refreshMs });
}

/** The webhook intake's routing and signing secrets (never the tokens), refreshed when they come from a secret. */
export async function webhookConfigSource(
  env: Env = process.env,
  options: Pick<SourceLoadOptions, 'readSecret' | 'now' | 'warn'> = {},
): Promise<ConfigSource<WebhookConfig>> {
  const refreshMs = refreshInterval(env, [env.WEBHOOK_SECRETS_SECRET_ARN, env.WORKSPACES_SECRET_ARN]);
  return ConfigSource.start(() => loadWebhookConfig(env, options), { ...options, refreshMs });
}

/** Handlers take either a fixed value (tests, local runs) or a source. */
export type Configured<T> = T | ConfigSource<T>;

export function sourceOf<T>(configured: Configured<T>): ConfigSource<T> {
  return configured instanceof ConfigSource ? configured : ConfigSource.fixed(configured);
}
