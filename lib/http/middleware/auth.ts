/**
 * 401 unless the request presents a configured API key; the key itself is never echoed or logged.
 * `ring` is asked per request: it follows the refreshed configuration.
 */
import type { MiddlewareObj } from '@middy/core';
import type { KeyRing } from '../../auth/api-keys.ts';
import { presentedKey } from '../../auth/api-keys.ts';
import { HttpError } from '../errors.ts';
import type { ActionContext, HttpEvent, HttpResult } from '../types.ts';

export function apiKeyAuth(ring: () => KeyRing): MiddlewareObj<HttpEvent, HttpResult, Error, ActionContext> {
  return {
    name: 'apiKeyAuth',
    before: ({ event, context }) => {
      const key = presentedKey(event.headers ?? {});
      if (!key) {
        throw new HttpError(
          401,
          'unauthorized',
          'An API key is required: send "Authorization: Bearer <key>" or "x-api-key: <key>"',
          {
            headers: { 'www-authenticate': 'Bearer' },
          },
        );
      }
      const record = ring().find(key);
      if (!record)
        throw new HttpError(401, 'unauthorized', 'The API key is not valid', {
          headers: { 'www-authenticate': 'Bearer' },
        });
      context.apiKey = record;
    },
  };
}
