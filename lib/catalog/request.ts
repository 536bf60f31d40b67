import { API_VERSIONS, type ApiVersion, type Operation } from './types.ts';

/** What goes on the wire for one call: method, encoded path, query and JSON body. */
export interface WireRequest {
  method: Operation['method'];
  path: string;
  query: Record<string, string>;
  body?: Record<string, unknown>;
}

export type OperationInput = Readonly<Record<string, unknown>>;

/**
 * Percent-encodes one path segment. A bare `.` or `..` cannot be one segment at all (servers resolve
 * even `%2E%2E` as `..`), so it is refused here as well as by the catalog's schema.
 */
export function encodePathSegment(value: string): string {
  if (value === '.' || value === '..') throw new TypeError(`"${value}" cannot be a path segment`);
  return encodeURIComponent(value);
}

export function versionAtLeast(version: ApiVersion, since: ApiVersion): boolean {
  return API_VERSIONS.indexOf(version) >= API_VERSIONS.indexOf(since);
}

function wireValue(value: unknown): string {
  return typeof value === 'string'
    ? value
    : typeof value === 'object'
      ? JSON.stringify(value)
      : String(value);
}

/** Fills `{name}` placeholders; a missing value is a caller bug (validation runs first). */
export function fillPath(template: string, values: Readonly<Record<string, unknown>>): string {
  return template.replace(/\{([a-z_]+)\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined || value === null || value === '') {
      throw new TypeError(`Path parameter "${name}" is missing`);
    }
    return encodePathSegment(wireValue(value));
  });
}

function buildBody(op: Operation, input: OperationInput): Record<string, unknown> | undefined {
  const given = (input.body ?? input.$body) as Record<string, unknown> | undefined;
  let body: Record<string, unknown> | undefined = given ? { ...given } : undefined;
  for (const [name, param] of Object.entries(op.params)) {
    if (param.in !== 'body' || input[name] === undefined) continue;
    body ??= {};
    body[param.wireName ?? name] = input[name];
  }
  const spec = op.body;
  if (!spec) return body;
  if (spec.constants) body = { ...body, ...spec.constants };
  if (body && spec.renames) {
    for (const [from, to] of Object.entries(spec.renames)) {
      if (!(from in body)) continue;
      if (body[to] === undefined) body[to] = body[from];
      delete body[from];
    }
  }
  return body && spec.adapt ? spec.adapt(body) : body;
}

/**
 * Maps validated operation input to Intercom's wire format, for the given API version. For an
 * operation with a `lookup`, pass the looked-up id as the `into` parameter.
 */
export function buildRequest(op: Operation, input: OperationInput, version: ApiVersion): WireRequest {
  const versioned =
    op.versionedPath && versionAtLeast(version, op.versionedPath.since) ? op.versionedPath : undefined;
  const query: Record<string, string> = { ...versioned?.query };
  for (const [name, param] of Object.entries(op.params)) {
    const value = input[name];
    if (param.in !== 'query' || value === undefined || value === null) continue;
    if (op.lookup?.from === name) continue;
    query[param.wireName ?? name] = wireValue(value);
  }
  const request: WireRequest = {
    method: op.method,
    path: fillPath(versioned?.path ?? op.path, input),
    query,
  };
  const body = buildBody(op, input);
  if (body !== undefined) request.body = body;
  return request;
}

export function queryString(query: Readonly<Record<string, string>>): string {
  const search = new URLSearchParams(query).toString();
  return search ? `?${search}` : '';
}
