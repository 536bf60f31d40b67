/** Building blocks for declaring operations: parameter and schema shapes used across the catalog. */
import type { BodySpec, JsonSchema, ParamSpec } from './types.ts';

/** Identifiers are short in Intercom; a bound keeps hostile input from reaching the wire. */
const ID_MAX = 255;
const TEXT_MAX = 4096;

export const idString: JsonSchema = { type: 'string', minLength: 1, maxLength: ID_MAX };
/**
 * A path value may hold any character (it is percent-encoded) except a whole `.` or `..`: servers
 * and proxies resolve `%2E%2E` like `..` (WHATWG URL), which would send the call to another endpoint.
 */
export const DOT_SEGMENT_PATTERN = '^(?!\\.\\.?$)';
const pathId: JsonSchema = { ...idString, pattern: DOT_SEGMENT_PATTERN };
export const text: JsonSchema = { type: 'string', maxLength: TEXT_MAX };
export const email: JsonSchema = { type: 'string', minLength: 3, maxLength: 320 };
export const unixTime: JsonSchema = { type: 'integer', minimum: 0 };
/** Intercom's ids and enum values are strings, but the connector types some as numbers: accept both. */
export const stringOrNumber: JsonSchema = { type: ['string', 'number'], maxLength: ID_MAX };
export const order: JsonSchema = { type: 'string', enum: ['asc', 'desc'] };

export function pathParam(description: string): ParamSpec {
  return { in: 'path', required: true, description, schema: pathId };
}

export function queryParam(description: string, schema: JsonSchema = idString, required = false): ParamSpec {
  return { in: 'query', description, schema, required };
}

export function bodyParam(description: string, schema: JsonSchema, required = false): ParamSpec {
  return { in: 'body', description, schema, ...(required ? { required } : {}) };
}

/** `anyOf` of single required names: "give at least one of these". */
export function atLeastOneOf(...names: string[]): JsonSchema {
  return { anyOf: names.map((name) => ({ required: [name] })) };
}

/** An object that identifies a user by Intercom id, user_id or email (what Intercom bodies accept). */
export const userRef: JsonSchema = {
  type: 'object',
  properties: { id: idString, user_id: idString, email, intercom_user_id: idString },
  ...atLeastOneOf('id', 'user_id', 'email', 'intercom_user_id'),
};

export function body(description: string, schema: JsonSchema, extra: Partial<BodySpec> = {}): BodySpec {
  return { required: true, description, schema: { type: 'object', ...schema }, ...extra };
}

/** The connector calls it `scroll`; Intercom reads `scroll_param`. */
export const scrollParam: ParamSpec = {
  in: 'query',
  description: 'scroll parameter (the `scroll_param` of the previous page)',
  schema: { type: 'string', minLength: 1, maxLength: 2048 },
  wireName: 'scroll_param',
};

/** Leads and visitors are identified by Intercom `id` or their `user_id`. */
export const idOrUserIdRef: JsonSchema = {
  type: 'object',
  properties: { id: idString, user_id: idString },
  ...atLeastOneOf('id', 'user_id'),
};
