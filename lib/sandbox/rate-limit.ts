/** Intercom's rate limit: a budget per fixed window, windows aligned to multiples of `windowSeconds`. */
import type { RateLimitConfig } from './types.ts';

export interface RateLimitStatus {
  allowed: boolean;
  limit: number;
  windowSeconds: number;
  remaining: number;
  /** Unix seconds: the end of the current window. */
  reset: number;
}

export class FixedWindowLimiter {
  #config: RateLimitConfig;
  #windowStart = -1;
  #used = 0;

  constructor(config: RateLimitConfig) {
    this.#config = config;
  }

  configure(config: RateLimitConfig): void {
    this.#config = config;
    this.clear();
  }

  clear(): void {
    this.#windowStart = -1;
    this.#used = 0;
  }

  /** The current window's state, without spending from it. */
  peek(nowMs: number): RateLimitStatus {
    this.#roll(nowMs);
    return this.#status(true);
  }

  /** Spends one request; `allowed` is false once the window's budget is gone. */
  take(nowMs: number): RateLimitStatus {
    this.#roll(nowMs);
    if (this.#used >= this.#config.perWindow) return this.#status(false);
    this.#used++;
    return this.#status(true);
  }

  #roll(nowMs: number): void {
    const size = this.#config.windowSeconds;
    const start = Math.floor(nowMs / 1000 / size) * size;
    if (start !== this.#windowStart) {
      this.#windowStart = start;
      this.#used = 0;
    }
  }

  #status(allowed: boolean): RateLimitStatus {
    return {
      allowed,
      limit: this.#config.perWindow,
      windowSeconds: this.#config.windowSeconds,
      remaining: Math.max(0, this.#config.perWindow - this.#used),
      reset: this.#windowStart + this.#config.windowSeconds,
    };
  }
}

/**
 * Intercom's 429 message with the sandbox's own numbers (intercom-node 2.x test/errors.js records
 * "Exceeded rate limit of 83 in 10_seconds").
 */
export function rateLimitMessage(status: RateLimitStatus): string {
  return `Exceeded rate limit of ${status.limit} in ${status.windowSeconds}_seconds`;
}

export function rateLimitHeaders(status: RateLimitStatus): Record<string, string> {
  return {
    'x-ratelimit-limit': String(status.limit),
    'x-ratelimit-remaining': String(status.remaining),
    'x-ratelimit-reset': String(status.reset),
  };
}
