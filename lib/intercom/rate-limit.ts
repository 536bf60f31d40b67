/** Intercom's `X-RateLimit-*` headers, read so callers (bulk workers) can budget on them. */

export interface RateLimitState {
  /** Operations allowed in the current window. */
  limit: number;
  /** Operations left in the current window. */
  remaining: number;
  /** When the window resets, epoch ms. */
  resetAt: number;
  /** When these values were read, epoch ms. */
  observedAt: number;
}

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function integer(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/** The rate-limit state in a response's headers, or undefined when Intercom left them out. */
export function readRateLimit(headers: Headers, now: number): RateLimitState | undefined {
  const limit = integer(header(headers, 'x-ratelimit-limit'));
  const remaining = integer(header(headers, 'x-ratelimit-remaining'));
  const reset = integer(header(headers, 'x-ratelimit-reset'));
  if (limit === undefined || remaining === undefined || reset === undefined) return undefined;
  return { limit, remaining, resetAt: reset * 1000, observedAt: now };
}

/**
 * When a 429'd request may be sent again (epoch ms): `X-RateLimit-Reset` (unix seconds) first, as
 * Intercom sends it, else `Retry-After` (seconds or an HTTP date).
 */
export function readResetAt(headers: Headers, now: number): number | undefined {
  const reset = integer(header(headers, 'x-ratelimit-reset'));
  if (reset !== undefined) return reset * 1000;
  const retryAfter = header(headers, 'retry-after');
  if (retryAfter === undefined) return undefined;
  const seconds = integer(retryAfter);
  if (seconds !== undefined) return now + seconds * 1000;
  const date = Date.parse(retryAfter);
  return Number.isNaN(date) ? undefined : date;
}
