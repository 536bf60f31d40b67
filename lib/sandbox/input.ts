/** Readers for request bodies and query strings that answer bad input with Intercom's 400s. */
import { invalid, missing, SandboxHttpError, typeMismatch } from './errors.ts';

export type Json = Record<string, unknown>;

export function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The body as a JSON object; no body reads as `{}` so required fields are reported by name. */
export function objectBody(body: unknown): Json {
  if (body === undefined) return {};
  if (!isObject(body))
    throw new SandboxHttpError(400, 'invalid_document', 'The request body must be a JSON object');
  return body;
}

export function optString(obj: Json, key: string): string | null | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return value;
  if (typeof value !== 'string') throw typeMismatch(key, 'a string');
  return value;
}

export function reqString(obj: Json, key: string): string {
  const value = optString(obj, key);
  if (value === undefined || value === null || value === '') throw missing(key);
  return value;
}

/** Intercom ids travel as strings, but numbers are accepted where clients commonly send them. */
export function optId(obj: Json, key: string): string | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isInteger(value)) return String(value);
  if (typeof value !== 'string') throw typeMismatch(key, 'a string');
  return value;
}

export function optInteger(obj: Json, key: string): number | null | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return value;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw typeMismatch(key, 'an integer');
  return value;
}

export function optNumber(obj: Json, key: string): number | null | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return value;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw typeMismatch(key, 'a number');
  return value;
}

export function optBoolean(obj: Json, key: string): boolean | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw typeMismatch(key, 'a boolean');
  return value;
}

export function optObject(obj: Json, key: string): Json | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw typeMismatch(key, 'an object');
  return value;
}

export function optArray(obj: Json, key: string): unknown[] | undefined {
  const value = obj[key];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw typeMismatch(key, 'an array');
  return value;
}

/** A non-negative integer query parameter. */
export function queryInteger(query: Record<string, string>, key: string): number | undefined {
  const raw = query[key];
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw)) throw invalid(key, `${key} must be a non-negative integer`);
  return Number(raw);
}

export function queryFlag(query: Record<string, string>, key: string): boolean {
  return query[key] === 'true';
}

export function queryEnum<T extends string>(
  query: Record<string, string>,
  key: string,
  values: readonly T[],
  fallback: T,
): T {
  const raw = query[key];
  if (raw === undefined || raw === '') return fallback;
  if (!(values as readonly string[]).includes(raw))
    throw invalid(key, `${key} must be one of ${values.join(', ')}`);
  return raw as T;
}

/** `{id | user_id | email}` as given, each a string when present. */
export function identifiers(obj: Json): { id?: string; user_id?: string; email?: string } {
  const out: { id?: string; user_id?: string; email?: string } = {};
  const id = optId(obj, 'id');
  const userId = optId(obj, 'user_id');
  const email = optString(obj, 'email');
  if (id) out.id = id;
  if (userId) out.user_id = userId;
  if (email) out.email = email;
  return out;
}
