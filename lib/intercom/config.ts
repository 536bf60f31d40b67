import type { ApiVersion } from '../catalog/index.ts';

/** Intercom's regional API hosts. */
export const REGION_BASE_URLS = {
  us: 'https://api.intercom.io',
  eu: 'https://api.eu.intercom.io',
  au: 'https://api.au.intercom.io',
} as const;
export type Region = keyof typeof REGION_BASE_URLS;

export const DEFAULT_VERSION: ApiVersion = '1.4';

export interface Timeouts {
  /** TCP+TLS connect; applies to the default dispatcher (an injected one brings its own). */
  connectMs: number;
  /** From sending to the response headers, per attempt. */
  headersMs: number;
  /** Between body chunks, per attempt. */
  bodyMs: number;
  /** The whole call, retries and rate-limit waits included. */
  deadlineMs: number;
}

/**
 * Fit for Lambda behind API Gateway (~29 s integration timeout): a call, retries included, gives up
 * at 25 s so the handler can still answer. undici's own defaults are 300 s.
 */
export const DEFAULT_TIMEOUTS: Timeouts = {
  connectMs: 3_000,
  headersMs: 10_000,
  bodyMs: 10_000,
  deadlineMs: 25_000,
};

export interface RetryPolicy {
  /** Retries after the first attempt. */
  maxRetries: number;
  /** Full-jitter exponential backoff: a random delay in [0, min(maxDelayMs, baseDelayMs * 2^n)). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** The longest a 429 may wait for the window to reset; longer (or past the deadline) fails fast. */
  maxRateLimitWaitMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxRetries: 3,
  baseDelayMs: 200,
  maxDelayMs: 5_000,
  maxRateLimitWaitMs: Number.POSITIVE_INFINITY,
};

export function resolveBaseUrl(options: { region?: Region; baseUrl?: string }): string {
  if (options.baseUrl) {
    const url = new URL(options.baseUrl);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') {
      throw new TypeError(`Intercom base URL must be http(s): ${options.baseUrl}`);
    }
    return url.origin + url.pathname.replace(/\/+$/, '');
  }
  const region = options.region ?? 'us';
  const url = REGION_BASE_URLS[region];
  if (!url) throw new TypeError(`Unknown Intercom region "${region}" (us, eu or au)`);
  return url;
}
