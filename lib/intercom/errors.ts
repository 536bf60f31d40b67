/**
 * Typed errors of the Intercom client. Each carries a stable `code` to match on (never the message),
 * whether repeating the call could succeed (`retryable`), and Intercom's own status, error code and
 * request id when Intercom answered.
 */

export type IntercomErrorCode =
  | 'INTERCOM_HTTP_ERROR'
  | 'INTERCOM_RATE_LIMITED'
  | 'INTERCOM_SCROLL_EXISTS'
  | 'INTERCOM_TIMEOUT'
  | 'INTERCOM_CONNECTION_ERROR'
  | 'INTERCOM_INVALID_RESPONSE'
  | 'INTERCOM_INVALID_CURSOR'
  | 'INTERCOM_LOOKUP_NOT_FOUND';

export interface IntercomErrorDetail {
  code: string;
  message: string;
  field?: string;
}

interface BaseOptions {
  retryable: boolean;
  cause?: unknown;
}

export class IntercomError extends Error {
  override name = 'IntercomError';
  readonly code: IntercomErrorCode;
  readonly retryable: boolean;

  constructor(code: IntercomErrorCode, message: string, options: BaseOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable;
  }
}

export interface HttpErrorInit {
  status: number;
  intercomCode: string;
  message: string;
  requestId?: string;
  errors?: IntercomErrorDetail[];
  retryable: boolean;
}

/** Intercom answered with a non-2xx status. */
export class IntercomHttpError extends IntercomError {
  override name = 'IntercomHttpError';
  readonly status: number;
  /** Intercom's `errors[0].code` (e.g. `not_found`), or `http_<status>` when the body had none. */
  readonly intercomCode: string;
  /** Intercom's `request_id`, for support tickets. */
  readonly requestId: string | undefined;
  readonly errors: IntercomErrorDetail[];

  constructor(init: HttpErrorInit, code: IntercomErrorCode = 'INTERCOM_HTTP_ERROR') {
    super(code, init.message, { retryable: init.retryable });
    this.status = init.status;
    this.intercomCode = init.intercomCode;
    this.requestId = init.requestId;
    this.errors = init.errors ?? [];
  }
}

/** 429: Intercom's rate budget is spent until `resetAt`. */
export class IntercomRateLimitError extends IntercomHttpError {
  override name = 'IntercomRateLimitError';
  /** When the window resets (epoch ms), from `X-RateLimit-Reset` or `Retry-After`; undefined if neither came. */
  readonly resetAt: number | undefined;

  constructor(init: Omit<HttpErrorInit, 'retryable'>, resetAt: number | undefined) {
    super({ ...init, retryable: true }, 'INTERCOM_RATE_LIMITED');
    this.resetAt = resetAt;
  }

  /** Milliseconds until the budget is back (at least 1 s when unknown). */
  retryAfterMs(now = Date.now()): number {
    return this.resetAt === undefined ? 1000 : Math.max(0, this.resetAt - now);
  }
}

/** Another scroll is open for this Intercom app (one per app; it expires after a minute idle). */
export class IntercomScrollExistsError extends IntercomHttpError {
  override name = 'IntercomScrollExistsError';

  constructor(init: Omit<HttpErrorInit, 'retryable' | 'message'> & { message?: string }) {
    super(
      {
        ...init,
        retryable: true,
        message:
          'Another scroll is already open for this Intercom app (Intercom allows one at a time). Finish it, or wait about a minute for it to expire, then start again.' +
          (init.message ? ` Intercom said: ${init.message}` : ''),
      },
      'INTERCOM_SCROLL_EXISTS',
    );
  }
}

export type TimeoutPhase = 'connect' | 'headers' | 'body' | 'deadline';

export class IntercomTimeoutError extends IntercomError {
  override name = 'IntercomTimeoutError';
  readonly phase: TimeoutPhase;

  constructor(phase: TimeoutPhase, timeoutMs: number, options: BaseOptions) {
    super(
      'INTERCOM_TIMEOUT',
      `Intercom did not answer in time (${phase} timeout after ${timeoutMs} ms)`,
      options,
    );
    this.phase = phase;
  }
}

export class IntercomConnectionError extends IntercomError {
  override name = 'IntercomConnectionError';
  /** False when the request certainly never reached Intercom (refused, DNS), so any call may repeat. */
  readonly mayHaveReachedIntercom: boolean;

  constructor(message: string, mayHaveReachedIntercom: boolean, cause: unknown) {
    super('INTERCOM_CONNECTION_ERROR', message, { retryable: true, cause });
    this.mayHaveReachedIntercom = mayHaveReachedIntercom;
  }
}

/** A 2xx whose body is not the JSON Intercom promises. */
export class IntercomInvalidResponseError extends IntercomError {
  override name = 'IntercomInvalidResponseError';
  readonly status: number;

  constructor(status: number, message: string, cause?: unknown) {
    super('INTERCOM_INVALID_RESPONSE', message, { retryable: false, cause });
    this.status = status;
  }
}

/** A pagination cursor that this client did not issue for this operation. */
export class IntercomCursorError extends IntercomError {
  override name = 'IntercomCursorError';

  constructor(message: string) {
    super('INTERCOM_INVALID_CURSOR', message, { retryable: false });
  }
}

/** An id lookup (e.g. delete_visitor by user_id) found nothing. */
export class IntercomLookupError extends IntercomError {
  override name = 'IntercomLookupError';

  constructor(message: string) {
    super('INTERCOM_LOOKUP_NOT_FOUND', message, { retryable: false });
  }
}
