import type { HttpResult } from './types.ts';

/**
 * On every API response (request-context.ts adds them last, errors and 404s included): no cache keeps
 * an answer (they carry customer data and are per key), and no browser guesses a content type.
 * Static assets, if ever served, may set their own cache policy.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

export function jsonResponse(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): HttpResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}
