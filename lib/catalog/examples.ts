/**
 * One valid input per operation: what the OpenAPI document shows (and Postman sends as imported) and
 * what `intercom-actions smoke` reads with. An operation's own `example` when it declares one;
 * otherwise derived from its input schema: the required parameters (and the first alternative of an
 * "at least one of"), each with a sample value. Conditional schemas (`if`/`then`) are not followed, so
 * operations with one declare their example; a test validates every example with the operation's
 * validator.
 */
import { inputSchema } from './input-schema.ts';
import type { JsonSchema, Operation } from './types.ts';

/** Sample values by parameter name, where a name says more than its type. */
const NAMED: Readonly<Record<string, string>> = {
  email: 'ada@example.com',
  user_id: '42',
  company_id: 'acme',
  name: 'VIP',
  event_name: 'ordered-item',
  body: 'Hello from intercom-actions',
};

/** 2026-01-01T00:00:00Z, for the `*_at`, `*_until`, `*_after` and `*_before` timestamps. */
const TIMESTAMP = 1_767_225_600;

function typesOf(schema: JsonSchema): string[] {
  const { type } = schema;
  if (Array.isArray(type)) return type as string[];
  if (typeof type === 'string') return [type];
  return schema.properties ? ['object'] : [];
}

function sampleOf(name: string, schema: JsonSchema): unknown {
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  const types = typesOf(schema);
  if (types.includes('object')) return derive(schema);
  if (types.includes('array')) {
    const items = (schema.items as JsonSchema | undefined) ?? {};
    return Number(schema.minItems ?? 0) > 0 ? [sampleOf(name, items)] : [];
  }
  if (/_(at|until|after|before)$/.test(name) && (types.includes('integer') || types.includes('number')))
    return TIMESTAMP;
  if (types.includes('string') || types.length === 0) {
    return NAMED[name] ?? (/(^|_)id$/.test(name) ? '1' : 'example');
  }
  if (types.includes('integer') || types.includes('number')) return Number(schema.minimum ?? 1);
  if (types.includes('boolean')) return true;
  return null;
}

/** The first alternative of each "at least one of" (`anyOf` of `required` lists), here or in `allOf`. */
function firstAlternatives(schema: JsonSchema): string[] {
  const groups = [schema, ...((schema.allOf as JsonSchema[] | undefined) ?? [])];
  return groups.flatMap((group) => {
    const [first] = (group.anyOf as JsonSchema[] | undefined) ?? [];
    return (first?.required as string[] | undefined) ?? [];
  });
}

function derive(schema: JsonSchema): Record<string, unknown> {
  const properties = (schema.properties as Record<string, JsonSchema> | undefined) ?? {};
  const names = new Set([...((schema.required as string[] | undefined) ?? []), ...firstAlternatives(schema)]);
  return Object.fromEntries([...names].map((name) => [name, sampleOf(name, properties[name] ?? {})]));
}

/** A valid input for the operation (a fresh copy: callers may change it). */
export function exampleInput(op: Operation): Record<string, unknown> {
  return structuredClone(op.example ?? derive(inputSchema(op)));
}
