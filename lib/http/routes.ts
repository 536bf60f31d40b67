/**
 * The HTTP routing table, derived from the catalog: the local server and the CDK app both read it,
 * so `npm start` routes exactly as API Gateway will.
 */
import { GROUPS, type Group, operations } from '../catalog/index.ts';

/** Each operation group is one Lambda; `meta` serves health, the OpenAPI document and unknown routes. */
export type FunctionName = Group | 'meta';
export const FUNCTION_NAMES: readonly FunctionName[] = [...GROUPS, 'meta'];

export interface Route {
  method: 'GET' | 'POST';
  path: string;
  target: FunctionName;
  /** Needs no API key. */
  public?: boolean;
}

export const ACTION_PREFIX = '/actions/';

export const routes: readonly Route[] = [
  ...operations.map(
    (op): Route => ({ method: 'POST', path: `${ACTION_PREFIX}${op.name}`, target: op.group }),
  ),
  { method: 'GET', path: '/health', target: 'meta', public: true },
  { method: 'GET', path: '/openapi.json', target: 'meta', public: true },
];

/** Where API Gateway's `$default` route goes: the contract's 404s (`unknown_operation`, `not_found`). */
export const DEFAULT_TARGET: FunctionName = 'meta';

export function routeKey(route: Route): string {
  return `${route.method} ${route.path}`;
}

const byKey = new Map(routes.map((route) => [routeKey(route), route]));

/** The route for a method and path, or undefined (the `$default` route then applies). */
export function matchRoute(method: string, path: string): Route | undefined {
  return byKey.get(`${method.toUpperCase()} ${path}`);
}
