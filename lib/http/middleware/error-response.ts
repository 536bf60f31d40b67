/**
 * Last in, first out on errors: every failure becomes the contract's error JSON. 5xx are logged with
 * their cause (never returned); 4xx are the caller's business and logged at debug.
 */
import type { MiddlewareObj } from '@middy/core';
import { logger } from '../../observability/logger.ts';
import { errorBody, toHttpError } from '../errors.ts';
import { jsonResponse } from '../response.ts';
import type { ActionContext, HttpEvent, HttpResult } from '../types.ts';

function describeCause(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { error: String(error) };
  const e = error as Error & { code?: unknown; status?: unknown; intercomCode?: unknown };
  return {
    name: e.name,
    message: e.message,
    code: e.code,
    status: e.status,
    intercomCode: e.intercomCode,
    stack: e.stack,
  };
}

export function errorResponse(): MiddlewareObj<HttpEvent, HttpResult, Error, ActionContext> {
  return {
    name: 'errorResponse',
    onError: (request) => {
      if (request.response?.statusCode) return;
      const error = toHttpError(request.error);
      request.error = error;
      if (error.status >= 500)
        logger().error('request failed', { code: error.code, cause: describeCause(error.cause ?? error) });
      else logger().debug('request rejected', { code: error.code, status: error.status });
      request.response = jsonResponse(
        error.status,
        errorBody(error, request.context.requestId),
        error.headers,
      );
    },
  };
}
