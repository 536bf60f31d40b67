/**
 * What domain code throws when a request cannot be served: a stable `code`, a message for people and
 * optional details. Domain code never knows HTTP statuses; lib/http/errors.ts maps each code to the
 * contract's status and error JSON (as Powertools' errors carry a name, not a transport).
 */
import type { ValidationIssue } from './validation/issue.ts';

export const DOMAIN_ERROR_CODES = [
  'validation_failed',
  'invalid_json',
  'payload_too_large',
  'unsupported_media_type',
  'invalid_signature',
  'forbidden',
  'not_found',
  'unknown_operation',
  'idempotency_key_expired',
  'job_conflict',
  'chunk_mismatch',
  'job_closed',
  'offset_mismatch',
  'job_not_retryable',
  'rule_not_fireable',
  'queue_unavailable',
  'response_too_large',
] as const;

export type DomainErrorCode = (typeof DOMAIN_ERROR_CODES)[number];

export interface DomainErrorOptions {
  details?: ValidationIssue[];
  /** Hints for the caller's transport (a `Retry-After`), passed on as they are. */
  headers?: Record<string, string>;
  cause?: unknown;
}

export class DomainError extends Error {
  override name = 'DomainError';
  readonly code: DomainErrorCode;
  readonly details: ValidationIssue[] | undefined;
  readonly headers: Record<string, string>;

  constructor(code: DomainErrorCode, message: string, options: DomainErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options.details;
    this.headers = options.headers ?? {};
  }
}
