/** `POST /exports/{operation}`, `GET /exports/{exportId}`, `GET /exports`: export jobs (scopes `read` + `bulk`). */
import { keyRing } from '../auth/api-keys.ts';
import { findOperation } from '../catalog/index.ts';
import type { ApiKeyScope } from '../catalog/types.ts';
import { type Configured, sourceOf } from '../config/source.ts';
import type { ApiKeyRecord } from '../config/types.ts';
import { exportMode } from '../exports/exportable.ts';
import { EXPORT_ID_PATTERN, parseExportRequest } from '../exports/request.ts';
import type { ExportService } from '../exports/service.ts';
import { ownLogContext } from '../observability/logger.ts';
import { HttpError } from './errors.ts';
import { apiKeyAuth } from './middleware/auth.ts';
import { errorResponse } from './middleware/error-response.ts';
import { jsonBody } from './middleware/json-body.ts';
import { httpPipeline } from './pipeline.ts';
import { jsonResponse } from './response.ts';
import type { HttpEvent } from './types.ts';

export const EXPORTS_PREFIX = '/exports/';
const MAX_BODY_BYTES = 64 * 1024;
const MAX_PAGE = 100;

function requireScopes(key: ApiKeyRecord, scopes: readonly ApiKeyScope[]): void {
  const missing = scopes.filter((scope) => !key.scopes.includes(scope));
  if (missing.length > 0) {
    throw new HttpError(
      403,
      'forbidden',
      `This API key lacks the ${missing.map((s) => `"${s}"`).join(' and ')} scope that exports need`,
    );
  }
}

function pageLimit(event: HttpEvent): number {
  const raw = event.queryStringParameters?.limit;
  if (raw === undefined) return 20;
  const limit = /^\d{1,3}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE) {
    throw new HttpError(400, 'validation_failed', 'Invalid parameters', {
      details: [{ path: '/limit', message: `must be an integer from 1 to ${MAX_PAGE}` }],
    });
  }
  return limit;
}

export function createExportsHandler(apiKeys: Configured<readonly ApiKeyRecord[]>, service: ExportService) {
  const source = sourceOf(apiKeys);
  const ring = source.derive(keyRing);
  return ownLogContext(
    httpPipeline(source)
      .use(apiKeyAuth(ring))
      .use(jsonBody(MAX_BODY_BYTES))
      .use(errorResponse())
      .handler(async (event, context) => {
        const key = context.apiKey!;
        const route = event.routeKey ?? '';
        const withId = (body: object) => ({ ...body, requestId: context.requestId });
        requireScopes(key, ['read', 'bulk']);
        if (route === 'GET /exports') {
          const next = event.queryStringParameters?.next;
          if (next !== undefined && !EXPORT_ID_PATTERN.test(next))
            throw new HttpError(400, 'validation_failed', 'Invalid parameters', {
              details: [{ path: '/next', message: 'must be the "next" of the previous page' }],
            });
          return jsonResponse(200, withId(await service.list(key, pageLimit(event), next)));
        }
        if (route === 'GET /exports/{exportId}') {
          const exportId = event.pathParameters?.exportId ?? '';
          if (!EXPORT_ID_PATTERN.test(exportId)) throw new HttpError(404, 'not_found', 'No such export');
          return jsonResponse(200, withId(await service.status(exportId, key)));
        }
        const name = route.startsWith(`POST ${EXPORTS_PREFIX}`)
          ? route.slice(`POST ${EXPORTS_PREFIX}`.length)
          : '';
        const op = findOperation(name);
        const mode = op && exportMode(op);
        if (!op || !mode)
          throw new HttpError(404, 'unknown_operation', 'Not an exportable operation; see GET /openapi.json');
        requireScopes(key, [op.scope]);
        const request = parseExportRequest(op, mode, context.input ?? {});
        return jsonResponse(202, withId(await service.create(op, request, key)));
      }),
  );
}
