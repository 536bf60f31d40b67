/**
 * Reads the JSON body. Ours, not @middy/http-json-body-parser: the contract wants 400 `invalid_json`
 * (middy answers 422), a size limit (413), an empty body accepted for operations without parameters,
 * and UTF-8 only (415 for another charset; see content-type.ts).
 */
import type { MiddlewareObj } from '@middy/core';
import { checkJsonContentType, jsonText } from '../../validation/content-type.ts';
import { jsonShapeIssue } from '../../validation/json-shape.ts';
import { HttpError } from '../errors.ts';
import type { ActionContext, HttpEvent, HttpResult } from '../types.ts';

/** 1 MiB: far above any single Intercom call (a 50-user tagging request is ~5 KB). */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export function jsonBody(
  maxBytes = DEFAULT_MAX_BODY_BYTES,
): MiddlewareObj<HttpEvent, HttpResult, Error, ActionContext> {
  return {
    name: 'jsonBody',
    before: ({ event, context }) => {
      const raw = event.body ?? '';
      const bytes = event.isBase64Encoded ? Buffer.from(raw, 'base64') : undefined;
      const size = bytes ? bytes.byteLength : Buffer.byteLength(raw, 'utf8');
      if (size > maxBytes) {
        throw new HttpError(413, 'payload_too_large', `The body is ${size} bytes; the limit is ${maxBytes}`);
      }
      if ((bytes ? bytes.toString('utf8') : raw).trim() === '') {
        context.input = {};
        return;
      }
      checkJsonContentType(event.headers?.['content-type'], { json: true });
      const text = jsonText(bytes ?? raw);
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        throw new HttpError(400, 'invalid_json', 'The body is not valid JSON', { cause: error });
      }
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        throw new HttpError(400, 'validation_failed', 'Invalid parameters', {
          details: [{ path: '/', message: 'the body must be a JSON object of parameters' }],
        });
      }
      const issue = jsonShapeIssue(parsed);
      if (issue) throw new HttpError(400, 'validation_failed', 'Invalid parameters', { details: [issue] });
      context.input = parsed as Record<string, unknown>;
    },
  };
}
