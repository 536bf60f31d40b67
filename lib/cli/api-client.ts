/**
 * A small client for the deployed (or local) HTTP API's bulk endpoints. Calls that are safe to repeat
 * are retried on network errors, 429 and 5xx with jittered, capped backoff; other errors surface as the
 * API's error JSON.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  BulkJob,
  DryRunResponse,
  FailuresPage,
  RetryFailedResponse,
  SubmitResponse,
} from './bulk/types.ts';

export const DEFAULT_API_URL = 'http://127.0.0.1:3000';

export interface ApiErrorBody {
  error: {
    /** Absent when no HTTP answer came back (connection refused, timeout). */
    status?: number;
    code: string;
    message: string;
    details?: unknown;
    requestId?: string;
    [field: string]: unknown;
  };
}

export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number | undefined;
  readonly body: ApiErrorBody;

  constructor(body: ApiErrorBody, options?: ErrorOptions) {
    super(body.error.message, options);
    this.status = body.error.status;
    this.body = body;
  }
}

export interface RetryPolicy {
  /** Tries per call, the first included. */
  attempts: number;
  baseMs: number;
  capMs: number;
  /** Per try; a try that times out counts as a network error. */
  timeoutMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  attempts: 6,
  baseMs: 500,
  capMs: 30_000,
  timeoutMs: 60_000,
};

export interface ApiTarget {
  url: string;
  key: string | undefined;
}

type Env = Readonly<Record<string, string | undefined>>;

export function apiTarget(
  flags: { url?: string | undefined; key?: string | undefined },
  env: Env,
): ApiTarget {
  return {
    url: flags.url || env.INTERCOM_ACTIONS_URL || DEFAULT_API_URL,
    key: flags.key || env.INTERCOM_ACTIONS_KEY || env.API_KEY || undefined,
  };
}

/**
 * `transient`: the call may be repeated after any transient failure. `unprocessed`: only when the
 * server certainly did not act on it (429, connection refused).
 */
type RetryMode = 'transient' | 'unprocessed';

interface CallOptions {
  body?: unknown;
  headers?: Record<string, string>;
  retry: RetryMode;
  signal?: AbortSignal | undefined;
}

export interface SubmitRequest {
  /** `null` holds the place of a line that is not an item (the server rejects it). */
  items: (Record<string, unknown> | null)[];
  dryRun?: true;
  jobId?: string;
  offset?: number;
  final?: boolean;
}

function backoffMs(policy: RetryPolicy, attempt: number): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** (attempt - 1));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/** Retry-After in milliseconds (delta-seconds or an HTTP date), capped; undefined when absent. */
function retryAfterMs(header: string | null, capMs: number): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
  if (!Number.isFinite(ms)) return undefined;
  const wait = Math.min(Math.max(0, ms), capMs);
  return wait + Math.random() * Math.min(1000, wait * 0.1);
}

function errorBodyOf(status: number, text: string): ApiErrorBody {
  try {
    const parsed = JSON.parse(text) as Partial<ApiErrorBody>;
    if (parsed?.error && typeof parsed.error.code === 'string') return parsed as ApiErrorBody;
  } catch {
    // Not the API's JSON (a proxy or load balancer answered): keep what it said.
  }
  return { error: { status, code: 'http_error', message: `HTTP ${status}: ${text.slice(0, 500)}` } };
}

function connectionRefused(error: unknown): boolean {
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  return cause?.code === 'ECONNREFUSED';
}

function describeNetworkError(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | undefined)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return (error as Error).message;
}

export class BulkApiClient {
  readonly baseUrl: string;
  readonly #key: string | undefined;
  readonly #policy: RetryPolicy;

  constructor(target: ApiTarget, policy: Partial<RetryPolicy> = {}) {
    this.baseUrl = target.url.endsWith('/') ? target.url : `${target.url}/`;
    this.#key = target.key;
    this.#policy = { ...DEFAULT_RETRY_POLICY, ...policy };
  }

