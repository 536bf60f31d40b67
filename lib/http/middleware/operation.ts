/** Resolves `POST /actions/{operation}` to this function's operation (404) and checks the key's scope (403). */
import type { MiddlewareObj } from '@middy/core';
import { findOperation, type Group, type Operation } from '../../catalog/index.ts';
import { HttpError } from '../errors.ts';
import type { ActionContext, HttpEvent, HttpResult } from '../types.ts';

/** The `{operation}` of the request: from the route key when routed explicitly, else the raw path. */
export function operationName(event: HttpEvent): string | undefined {
  const routed = event.routeKey && event.routeKey !== '$default' ? event.routeKey.split(' ')[1] : undefined;
  const path = routed ?? event.rawPath ?? '';
  const match = /\/actions\/([^/]+)\/?$/.exec(path);
  if (!match) return undefined;
  try {
    return decodeURIComponent(match[1]!);
  } catch {
    return undefined;
  }
}

/** Paths resolved per function: a warm function sees the same few; bounded, as callers pick paths. */
const MAX_RESOLVED_PATHS = 256;

export function resolveOperation(group: Group): MiddlewareObj<HttpEvent, HttpResult, Error, ActionContext> {
  const resolved = new Map<string, Operation>();
  return {
    name: 'resolveOperation',
    before: ({ event, context }) => {
      // What operationName reads: the route key when routed explicitly (it starts with a method), else the path.
      const path = event.routeKey && event.routeKey !== '$default' ? event.routeKey : (event.rawPath ?? '');
      let op = resolved.get(path);
      if (!op) {
        const name = operationName(event);
        const found = name === undefined ? undefined : findOperation(name);
        // Another group's operation is unknown here: each function serves (and may call) only its own.
        if (found?.group === group) {
          op = found;
          if (resolved.size < MAX_RESOLVED_PATHS) resolved.set(path, op);
        }
      }
      if (!op) {
        const name = operationName(event);
        throw new HttpError(
          404,
          'unknown_operation',
          `Unknown operation${name ? ` "${name.slice(0, 100)}"` : ''}; see GET /openapi.json`,
        );
      }
      context.operation = op;
      if (!context.apiKey?.scopes.includes(op.scope)) {
        throw new HttpError(
          403,
          'forbidden',
          `This API key lacks the "${op.scope}" scope that ${op.name} needs`,
        );
      }
    },
  };
}
