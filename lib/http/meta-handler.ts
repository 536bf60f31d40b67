/**
 * The `meta` function: `GET /health`, `GET /openapi.json`, the web console's page and assets (all
 * public: they hold no data), `GET /whoami` and API Gateway's `$default` route, which answers the
 * contract's 404s in its error shape instead of API Gateway's own.
 */

import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import { keyRing } from '../auth/api-keys.ts';
import { findOperation } from '../catalog/index.ts';
import { type Configured, sourceOf } from '../config/source.ts';
import type { ApiKeyRecord } from '../config/types.ts';
import { consoleResponse } from '../console/serve.ts';
import { ownLogContext } from '../observability/logger.ts';
import { logMetrics, metrics } from '../observability/metrics.ts';
import { HttpError } from './errors.ts';
import { apiKeyAuth } from './middleware/auth.ts';
import { errorResponse } from './middleware/error-response.ts';
import { operationName } from './middleware/operation.ts';
import { requestContext } from './middleware/request-context.ts';
import { openApiDocument } from './openapi.ts';
import { jsonResponse } from './response.ts';
import { routeKey, routes } from './routes.ts';
import type { ActionContext, HttpEvent, HttpResult } from './types.ts';

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

const HOST =
  /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;
const LOOPBACK = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d+)?$/i;

/**
 * The API's base URL as the caller reached it, for the OpenAPI document's server: API Gateway's
 * domain name (the Host header locally), the protocol the client used (`X-Forwarded-Proto`; plain
 * HTTP only on loopback otherwise) and a named stage's path. Undefined for a host that is not a host
 * name, so a forged header never reaches the document.
 */
export function requestBaseUrl(event: HttpEvent): string | undefined {
  const host = event.requestContext?.domainName || event.headers?.host;
  if (!host || host.length > 300 || !HOST.test(host)) return undefined;
  const forwarded = event.headers?.['x-forwarded-proto']?.split(',')[0]?.trim().toLowerCase();
  const proto =
    forwarded === 'https' || forwarded === 'http' ? forwarded : LOOPBACK.test(host) ? 'http' : 'https';
  const stage = event.requestContext?.stage;
  const stagePath = stage && stage !== '$default' && /^[\w-]+$/.test(stage) ? `/${stage}` : '';
  return `${proto}://${host.toLowerCase()}${stagePath}`;
}

/** The meta function's public routes, from the routing table (the `$default` route is not public). */
const PUBLIC_ROUTES = new Set(routes.filter((r) => r.target === 'meta' && r.public).map(routeKey));

/** Documents already serialized, by base URL; a few, as one function serves one API (and a local one). */
const MAX_CACHED_DOCUMENTS = 8;

export function createMetaHandler(apiKeys: Configured<readonly ApiKeyRecord[]>) {
  const documents = new Map<string, string>();
  const openapi = (serverUrl: string | undefined): string => {
    const key = serverUrl ?? '';
    let document = documents.get(key);
    if (document === undefined) {
      document = JSON.stringify(openApiDocument(serverUrl === undefined ? {} : { serverUrl }));
      if (documents.size >= MAX_CACHED_DOCUMENTS) documents.delete(documents.keys().next().value!);
      documents.set(key, document);
    }
    return document;
  };
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
            PUBLIC_ROUTES.has(request.event.routeKey ?? '') ||
            (method === 'GET' &&
              (request.event.rawPath === '/health' || request.event.rawPath === '/openapi.json'));
          // The public routes never wait for a refresh of the keys they do not use.
          if (!isPublic) {
            await source.fresh();
            return auth.before?.(request);
          }
        },
      })
      .use(errorResponse())
      .handler(async (event, context) => {
        const method = event.requestContext?.http?.method;
        if (method === 'GET' && event.rawPath === '/health') return jsonResponse(200, { status: 'ok' });
        if (event.routeKey === 'GET /whoami') {
          // The caller's own key, whatever its scopes: what the console shows after a key is entered.
          const key = context.apiKey!;
          return jsonResponse(200, {
            workspace: key.workspace,
            keyId: key.id,
            keyName: key.name,
            scopes: key.scopes,
            requestId: context.requestId,
          });
        }
        if (event.routeKey === 'GET /console' || event.routeKey === 'GET /console/{asset}') {
          const answer = await consoleResponse(
            event.pathParameters?.asset,
            event.headers?.['accept-encoding'],
          );
          if (answer) return answer;
          throw new HttpError(404, 'not_found', 'No such console asset');
        }
        if (method === 'GET' && event.rawPath === '/openapi.json') {
          return {
            statusCode: 200,
            headers: { 'content-type': 'application/json' },
            body: openapi(requestBaseUrl(event)),
          };
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
