/**
 * The `meta` function: `GET /health`, `GET /openapi.json` (both public) and API Gateway's `$default`
 * route, which answers the contract's 404s in its error shape instead of API Gateway's own.
 */

import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import { keyRing } from '../auth/api-keys.ts';
import { findOperation } from '../catalog/index.ts';
import { type Configured, sourceOf } from '../config/source.ts';
import type { ApiKeyRecord } from '../config/types.ts';
import { ownLogContext } from '../observability/logger.ts';
import { metrics } from '../observability/metrics.ts';
import { HttpError } from './errors.ts';
import { apiKeyAuth } from './middleware/auth.ts';
import { errorResponse } from './middleware/error-response.ts';
import { operationName } from './middleware/operation.ts';
import { requestContext } from './middleware/request-context.ts';
import { openApiDocument } from './openapi.ts';
import { jsonResponse } from './response.ts';
import type { ActionContext, HttpEvent, HttpResult } from './types.ts';

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

export function createMetaHandler(apiKeys: Configured<readonly ApiKeyRecord[]>) {
  let openapi: string | undefined;
  const source = sourceOf(apiKeys);
  const auth = apiKeyAuth(source.derive(keyRing));
  return ownLogContext(
    middy<HttpEvent, HttpResult, Error, ActionContext>({ timeoutEarlyInMillis: 0 })
      .use(httpHeaderNormalizer())
      // Registered before requestContext so its flush runs after the request's metrics are recorded.
      .use(logMetrics(metrics()))
      .use(requestContext())
      .use({
        name: 'publicOrAuthenticated',
        before: async (request) => {
          const method = request.event.requestContext?.http?.method;
          const isPublic =
            method === 'GET' &&
            (request.event.rawPath === '/health' || request.event.rawPath === '/openapi.json');
          // The public routes never wait for a refresh of the keys they do not use.
          if (!isPublic) {
            await source.fresh();
            return auth.before?.(request);
          }
        },
      })
      .use(errorResponse())
      .handler(async (event) => {
        const method = event.requestContext?.http?.method;
        if (method === 'GET' && event.rawPath === '/health') return jsonResponse(200, { status: 'ok' });
        if (method === 'GET' && event.rawPath === '/openapi.json') {
          openapi ??= JSON.stringify(openApiDocument());
          return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: openapi };
        }
        const bulkName =
          method === 'POST' ? /^\/bulk\/([^/]+)\/?$/.exec(event.rawPath ?? '')?.[1] : undefined;
        if (bulkName !== undefined) {
          const op = findOperation(safeDecode(bulkName));
          throw new HttpError(
            404,
            'unknown_operation',
            op
              ? `${op.name} cannot run in bulk (one open scroll per Intercom app); use POST /actions/${op.name}`
              : `Unknown operation "${bulkName.slice(0, 100)}"; see GET /openapi.json`,
          );
        }
        if (event.rawPath?.startsWith('/actions/')) {
          const name = operationName(event);
          if (name && findOperation(name)) {
            throw new HttpError(
              404,
              'not_found',
              method === 'POST'
                ? `No route for POST ${(event.rawPath ?? '').slice(0, 200)}; the route is exactly POST /actions/${name}`
                : `Use POST /actions/${name}`,
            );
          }
          throw new HttpError(
            404,
            'unknown_operation',
            `Unknown operation${name ? ` "${name.slice(0, 100)}"` : ''}; see GET /openapi.json`,
          );
        }
        throw new HttpError(
          404,
          'not_found',
          `No route for ${method ?? 'this method'} ${(event.rawPath ?? '').slice(0, 200)}`,
        );
      }),
  );
}
