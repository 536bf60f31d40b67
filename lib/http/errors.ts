/**
 * The contract's error JSON for every failure. `HttpError` is what middlewares throw; `toHttpError`
 * maps anything else (Intercom client errors, bugs) onto the contract's error table.
 */

import { DomainError, type DomainErrorCode } from '../errors.ts';
import { describeIntercomError } from '../intercom/describe.ts';
import { IntercomError } from '../intercom/errors.ts';
import type { ValidationIssue } from '../validation/validate.ts';

export interface HttpErrorOptions {
  details?: ValidationIssue[];
  intercomRequestId?: string;
  /** Extra response headers (Retry-After). */
  headers?: Record<string, string>;
  cause?: unknown;
}

export class HttpError extends Error {
  override name = 'HttpError';
  readonly status: number;
  readonly code: string;
  readonly details: ValidationIssue[] | undefined;
  readonly intercomRequestId: string | undefined;
  readonly headers: Record<string, string>;

  constructor(status: number, code: string, message: string, options: HttpErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = status;
    this.code = code;
    this.details = options.details;
    this.intercomRequestId = options.intercomRequestId;
    this.headers = options.headers ?? {};
  }

  /** 4xx messages are the caller's to read; a 5xx message never carries internals. */
  get expose(): boolean {
    return this.status < 500;
  }
}

export interface ErrorBody {
  error: {
    status: number;
    code: string;
    message: string;
    details?: ValidationIssue[];
    requestId: string;
    intercomRequestId?: string;
  };
}

/** Our status for each of the codes an Intercom error is described with (a 4xx keeps Intercom's). */
const INTERCOM_ERROR_STATUS: Record<string, number> = {
  rate_limited: 429,
  upstream_unavailable: 503,
  upstream_error: 502,
  upstream_timeout: 504,
  validation_failed: 400,
  not_found: 404,
};

function fromIntercom(error: IntercomError): HttpError {
  const d = describeIntercomError(error);
  return new HttpError(d.upstreamStatus ?? INTERCOM_ERROR_STATUS[d.code] ?? 502, d.code, d.message, {
    ...(d.intercomRequestId ? { intercomRequestId: d.intercomRequestId } : {}),
    ...(d.retryAfterSeconds ? { headers: { 'retry-after': String(d.retryAfterSeconds) } } : {}),
    ...(d.details ? { details: d.details } : {}),
    cause: error,
  });
}

/** The contract's status for each domain error code: the one place domain codes meet HTTP. */
export const DOMAIN_ERROR_STATUS: Record<DomainErrorCode, number> = {
  validation_failed: 400,
  invalid_json: 400,
  payload_too_large: 413,
  unsupported_media_type: 415,
  invalid_signature: 401,
  forbidden: 403,
  not_found: 404,
  unknown_operation: 404,
  idempotency_key_expired: 409,
  job_conflict: 409,
  chunk_mismatch: 409,
  job_closed: 409,
  offset_mismatch: 409,
  job_not_retryable: 409,
  rule_not_fireable: 409,
  queue_unavailable: 503,
  response_too_large: 502,
};

export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof DomainError) {
    return new HttpError(DOMAIN_ERROR_STATUS[error.code], error.code, error.message, {
      ...(error.details ? { details: error.details } : {}),
      headers: error.headers,
      cause: error,
    });
  }
  if (error instanceof IntercomError) return fromIntercom(error);
  return new HttpError(500, 'internal_error', 'Internal error', { cause: error });
}

export function errorBody(error: HttpError, requestId: string): ErrorBody {
  const body: ErrorBody['error'] = {
    status: error.status,
    code: error.code,
    message: error.expose ? error.message : error.status === 500 ? 'Internal error' : error.message,
    requestId,
  };
  if (error.details) body.details = error.details;
  if (error.intercomRequestId) body.intercomRequestId = error.intercomRequestId;
  return { error: body };
}
