/**
 * First in, last out: gives each request an id (the caller's `x-request-id`, else API Gateway's own
 * request id, which its access log carries), echoes it in the response with the security headers
 * every API response has, tags every log line of this invocation with it, and writes one access-log
 * line and the request metrics.
 */
import { randomUUID } from 'node:crypto';
import type { MiddlewareObj, Request } from '@middy/core';
import { appendLogKeys, logInfoLine } from '../../observability/logger.ts';
import { recordRequest } from '../../observability/metrics.ts';
import { SECURITY_HEADERS } from '../response.ts';
import type { ActionContext, HttpEvent, HttpResult } from '../types.ts';

/** Ids we echo into headers and logs: bounded, no control characters. */
const SAFE_ID = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

function finish(request: Request<HttpEvent, HttpResult, Error, ActionContext>): void {
  const { context, event } = request;
  const response = request.response ?? { statusCode: 500 };
  // The security headers are defaults: a response may set its own cache policy (static assets).
  response.headers = { ...SECURITY_HEADERS, ...response.headers, 'x-request-id': context.requestId };
  request.response = response;
  const status = response.statusCode ?? 200;
  const errorCode = status >= 400 ? (request.error as { code?: string } | null)?.code : undefined;
  recordRequest(status, errorCode);
  logInfoLine('request', {
    method: event.requestContext?.http?.method,
    path: event.rawPath,
    operation: context.operation?.name,
    keyName: context.apiKey?.name,
    status,
    ms: Date.now() - context.startedAt,
  });
}

export function requestContext(): MiddlewareObj<HttpEvent, HttpResult, Error, ActionContext> {
  return {
    name: 'requestContext',
    before: (request) => {
      const given = request.event.headers?.['x-request-id'];
      const gateway = request.event.requestContext?.requestId;
      const ownId = gateway && SAFE_ID.test(gateway) ? gateway : undefined;
      const requestId = given && SAFE_ID.test(given) ? given : (ownId ?? randomUUID());
      request.context.requestId = requestId;
      request.context.startedAt = Date.now();
      // The invocation's own log context (the handler runs in one: see ownLogContext), never the
      // process logger, which requests running at the same time share. A caller's own id leaves API
      // Gateway's beside it, which is the one its access log has.
      appendLogKeys(ownId && ownId !== requestId ? { requestId, apiRequestId: ownId } : { requestId });
    },
    after: finish,
    onError: finish,
  };
}
