/**
 * The one Intercom 1.x client every entry point uses: catalog operations in, typed results or typed
 * errors out. The undici dispatcher is injected (tests pass a MockAgent; production a keep-alive Agent).
 */
import { setTimeout as sleepTimer } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import {
  API_VERSIONS,
  type ApiVersion,
  getOperation,
  type Operation,
  type OperationInput,
  type WireRequest,
} from '../catalog/index.ts';
import { buildRequest, queryString } from '../catalog/request.ts';
import {
  DEFAULT_RETRY,
  DEFAULT_TIMEOUTS,
  DEFAULT_VERSION,
  type Region,
  type RetryPolicy,
  resolveBaseUrl,
  type Timeouts,
} from './config.ts';
import { defaultDispatcher } from './dispatcher.ts';
import {
  IntercomConnectionError,
  IntercomError,
  IntercomHttpError,
  IntercomLookupError,
  IntercomRateLimitError,
  IntercomTimeoutError,
} from './errors.ts';
import { type RateLimitState, readRateLimit } from './rate-limit.ts';
import { type Exchange, type ExchangeResult, exchange, mapTransportError } from './transport.ts';

export interface IntercomClientOptions {
  /** Intercom access token; sent as `Authorization: Bearer`. Never logged. */
  token: string;
  region?: Region;
  /** Overrides `region` (a proxy, the sandbox). */
  baseUrl?: string;
  version?: ApiVersion;
  dispatcher?: Dispatcher;
  timeouts?: Partial<Timeouts>;
  retry?: Partial<RetryPolicy>;
  userAgent?: string;
  /** Called after every attempt (metrics, logs). Must not throw. */
  onAttempt?: (attempt: AttemptInfo) => void;
  /** Injectable for tests. */
  now?: () => number;
  random?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export interface AttemptInfo {
  /** The catalog operation the request belongs to (its lookup and pages included), when known. */
  operation?: string;
  method: string;
  /** The client's base URL (origin and base path) the path is under, e.g. `https://api.intercom.io`. */
  baseUrl: string;
  /** Path without the query string (ids may be personal data; queries often are). */
  path: string;
  attempt: number;
  status?: number;
  durationMs: number;
  error?: IntercomError;
  rateLimit?: RateLimitState;
}

export interface CallOptions {
  /** Overall budget of this call in ms (default `timeouts.deadlineMs`). */
  timeoutMs?: number;
  /** Aborts the call (e.g. Lambda's remaining time). */
  signal?: AbortSignal;
  /** Sent as `X-Request-Id` so Intercom-side logs can be correlated. */
  requestId?: string;
  /** The catalog operation a `send` belongs to, for `onAttempt` (metrics, traces); `call` sets it. */
  operation?: string;
}

export interface SendOptions extends CallOptions {
  /** Whether the request may be repeated after an unknown outcome (the catalog's `retrySafe`). */
  retrySafe: boolean;
  /** Per-call override, e.g. scroll continuations that must not be repeated. */
  maxRetries?: number;
}

export interface IntercomResult<T = unknown> {
  status: number;
  data: T;
  /** Attempts made (1 = no retry). */
  attempts: number;
  rateLimit: RateLimitState | undefined;
  /** Intercom's `X-Request-Id` of the answer, when it sent one. */
  requestId?: string;
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return sleepTimer(ms, undefined, signal ? { signal } : {});
}

export class IntercomClient {
  readonly baseUrl: string;
  readonly version: ApiVersion;
  readonly #origin: string;
  readonly #basePath: string;
  readonly #dispatcher: Dispatcher;
  readonly #timeouts: Timeouts;
  readonly #retry: RetryPolicy;
  readonly #headers: Record<string, string>;
  readonly #onAttempt: IntercomClientOptions['onAttempt'];
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  #rateLimit: RateLimitState | undefined;

