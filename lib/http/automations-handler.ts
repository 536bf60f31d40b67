/**
 * The `automations` function: the run log of webhook automations, `GET /automations/runs` (newest
 * first, paged) and `GET /automations/runs/{notificationId}` (what each rule did). Scope `read`; a
 * key sees its own workspace's runs.
 */
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import { keyRing } from '../auth/api-keys.ts';
import { type Configured, sourceOf } from '../config/source.ts';
import type { ApiKeyRecord } from '../config/types.ts';
import { metrics } from '../observability/metrics.ts';
import type { NotificationStore } from '../webhooks/store.ts';
import { HttpError } from './errors.ts';
import { apiKeyAuth } from './middleware/auth.ts';
import { errorResponse } from './middleware/error-response.ts';
import { refreshConfig } from './middleware/refresh-config.ts';
import { requestContext } from './middleware/request-context.ts';
import { jsonResponse } from './response.ts';
import type { ActionContext, HttpEvent, HttpResult } from './types.ts';

const MAX_PAGE = 200;

function invalid(path: string, message: string): HttpError {
  return new HttpError(400, 'validation_failed', 'Invalid parameters', { details: [{ path, message }] });
}

function decodeCursor(raw: string | undefined): { day: string; sk?: string } | undefined {
  if (raw === undefined) return undefined;
  try {
    const cursor = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as {
      day?: unknown;
      sk?: unknown;
    };
    if (
      typeof cursor.day === 'string' &&
      /^\d{4}-\d{2}-\d{2}$/.test(cursor.day) &&
      (cursor.sk === undefined || typeof cursor.sk === 'string')
    ) {
      return cursor as { day: string; sk?: string };
    }
  } catch {}
  throw invalid('/next', 'is not a cursor this endpoint returned');
}

export function createAutomationsHandler(
  apiKeys: Configured<readonly ApiKeyRecord[]>,
  store: NotificationStore,
  now = Date.now,
) {
  const source = sourceOf(apiKeys);
  const ring = source.derive(keyRing);
  return middy<HttpEvent, HttpResult, Error, ActionContext>({ timeoutEarlyInMillis: 0 })
    .use(httpHeaderNormalizer())
    .use(logMetrics(metrics()))
    .use(requestContext())
    .use(refreshConfig(source))
    .use(apiKeyAuth(ring))
    .use(errorResponse())
    .handler(async (event, context) => {
      const key = context.apiKey!;
      if (!key.scopes.includes('read'))
        throw new HttpError(403, 'forbidden', 'This API key lacks the "read" scope that the run log needs');
      const requestId = context.requestId;
      if (event.routeKey === 'GET /automations/runs/{notificationId}') {
        const id = event.pathParameters?.notificationId ?? '';
        const run = id.length > 0 && id.length <= 200 ? await store.getRun(id) : undefined;
        if (!run || run.workspace !== key.workspace)
          throw new HttpError(404, 'not_found', 'No automation run for this notification');
        return jsonResponse(200, { run, requestId });
      }
      const rawLimit = event.queryStringParameters?.limit;
      const limit = rawLimit === undefined ? 50 : Number(rawLimit);
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE)
        throw invalid('/limit', `must be an integer from 1 to ${MAX_PAGE}`);
      const page = await store.listRuns(
        key.workspace,
        limit,
        decodeCursor(event.queryStringParameters?.next),
        now(),
      );
      return jsonResponse(200, {
        runs: page.runs,
        next: page.next ? Buffer.from(JSON.stringify(page.next)).toString('base64url') : null,
        requestId,
      });
    });
}
