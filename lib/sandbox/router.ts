/** Method + path-template matching. A literal segment beats a parameter (`/users/scroll` before `/users/{id}`). */
import type { Route } from './context.ts';

export type RouteMatch =
  | { kind: 'route'; route: Route; params: Record<string, string> }
  | { kind: 'method_not_allowed'; template: string; allowed: string[] }
  | { kind: 'none' };

interface Compiled {
  route: Route;
  segments: string[];
  literals: number;
}

function split(path: string): string[] {
  return path.split('/').filter((s) => s !== '');
}

const isParam = (segment: string) => segment.startsWith('{') && segment.endsWith('}');

function matchSegments(pattern: string[], segments: string[]): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    const s = segments[i]!;
    if (isParam(p)) {
      try {
        params[p.slice(1, -1)] = decodeURIComponent(s);
      } catch {
        return undefined;
      }
    } else if (p !== s) return undefined;
  }
  return params;
}

export class Router {
  readonly #routes: Compiled[];

  constructor(routes: Route[]) {
    this.#routes = routes
      .map((route) => {
        const segments = split(route.template);
        return { route, segments, literals: segments.filter((s) => !isParam(s)).length };
      })
      .sort((a, b) => b.literals - a.literals);
  }

  match(method: string, path: string): RouteMatch {
    const segments = split(path);
    let pathTemplate: string | undefined;
    const allowed: string[] = [];
    for (const compiled of this.#routes) {
      const params = matchSegments(compiled.segments, segments);
      if (!params) continue;
      if (compiled.route.method === method) return { kind: 'route', route: compiled.route, params };
      // Only the most specific template that fits the path decides which methods are allowed.
      pathTemplate ??= compiled.route.template;
      if (compiled.route.template === pathTemplate) allowed.push(compiled.route.method);
    }
    return pathTemplate ? { kind: 'method_not_allowed', template: pathTemplate, allowed } : { kind: 'none' };
  }
}