  constructor(options: IntercomClientOptions) {
    if (!options.token) throw new TypeError('An Intercom access token is required');
    const version = options.version ?? DEFAULT_VERSION;
    if (!API_VERSIONS.includes(version)) {
      throw new TypeError(`Unsupported Intercom-Version "${version}" (${API_VERSIONS.join(', ')})`);
    }
    this.version = version;
    this.baseUrl = resolveBaseUrl(options);
    const url = new URL(this.baseUrl);
    this.#origin = url.origin;
    this.#basePath = url.pathname === '/' ? '' : url.pathname;
    this.#timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.#retry = { ...DEFAULT_RETRY, ...options.retry };
    this.#dispatcher = options.dispatcher ?? defaultDispatcher(this.#timeouts.connectMs);
    this.#headers = {
      authorization: `Bearer ${options.token}`,
      accept: 'application/json',
      'intercom-version': version,
      'user-agent': options.userAgent ?? 'intercom-actions/0.1',
    };
    this.#onAttempt = options.onAttempt;
    this.#now = options.now ?? Date.now;
    this.#random = options.random ?? Math.random;
    this.#sleep = options.sleep ?? defaultSleep;
  }

  /** The latest `X-RateLimit-*` values Intercom sent, or undefined before the first response. */
  get rateLimit(): RateLimitState | undefined {
    return this.#rateLimit;
  }

  /** The origin and base path requests go to; pagination links must stay on it. */
  get origin(): string {
    return this.#origin;
  }

  get basePath(): string {
    return this.#basePath;
  }

