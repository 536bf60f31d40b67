import type { Operation } from './types.ts';

/**
 * The array an operation's response holds: the first declared results key present; a single object
 * (find_user by email in 1.0, list_leads by user_id, list_companies by company_id) becomes a one-item
 * array, so callers never care which shape Intercom chose.
 */
export function extractItems(op: Operation, response: unknown): unknown[] {
  if (response === null || typeof response !== 'object') return [];
  const record = response as Record<string, unknown>;
  for (const key of op.resultsKeys ?? []) {
    const value = record[key];
    if (Array.isArray(value)) return value;
  }
  const type = record.type;
  if (typeof type === 'string' && !type.endsWith('.list') && 'id' in record) return [record];
  return [];
}

/** Reads a dot path such as `users`, `$.users` or `data.items` from a JSON value. */
export function selectPath(value: unknown, path: string): unknown {
  const segments = path
    .replace(/^\$\.?/, '')
    .split('.')
    .filter(Boolean);
  let current: unknown = value;
  for (const segment of segments) {
    if (current === null || typeof current !== 'object') return undefined;
    if (!Object.hasOwn(current, segment)) return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}
