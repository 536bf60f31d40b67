/** Resolves `POST /actions/{operation}` to this function's operation (404) and checks the key's scope (403). */
import type { MiddlewareObj } from '@middy/core';
import { findOperation, type Group } from '../../catalog/index.ts';
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

export function resolveOperation(group: Group): MiddlewareObj<HttpEvent, HttpResult, Error, ActionContext> {
  return {
    name: 'resolveOperation',
    before: ({ event, context }) => {
      const name = operationName(event);
      const op = name === undefined ? undefined : findOperation(name);
      // Another group's operation is unknown here: each function serves (and may call) only its own.
      if (!op || op.group !== group) {
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