  /** Creating a job, appending a chunk and dry runs are all safe to repeat (Idempotency-Key, jobId+offset). */
  submit(
    operation: string,
    request: SubmitRequest,
    options: { idempotencyKey?: string | undefined; signal?: AbortSignal } = {},
  ): Promise<SubmitResponse | DryRunResponse> {
    return this.#call('POST', `bulk/${encodeURIComponent(operation)}`, {
      body: request,
      headers: options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : {},
      retry: 'transient',
      signal: options.signal,
    });
  }

  job(jobId: string, signal?: AbortSignal): Promise<BulkJob> {
    return this.#call('GET', `bulk/jobs/${encodeURIComponent(jobId)}`, { retry: 'transient', signal });
  }

  failures(jobId: string, next: string | null, signal?: AbortSignal): Promise<FailuresPage> {
    const query = new URLSearchParams({ limit: '100' });
    if (next) query.set('next', next);
    return this.#call('GET', `bulk/jobs/${encodeURIComponent(jobId)}/failures?${query}`, {
      retry: 'transient',
      signal,
    });
  }

  /** Requeues the failed items; repeated after an unknown outcome it could start yet another attempt. */
  retryFailed(jobId: string, signal?: AbortSignal): Promise<RetryFailedResponse> {
    return this.#call('POST', `bulk/jobs/${encodeURIComponent(jobId)}/retry-failed`, {
      body: {},
      retry: 'unprocessed',
      signal,
    });
  }

  /** Queues the job's pending items again (safe to repeat: each item runs once per attempt). */
  recover(jobId: string, signal?: AbortSignal): Promise<RetryFailedResponse> {
    return this.#call('POST', `bulk/jobs/${encodeURIComponent(jobId)}/recover`, {
      body: {},
      retry: 'transient',
      signal,
    });
  }

  /** A POST that is not safe to repeat once it reached the API: retried only when it was never processed. */
  async postJson<T>(path: string, body: unknown): Promise<T> {
    return this.#call('POST', path, { body, retry: 'unprocessed' });
  }

  /** Any read-only endpoint (a path relative to the base URL), retried like the job reads. */
  async getJson<T>(path: string): Promise<T> {
    return this.#call('GET', path, { retry: 'transient' });
  }

  async #call<T>(method: string, path: string, options: CallOptions): Promise<T> {
    const url = new URL(path, this.baseUrl);
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': 'intercom-actions-cli',
      ...options.headers,
    };
    if (this.#key) headers.authorization = `Bearer ${this.#key}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const policy = this.#policy;
    for (let attempt = 1; ; attempt++) {
      const last = attempt >= policy.attempts;
      const timeout = AbortSignal.timeout(policy.timeoutMs);
      const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
      let status: number;
      let text: string;
      let retryAfter: string | null;
      try {
        const response = await fetch(url, { method, headers, body, signal });
        status = response.status;
        retryAfter = response.headers.get('retry-after');
        text = await response.text();
      } catch (error) {
        if (options.signal?.aborted) throw error;
        const retryable = options.retry === 'transient' || connectionRefused(error);
        if (retryable && !last) {
          await sleep(backoffMs(policy, attempt), undefined, { signal: options.signal });
          continue;
        }
        throw new ApiError(
          {
            error: {
              code: 'connection_failed',
              message: `Could not reach ${url.origin} (${describeNetworkError(error)}) after ${attempt} attempt(s)`,
            },
          },
          { cause: error },
        );
      }
      if (status >= 200 && status < 300) {
        try {
          return JSON.parse(text) as T;
        } catch {
          throw new ApiError(errorBodyOf(status, text));
        }
      }
      const retryable = status === 429 || (options.retry === 'transient' && status >= 500 && status !== 501);
      if (retryable && !last) {
        const wait = retryAfterMs(retryAfter, policy.capMs * 10) ?? backoffMs(policy, attempt);
        await sleep(wait, undefined, { signal: options.signal });
        continue;
      }
      throw new ApiError(errorBodyOf(status, text));
    }
  }
}
