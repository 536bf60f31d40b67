/** One HTTP exchange with Intercom over an undici dispatcher, its failures mapped to typed errors. */
import type { Dispatcher } from 'undici';
import {
  IntercomConnectionError,
  type IntercomError,
  type IntercomErrorDetail,
  IntercomHttpError,
  IntercomInvalidResponseError,
  IntercomRateLimitError,
  IntercomScrollExistsError,
  IntercomTimeoutError,
} from './errors.ts';
import { readResetAt } from './rate-limit.ts';
import { request as undiciRequest } from './undici-lite.ts';

export interface Exchange {
  method: string;
  /** Path and query, already encoded. */
  path: string;
  headers: Record<string, string>;
  body?: string;
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  /** A timeout cut to the call's remaining time: when it fires, the deadline has passed. */
  headersClamped: boolean;
  bodyClamped: boolean;
  /** The caller's abort signal, if any. */
  signal: AbortSignal | undefined;
  /** When the whole call must be over (epoch ms, on the client's clock): the body's time limit. */
  deadlineAt?: number;
}

/** Thrown into a body that is still arriving when the call's deadline passes. */
const DEADLINE_CODE = 'INTERCOM_BODY_DEADLINE';

export interface ExchangeResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  data: unknown;
  /** Set for a non-2xx answer (the headers still matter: rate-limit state). */
  error?: IntercomError;
}

/** Statuses after which the same request may succeed. */
const TRANSIENT_STATUSES = new Set([500, 502, 503, 504]);
/** Failures that happen before a single byte of the request left this machine. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

function errorCode(error: unknown): string | undefined {
  const e = error as { code?: unknown; cause?: { code?: unknown } } | null;
  const code = e?.code ?? e?.cause?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Turns an undici failure into a client error; a caller's abort is passed through untouched.
 */
export function mapTransportError(error: unknown, exchange: Exchange, deadlineMs: number): unknown {
  if (exchange.signal?.aborted) return error;
  const code = errorCode(error);
  if (code === DEADLINE_CODE)
    return new IntercomTimeoutError('deadline', deadlineMs, { retryable: true, cause: error });
  if (code === 'UND_ERR_CONNECT_TIMEOUT')
    return new IntercomTimeoutError('connect', 0, { retryable: true, cause: error });
  if (
    (code === 'UND_ERR_HEADERS_TIMEOUT' && exchange.headersClamped) ||
    (code === 'UND_ERR_BODY_TIMEOUT' && exchange.bodyClamped)
  ) {
    return new IntercomTimeoutError('deadline', deadlineMs, { retryable: true, cause: error });
  }
  if (code === 'UND_ERR_HEADERS_TIMEOUT') {
    return new IntercomTimeoutError('headers', exchange.headersTimeoutMs, { retryable: true, cause: error });
  }
  if (code === 'UND_ERR_BODY_TIMEOUT') {
    return new IntercomTimeoutError('body', exchange.bodyTimeoutMs, { retryable: true, cause: error });
  }
  const notSent = code !== undefined && NOT_SENT_CODES.has(code);
  const detail = error instanceof Error ? error.message : String(error);
  return new IntercomConnectionError(
    `Could not reach Intercom (${code ?? 'network error'}: ${detail})`,
    !notSent,
    error,
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

interface ErrorList {
  type?: unknown;
  request_id?: unknown;
  errors?: Array<{ code?: unknown; type?: unknown; message?: unknown; field?: unknown }>;
}

/** Builds the typed error for a non-2xx answer; a body that is not Intercom's `error.list` still yields one. */
export function httpError(
  status: number,
  headers: ExchangeResult['headers'],
  text: string,
  now: number,
): IntercomError {
  const parsed = parseJson(text) as ErrorList | undefined;
  const list = Array.isArray(parsed?.errors) ? parsed.errors : [];
  const errors: IntercomErrorDetail[] = list.map((e) => ({
    code: String(e.code ?? e.type ?? 'unknown'),
    message: String(e.message ?? ''),
    ...(e.field === undefined ? {} : { field: String(e.field) }),
  }));
  const headerRequestId = headers['x-request-id'];
  const requestId =
    typeof parsed?.request_id === 'string'
      ? parsed.request_id
      : typeof headerRequestId === 'string'
        ? headerRequestId
        : undefined;
  const first = errors[0];
  const described =
    text.length === 0 ? 'an empty body' : parsed === undefined ? 'a non-JSON body' : 'no error list';
  const init = {
    status,
    intercomCode: first?.code ?? `http_${status}`,
    message: first?.message || `Intercom answered HTTP ${status} with ${described}`,
    requestId,
    errors,
  };
  if (status === 429) return new IntercomRateLimitError(init, readResetAt(headers, now));
  if (init.intercomCode === 'scroll_exists') return new IntercomScrollExistsError(init);
  return new IntercomHttpError({ ...init, retryable: TRANSIENT_STATUSES.has(status) });
}

/**
 * Reads the whole body within the call's remaining time. undici's `bodyTimeout` bounds the gap
 * between chunks, not their sum, so a body trickling in could hold a call past its deadline (and
 * past API Gateway's 29 s): one plain timer per response closes it (cheaper than a signal per call).
 */
async function readBody(body: Dispatcher.ResponseData['body'], remainingMs: number | undefined) {
  if (remainingMs === undefined) return body.text();
  const timer = setTimeout(
    () => {
      body.destroy(
        Object.assign(new Error('The call deadline passed while the body was arriving'), {
          code: DEADLINE_CODE,
        }),
      );
    },
    Math.max(1, remainingMs),
  );
  try {
    return await body.text();
  } finally {
    clearTimeout(timer);
  }
}

/** Sends one request and reads the whole body (always: an unread body would stall the pool). */
export async function exchange(
  dispatcher: Dispatcher,
  origin: string,
  request: Exchange,
  now: () => number,
): Promise<ExchangeResult> {
  const response = await undiciRequest.call(dispatcher, {
    origin,
    path: request.path,
    method: request.method as Dispatcher.HttpMethod,
    headers: request.headers,
    body: request.body,
    headersTimeout: request.headersTimeoutMs,
    bodyTimeout: request.bodyTimeoutMs,
    ...(request.signal ? { signal: request.signal } : {}),
  });
  const text = await readBody(
    response.body,
    request.deadlineAt === undefined ? undefined : request.deadlineAt - now(),
  );
  const { statusCode: status, headers } = response;
  if (status < 200 || status > 299)
    return { status, headers, data: undefined, error: httpError(status, headers, text, now()) };
  if (text.length === 0) return { status, headers, data: null };
  const data = parseJson(text);
  if (data === undefined) {
    throw new IntercomInvalidResponseError(
      status,
      `Intercom answered HTTP ${status} with a body that is not JSON`,
    );
  }
  return { status, headers, data };
}
