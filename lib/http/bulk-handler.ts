import { keyRing } from '../auth/api-keys.ts';
import {
  JOB_ID_PATTERN,
  JOB_STATUSES,
  type JobStatus,
  MAX_JOBS_PAGE,
  parseBulkRequest,
} from '../bulk/request.ts';
import { type BulkService, MAX_FAILURES_PAGE } from '../bulk/service.ts';
import { findOperation } from '../catalog/index.ts';
import type { ApiKeyScope } from '../catalog/types.ts';
import { type Configured, sourceOf } from '../config/source.ts';
import type { ApiKeyRecord } from '../config/types.ts';
import { ownLogContext } from '../observability/logger.ts';
import { LIST_BUDGET_BYTES } from '../validation/response-size.ts';
import { HttpError } from './errors.ts';
import { apiKeyAuth } from './middleware/auth.ts';
import { errorResponse } from './middleware/error-response.ts';
import { jsonBody } from './middleware/json-body.ts';
import { httpPipeline } from './pipeline.ts';
import { jsonResponse } from './response.ts';
import { BULK_PREFIX, isBulkOperation } from './routes.ts';
import type { HttpEvent } from './types.ts';

/** Lambda's synchronous payload limit is 6 MB; 1,000 items of a few KB fit well below. */
export const DEFAULT_BULK_BODY_BYTES = 5 * 1024 * 1024;

export interface BulkHandlerOptions {
  maxItems: number;
  maxBodyBytes?: number;
}

function requireScopes(key: ApiKeyRecord, scopes: ApiKeyScope[], what: string): void {
  const missing = scopes.filter((scope) => !key.scopes.includes(scope));
  if (missing.length > 0) {
    throw new HttpError(
      403,
      'forbidden',
      `This API key lacks the ${missing.map((s) => `"${s}"`).join(' and ')} scope that ${what} needs`,
    );
  }
}

function jobIdOf(event: HttpEvent): string {
  const jobId = event.pathParameters?.jobId ?? '';
  if (!JOB_ID_PATTERN.test(jobId)) throw new HttpError(404, 'not_found', 'No such bulk job');
  return jobId;
}

function invalid(path: string, message: string): HttpError {
  return new HttpError(400, 'validation_failed', 'Invalid parameters', { details: [{ path, message }] });
}

function pageLimit(event: HttpEvent, fallback = 100, most = MAX_FAILURES_PAGE): number {
  const raw = event.queryStringParameters?.limit;
  if (raw === undefined) return fallback;
  // Digits only: Number() would also take "", " 5", "1e2" and "0x10".
  const limit = /^\d{1,4}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > most)
    throw invalid('/limit', `must be an integer from 1 to ${most}`);
  return limit;
}

/** `GET /bulk/jobs`' filters: a status of the job model, a bulk operation of the catalog. */
function jobListQuery(event: HttpEvent) {
  const query = event.queryStringParameters ?? {};
  const status = query.status;
  if (status !== undefined && !JOB_STATUSES.includes(status as JobStatus))
    throw invalid('/status', `must be one of ${JOB_STATUSES.join(', ')}`);
  const operation = query.operation;
  const op = operation === undefined ? undefined : findOperation(operation);
  if (operation !== undefined && !(op && isBulkOperation(op)))
    throw invalid('/operation', 'must be the name of an operation that runs in bulk');
  return {
    limit: pageLimit(event, 20, MAX_JOBS_PAGE),
    ...(status === undefined ? {} : { status: status as JobStatus }),
    ...(operation === undefined ? {} : { operation }),
    ...(query.next === undefined ? {} : { next: query.next }),
  };
}

export function createBulkHandler(
  apiKeys: Configured<readonly ApiKeyRecord[]>,
  service: BulkService,
  options: BulkHandlerOptions,
) {
  const source = sourceOf(apiKeys);
  const ring = source.derive(keyRing);
  return ownLogContext(
    httpPipeline(source)
      .use(apiKeyAuth(ring))
      .use(jsonBody(options.maxBodyBytes ?? DEFAULT_BULK_BODY_BYTES))
      .use(errorResponse())
      .handler(async (event, context) => {
        const key = context.apiKey!;
        const route = event.routeKey ?? '';
        const withId = (body: object) => ({ ...body, requestId: context.requestId });
        // A job is read with `bulk` (the key's own jobs) or `read` (the workspace's jobs, created by
        // rules); the service checks which applies to the job (lib/auth/ownership.ts).
        if (route.includes('/bulk/jobs') && !key.scopes.some((s) => s === 'bulk' || s === 'read'))
          requireScopes(key, ['bulk'], 'bulk jobs');
        if (route === 'GET /bulk/jobs') {
          return jsonResponse(200, withId(await service.list(key, jobListQuery(event))));
        }
        if (route === 'GET /bulk/jobs/{jobId}/throughput') {
          return jsonResponse(200, withId(await service.throughput(jobIdOf(event), key)));
        }
        if (route === 'GET /bulk/jobs/{jobId}') {
          return jsonResponse(200, withId(await service.status(jobIdOf(event), key)));
        }
        if (route === 'GET /bulk/jobs/{jobId}/failures') {
          const next = event.queryStringParameters?.next;
          return jsonResponse(
            200,
            withId(await service.failures(jobIdOf(event), key, pageLimit(event), next, LIST_BUDGET_BYTES)),
          );
        }
        if (route === 'POST /bulk/jobs/{jobId}/recover') {
          return jsonResponse(202, withId(await service.recover(jobIdOf(event), key)));
        }
        if (route === 'POST /bulk/jobs/{jobId}/retry-failed') {
          return jsonResponse(202, withId(await service.retryFailed(jobIdOf(event), key)));
        }
        const name = route.startsWith(`POST ${BULK_PREFIX}`) ? route.slice(`POST ${BULK_PREFIX}`.length) : '';
        const op = findOperation(name);
        if (!op) throw new HttpError(404, 'unknown_operation', 'Unknown operation; see GET /openapi.json');
        requireScopes(key, ['bulk', op.scope], `bulk ${op.name}`);
        const request = parseBulkRequest(context.input ?? {}, options.maxItems);
        const idempotencyKey = event.headers?.['idempotency-key'];
        if (idempotencyKey !== undefined && (idempotencyKey.length === 0 || idempotencyKey.length > 255)) {
          throw new HttpError(400, 'validation_failed', 'Invalid parameters', {
            details: [{ path: '/headers/idempotency-key', message: 'must be 1 to 255 characters' }],
          });
        }
        const result = await service.submit(op, request, key, idempotencyKey);
        return jsonResponse(result.status, withId(result.body));
      }),
  );
}
