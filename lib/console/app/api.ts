/**
 * The console's only way to the API: same origin, the key from `sessionStorage` (gone with the tab;
 * never in a URL or `localStorage`) on every request as a bearer token.
 */

const KEY_ITEM = 'intercom-actions.apiKey';

export const apiKey = {
  get: (): string | null => sessionStorage.getItem(KEY_ITEM),
  set: (key: string): void => sessionStorage.setItem(KEY_ITEM, key),
  clear: (): void => sessionStorage.removeItem(KEY_ITEM),
};

/** The API's base: the console is served at `<base>/console`, under a named stage too. */
const base = new URL('./', location.href);

export interface Issue {
  path: string;
  message: string;
}

/** An API error in the contract's shape: status, stable code, message and, for bad input, details. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: Issue[];
  constructor(status: number, code: string, message: string, details: Issue[] = []) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export interface Answer<T> {
  status: number;
  json: T;
}

/** A request and its answer, whatever the status (the operation form shows errors as answers). */
export async function send<T = unknown>(path: string, method = 'GET', body?: unknown): Promise<Answer<T>> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const key = apiKey.get();
  if (key) headers.authorization = `Bearer ${key}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(new URL(path.replace(/^\//, ''), base), {
    method,
    headers,
    cache: 'no-store',
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  return { status: res.status, json: json as T };
}

/** The answer's JSON, or an ApiError for any status but 2xx. */
export async function api<T>(path: string, method = 'GET', body?: unknown): Promise<T> {
  const { status, json } = await send<T>(path, method, body);
  if (status >= 200 && status < 300) return json;
  const error = (json as { error?: { code?: string; message?: string; details?: Issue[] } } | undefined)
    ?.error;
  throw new ApiError(
    status,
    error?.code ?? `http_${status}`,
    error?.message ?? `The API answered HTTP ${status}`,
    error?.details ?? [],
  );
}

/** A query string from the values that are set. */
export function query(values: Record<string, string | number | undefined | null>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(values))
    if (value !== undefined && value !== null && value !== '') params.set(name, String(value));
  const text = params.toString();
  return text ? `?${text}` : '';
}
