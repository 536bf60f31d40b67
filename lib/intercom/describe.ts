/**
 * What an Intercom client error means in the contract's words: a stable code, a message for people
 * and the facts a transport needs (Intercom's own status, its request id, when to retry). Both the
 * HTTP answer of an action (lib/http/errors.ts adds our status) and a bulk item's recorded error
 * (lib/delivery/outcomes.ts) are made from it, so the two always say the same.
 */
import type { ValidationIssue } from '../validation/issue.ts';
import {
  IntercomConnectionError,
  IntercomCursorError,
  type IntercomError,
  IntercomHttpError,
  IntercomLookupError,
  IntercomRateLimitError,
  IntercomTimeoutError,
} from './errors.ts';

export interface IntercomErrorDescription {
  code:
    | 'rate_limited'
    | 'upstream_unavailable'
    | 'upstream_error'
    | 'upstream_timeout'
    | 'validation_failed'
    | 'not_found'
    /** Intercom refused the request (4xx): its own code, with `upstreamStatus`. */
    | (string & {});
  message: string;
  /** Intercom's HTTP status, when it answered with a 4xx the caller should see as it is. */
  upstreamStatus?: number;
  intercomRequestId?: string;
  retryAfterSeconds?: number;
  details?: ValidationIssue[];
}

export function describeIntercomError(error: IntercomError): IntercomErrorDescription {
  if (error instanceof IntercomRateLimitError) {
    const seconds = Math.max(1, Math.ceil(error.retryAfterMs() / 1000));
    return {
      code: 'rate_limited',
      message: `Intercom's rate limit is spent; retry in ${seconds} s`,
      retryAfterSeconds: seconds,
      ...(error.requestId ? { intercomRequestId: error.requestId } : {}),
    };
  }
  if (error instanceof IntercomHttpError) {
    const id = error.requestId ? { intercomRequestId: error.requestId } : {};
    if (error.status === 503)
      return { code: 'upstream_unavailable', message: 'Intercom is unavailable; try again later', ...id };
    if (error.status >= 500)
      return { code: 'upstream_error', message: `Intercom failed (HTTP ${error.status})`, ...id };
    return { code: error.intercomCode, message: error.message, upstreamStatus: error.status, ...id };
  }
  if (error instanceof IntercomTimeoutError)
    return { code: 'upstream_timeout', message: 'Intercom did not answer within the deadline' };
  if (error instanceof IntercomConnectionError) {
    return {
      code: error.mayHaveReachedIntercom ? 'upstream_error' : 'upstream_unavailable',
      message: 'Could not reach Intercom',
    };
  }
  if (error instanceof IntercomCursorError) {
    return {
      code: 'validation_failed',
      message: 'Invalid parameters',
      details: [{ path: '/next', message: error.message }],
    };
  }
  if (error instanceof IntercomLookupError) return { code: 'not_found', message: error.message };
  return { code: 'upstream_error', message: 'Intercom sent a response that could not be read' };
}
