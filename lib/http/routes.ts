/**
 * The HTTP routing table, derived from the catalog: the local server and the CDK app both read it,
 * so `npm start` routes exactly as API Gateway will.
 */
import { GROUPS, type Group, type Operation, operations } from '../catalog/index.ts';
import { exportableOperations } from '../exports/exportable.ts';

/**
 * Each operation group is one Lambda; `bulk` takes and reports bulk jobs; `webhooks` takes Intercom's
 * notifications; `automations` serves the automation run log; `meta` serves health, the OpenAPI
 * document and unknown routes.
 */
export type FunctionName = Group | 'bulk' | 'webhooks' | 'automations' | 'meta' | 'exports';
export const FUNCTION_NAMES: readonly FunctionName[] = [
  ...GROUPS,
  'bulk',
  'webhooks',
  'automations',
  'meta',
  'exports',
];

export interface Route {
  method: 'GET' | 'POST';
  /** API Gateway's route path; `{name}` segments are path parameters. */
  path: string;
  target: FunctionName;
  /** Needs no API key. */
  public?: boolean;
}

export const ACTION_PREFIX = '/actions/';
export const BULK_PREFIX = '/bulk/';

/**
 * Every operation but the scrolls runs in bulk: Intercom allows one open scroll per app, so a job of
 * scrolls would only trade `scroll_exists` errors.
 */
export function isBulkOperation(op: Operation): boolean {
  return op.pagination !== 'scroll';
}
export const routes: readonly Route[] = [
  ...operations.map(
    (op): Route => ({ method: 'POST', path: `${ACTION_PREFIX}${op.name}`, target: op.group }),
  ),
  ...operations
    .filter(isBulkOperation)
    .map((op): Route => ({ method: 'POST', path: `${BULK_PREFIX}${op.name}`, target: 'bulk' })),
  { method: 'GET', path: '/bulk/jobs', target: 'bulk' },
  { method: 'GET', path: '/bulk/jobs/{jobId}', target: 'bulk' },
  { method: 'GET', path: '/bulk/jobs/{jobId}/throughput', target: 'bulk' },
  { method: 'GET', path: '/bulk/jobs/{jobId}/failures', target: 'bulk' },
  { method: 'POST', path: '/bulk/jobs/{jobId}/retry-failed', target: 'bulk' },
  { method: 'POST', path: '/bulk/jobs/{jobId}/recover', target: 'bulk' },
  // Intercom signs its notifications instead of sending an API key.
  { method: 'POST', path: '/webhooks/intercom', target: 'webhooks', public: true },
  { method: 'GET', path: '/automations/runs', target: 'automations' },
  { method: 'GET', path: '/automations/runs/{notificationId}', target: 'automations' },
  { method: 'POST', path: '/automations/rules/{name}/fire', target: 'automations' },
  { method: 'GET', path: '/health', target: 'meta', public: true },
  { method: 'GET', path: '/openapi.json', target: 'meta', public: true },
  { method: 'GET', path: '/whoami', target: 'meta' },
  // The web console's page and assets hold no data (every data request carries the key): lib/console.
  { method: 'GET', path: '/console', target: 'meta', public: true },
  { method: 'GET', path: '/console/{asset}', target: 'meta', public: true },
  // Exports: the scrolls and the filtered lists, to a file (lib/exports/exportable.ts).
  ...exportableOperations.map(
    ({ op }): Route => ({ method: 'POST', path: `/exports/${op.name}`, target: 'exports' }),
  ),
  { method: 'GET', path: '/exports', target: 'exports' },
  { method: 'GET', path: '/exports/{exportId}', target: 'exports' },
];

/** Where API Gateway's `$default` route goes: the contract's 404s (`unknown_operation`, `not_found`). */
export const DEFAULT_TARGET: FunctionName = 'meta';

export function routeKey(route: Route): string {
  return `${route.method} ${route.path}`;
}

export interface RouteMatch {
  route: Route;
  pathParameters?: Record<string, string>;
}

const byKey = new Map(routes.map((route) => [routeKey(route), route]));
const templated = routes
  .filter((route) => route.path.includes('{'))
  .map((route) => {
    const names: string[] = [];
    // A `{name}` matches one non-empty segment, as API Gateway's greedy-less path variables do.
    const source = route.path
      .split('/')
      .map((segment) => {
        const variable = /^\{(\w+)\}$/.exec(segment);
        if (!variable) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        names.push(variable[1]!);
        return '([^/]+)';
      })
      .join('/');
    return { route, names, pattern: new RegExp(`^${source}$`) };
  });

/** The route for a method and path with its path parameters, or undefined (the `$default` route then applies). */
export function matchRoute(method: string, path: string): RouteMatch | undefined {
  const upper = method.toUpperCase();
  const exact = byKey.get(`${upper} ${path}`);
  if (exact) return { route: exact };
  for (const { route, names, pattern } of templated) {
    if (route.method !== upper) continue;
    const match = pattern.exec(path);
    if (!match) continue;
    const pathParameters: Record<string, string> = {};
    names.forEach((name, i) => {
      pathParameters[name] = match[i + 1]!;
    });
    return { route, pathParameters };
  }
  return undefined;
}
