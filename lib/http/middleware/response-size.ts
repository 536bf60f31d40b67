/**
 * The last check on an answer: one Lambda cannot return (over 6,291,556 bytes serialized) becomes
 * 502 `response_too_large` with the request id, where AWS would answer an opaque 500 and log nothing
 * of ours. Lists stop well before (lib/validation/response-size.ts); what is left is a single answer
 * Intercom made too large (a conversation of hundreds of long parts, one page without `limit`).
 */
import type { MiddlewareObj } from '@middy/core';
import { DomainError } from '../../errors.ts';
import { LAMBDA_RESPONSE_LIMIT_BYTES, lambdaResponseBytes } from '../../validation/response-size.ts';
import type { ActionContext, HttpEvent, HttpResult } from '../types.ts';

/** Headers added after this check (`x-request-id`: at most 128 characters) and their JSON. */
const LATER_HEADERS_BYTES = 1024;
/**
 * The most one character of a body can grow to in the serialized response (a raw control character
 * becomes `\u00XX`): a body shorter than the limit over this cannot reach it.
 */
const MAX_BYTES_PER_CHAR = 6;

export function responseSizeGuard(): MiddlewareObj<HttpEvent, HttpResult, Error, ActionContext> {
  const limit = LAMBDA_RESPONSE_LIMIT_BYTES - LATER_HEADERS_BYTES;
  return {
    name: 'responseSizeGuard',
    after: (request) => {
      const response = request.response;
      // Cheap for every ordinary answer: the serialization is only measured for a large body.
      if (!response || (response.body ?? '').length * MAX_BYTES_PER_CHAR + LATER_HEADERS_BYTES < limit)
        return;
      const bytes = lambdaResponseBytes(response);
      if (bytes <= limit) return;
      // Thrown, the error goes through the function's error answer (logged with its cause) like any other.
      throw new DomainError(
        'response_too_large',
        `The answer is ${bytes} bytes, more than the ${LAMBDA_RESPONSE_LIMIT_BYTES} bytes an AWS Lambda response can carry; ask for less (a list: resultsPath and a smaller limit)`,
      );
    },
  };
}
