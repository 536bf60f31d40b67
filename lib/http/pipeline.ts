/**
 * The start every HTTP function shares, in order: headers normalised, metrics flushed last (its
 * `after` runs after requestContext's, which records the request's metrics), the request's id and
 * access line, the configuration brought up to date before anything reads it, and an answer too
 * large for Lambda refused (its `after` runs before the access line is written). Each function
 * adds its own authentication, body parsing and error answer, then its handler.
 */
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import type { ConfigSource } from '../config/source.ts';
import { logMetrics, metrics } from '../observability/metrics.ts';
import { refreshConfig } from './middleware/refresh-config.ts';
import { requestContext } from './middleware/request-context.ts';
import { responseSizeGuard } from './middleware/response-size.ts';
import type { ActionContext, HttpEvent, HttpResult } from './types.ts';

export function httpPipeline(source: ConfigSource<unknown>) {
  return middy<HttpEvent, HttpResult, Error, ActionContext>({ timeoutEarlyInMillis: 0 })
    .use(httpHeaderNormalizer())
    .use(logMetrics(metrics()))
    .use(requestContext())
    .use(refreshConfig(source))
    .use(responseSizeGuard());
}