  /** Runs one catalog operation with already-validated input. */
  async call(
    operation: string | Operation,
    input: OperationInput = {},
    options: CallOptions = {},
  ): Promise<IntercomResult> {
    const op = typeof operation === 'string' ? getOperation(operation) : operation;
    const deadline = this.#deadline(options);
    const timed = { ...options, timeoutMs: deadline - this.#now(), operation: op.name };
    let resolved = input;
    if (op.lookup) resolved = { ...input, [op.lookup.into]: await this.#lookupId(op, input, timed) };
    return this.send(buildRequest(op, resolved, this.version), { ...timed, retrySafe: op.retrySafe });
  }

  /**
   * Sends one wire request with retries: a 429 waits for the window reset when that fits the deadline
   * (a 429'd request had no effect, so any call may repeat); 5xx, timeouts and dropped connections
   * repeat only when `retrySafe`, or when the request never left this machine.
   */
  async send(request: WireRequest, options: SendOptions): Promise<IntercomResult> {
    const deadline = this.#deadline(options);
    const deadlineMs = deadline - this.#now();
    // No timer signal per call (measured: ~5-8 µs and most of the GC of a busy client); the deadline
    // is enforced by clamping each attempt's timeouts to the time left and by checking between attempts.
    const signal = options.signal;
    const headers = { ...this.#headers };
    if (options.requestId) headers['x-request-id'] = options.requestId;
    let body: string | undefined;
    if (request.body !== undefined) {
      body = JSON.stringify(request.body);
      headers['content-type'] = 'application/json';
    }
    const path = this.#basePath + request.path + queryString(request.query);
    const maxRetries = options.maxRetries ?? this.#retry.maxRetries;

    for (let attempt = 1; ; attempt++) {
      const started = this.#now();
      const remaining = deadline - started;
      const ex: Exchange = {
        method: request.method,
        path,
        headers,
        body,
        headersTimeoutMs: Math.max(1, Math.min(this.#timeouts.headersMs, remaining)),
        bodyTimeoutMs: Math.max(1, Math.min(this.#timeouts.bodyMs, remaining)),
        headersClamped: remaining < this.#timeouts.headersMs,
        bodyClamped: remaining < this.#timeouts.bodyMs,
        signal,
        deadlineAt: deadline,
      };
      const outcome = await this.#attempt(ex, deadlineMs);
      const rateLimit = outcome.result ? this.#observe(outcome.result.headers) : undefined;
      const status = outcome.result?.status;
      const durationMs = this.#now() - started;
      const error = outcome.error ?? outcome.result?.error;
      this.#report({
        operation: options.operation,
        method: request.method,
        baseUrl: this.baseUrl,
        path: request.path,
        attempt,
        status,
        durationMs,
        rateLimit,
        error,
      });
      if (!error && outcome.result) {
        const requestId = outcome.result.headers['x-request-id'];
        return {
          status: outcome.result.status,
          data: outcome.result.data,
          attempts: attempt,
          rateLimit,
          ...(typeof requestId === 'string' ? { requestId } : {}),
        };
      }
      const delay = this.#retryDelay(error!, attempt, maxRetries, options.retrySafe, deadline);
      if (delay === undefined) throw error;
      try {
        await this.#sleep(delay, signal);
      } catch {
        if (options.signal?.aborted) throw options.signal.reason;
        throw new IntercomTimeoutError('deadline', deadlineMs, { retryable: true, cause: error });
      }
    }
  }

  /** One exchange; transport failures come back as typed errors, a caller's abort is rethrown. */
  async #attempt(
    ex: Exchange,
    deadlineMs: number,
  ): Promise<{ result?: ExchangeResult; error?: IntercomError }> {
    try {
      return { result: await exchange(this.#dispatcher, this.#origin, ex, this.#now) };
    } catch (caught) {
      if (caught instanceof IntercomError) return { error: caught };
      const mapped = mapTransportError(caught, ex, deadlineMs);
      if (mapped instanceof IntercomError) return { error: mapped };
      throw mapped;
    }
  }

  /** The delay before the next attempt, or undefined to give up with `error`. */
  #retryDelay(
    error: IntercomError,
    attempt: number,
    maxRetries: number,
    retrySafe: boolean,
    deadline: number,
  ): number | undefined {
    if (attempt > maxRetries || !error.retryable) return undefined;
    const now = this.#now();
    if (error instanceof IntercomRateLimitError) {
      // Spread the wake-ups over a quarter second so waiting callers do not stampede the new window.
      const wait = error.retryAfterMs(now) + Math.floor(this.#random() * 250);
      if (wait > this.#retry.maxRateLimitWaitMs || now + wait >= deadline) return undefined;
      return wait;
    }
    if (error instanceof IntercomTimeoutError && error.phase === 'deadline') return undefined;
    // A 4xx that may pass later (scroll_exists) is not worth repeating within one call.
    if (error instanceof IntercomHttpError && error.status < 500) return undefined;
    const neverSent =
      (error instanceof IntercomConnectionError && !error.mayHaveReachedIntercom) ||
      (error instanceof IntercomTimeoutError && error.phase === 'connect');
    if (!retrySafe && !neverSent) return undefined;
    const ceiling = Math.min(this.#retry.maxDelayMs, this.#retry.baseDelayMs * 2 ** (attempt - 1));
    const delay = Math.floor(this.#random() * ceiling);
    return now + delay < deadline ? delay : undefined;
  }

  async #lookupId(op: Operation, input: OperationInput, options: CallOptions): Promise<string> {
    const lookup = op.lookup!;
    const value = input[lookup.from];
    const result = await this.send(
      { method: 'GET', path: lookup.path, query: { [lookup.query]: String(value) } },
      { ...options, retrySafe: true },
    );
    const id = (result.data as { id?: unknown } | null)?.id;
    if (typeof id !== 'string' && typeof id !== 'number') {
      throw new IntercomLookupError(
        `No object found at ${lookup.path} with ${lookup.query}=${String(value)}`,
      );
    }
    return String(id);
  }

  #deadline(options: CallOptions): number {
    return this.#now() + (options.timeoutMs ?? this.#timeouts.deadlineMs);
  }

  #observe(headers: ExchangeResult['headers']): RateLimitState | undefined {
    const state = readRateLimit(headers, this.#now());
    if (state) this.#rateLimit = state;
    return state;
  }

  #report(info: AttemptInfo): void {
    if (!this.#onAttempt) return;
    try {
      this.#onAttempt(info);
    } catch {
      // A metrics hook must never change the outcome of a call.
    }
  }
}
