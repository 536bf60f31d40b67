/**
 * What a failed Intercom call means for a queued item: try again later (and when), a final failure,
 * or an unknown outcome (the request may have been applied; repeating a non-idempotent write could
 * duplicate it).
 */
import type { Operation } from '../catalog/types.ts';
import { DomainError } from '../errors.ts';
import { describeIntercomError } from '../intercom/describe.ts';
import {
  IntercomConnectionError,
  IntercomError,
  IntercomHttpError,
  IntercomRateLimitError,
  IntercomTimeoutError,
} from '../intercom/errors.ts';

/** The recorded error of one delivered write (a bulk item, an automation action). */
export interface ItemError {
  /** Intercom's HTTP status, when Intercom answered. */
  status?: number;
  /** The contract's error code, or Intercom's own (`not_found`), or `outcome_unknown`. */
  code: string;
  message: string;
  intercomRequestId?: string;
}

export type Verdict =
  | { kind: 'retry'; error: ItemError; retryAt: number; rateLimited: boolean }
  | { kind: 'failed'; error: ItemError }
  | { kind: 'unknown'; error: ItemError };

/** An item's recorded error, in the same words the HTTP answer of the same failure would use. */
export function itemError(error: unknown): ItemError {
  if (error instanceof DomainError) return { code: error.code, message: error.message };
  if (!(error instanceof IntercomError)) return { code: 'internal_error', message: 'Internal error' };
  const described = describeIntercomError(error);
  const result: ItemError = { code: described.code, message: described.message };
  if (error instanceof IntercomHttpError) result.status = error.status;
  if (described.intercomRequestId) result.intercomRequestId = described.intercomRequestId;
  return result;
}

/** Full-jitter backoff for 5xx and connection errors: up to 1 s, 2 s, 4 s ... 60 s. */
export function backoffMs(tries: number, random = Math.random): number {
  const ceiling = Math.min(60_000, 1_000 * 2 ** Math.max(0, tries - 1));
  return Math.max(250, Math.floor(random() * ceiling));
}

function unknownOutcome(operation: string, cause: string): Verdict {
  return {
    kind: 'unknown',
    error: {
      code: 'outcome_unknown',
      message: `Intercom may or may not have applied this ${operation} (${cause}); it was not repeated to avoid a duplicate. Check, then retry it if needed.`,
    },
  };
}

export function judge(error: unknown, op: Operation, tries: number, now: number, windowMs: number): Verdict {
  const described = itemError(error);
  if (error instanceof IntercomRateLimitError) {
    // A 429'd request had no effect: any operation may repeat, after the reset.
    // At least a second out: a reset already past on this clock (skew, whole seconds) must not spin.
    const retryAt = Math.max(error.resetAt ?? now + windowMs, now + 1_000) + Math.floor(Math.random() * 500);
    return { kind: 'retry', error: described, retryAt, rateLimited: true };
  }
  if (error instanceof IntercomHttpError) {
    // A 500 or 503 from Intercom is its failure to apply the request; a 502 or 504 comes from a
    // gateway in front of it, after which a write may have happened. A 4xx is final.
    const gateway = error.status === 502 || error.status === 504;
    if (gateway && !op.retrySafe) return unknownOutcome(op.name, described.code);
    if (error.status >= 500)
      return { kind: 'retry', error: described, retryAt: now + backoffMs(tries), rateLimited: false };
    return { kind: 'failed', error: described };
  }
  const neverSent =
    (error instanceof IntercomConnectionError && !error.mayHaveReachedIntercom) ||
    (error instanceof IntercomTimeoutError && error.phase === 'connect');
  if (error instanceof IntercomConnectionError || error instanceof IntercomTimeoutError) {
    if (neverSent || op.retrySafe)
      return { kind: 'retry', error: described, retryAt: now + backoffMs(tries), rateLimited: false };
    return unknownOutcome(op.name, described.code);
  }
  return { kind: 'failed', error: described };
}
