import type { JsonSchema, Operation } from './types.ts';

/**
 * The controls a caller may add to a list-shaped operation (contract.md `POST /actions/{operation}`).
 * They steer pagination here and are never sent to Intercom.
 */
export const LIST_CONTROLS: Readonly<Record<'resultsPath' | 'limit' | 'next', JsonSchema>> = {
  resultsPath: {
    type: 'string',
    description:
      'Dot path of the array in Intercom\'s response (e.g. "users" or "$.users"); pages are followed.',
    pattern: '^(\\$\\.)?[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$',
    maxLength: 256,
  },
  limit: {
    type: 'integer',
    description:
      'Maximum number of items to return; fewer, with a `next`, when the answer would pass 5 MiB or 20 s.',
    minimum: 1,
    maximum: 10_000,
  },
  next: {
    type: 'string',
    description: 'The cursor a previous call returned.',
    minLength: 1,
    maxLength: 8192,
  },
};

/**
 * The JSON Schema of an operation's input: its parameters by their connector names, its `$body` under
 * `body`, and the list controls when the operation is list-shaped. Unknown fields are rejected so a
 * misspelt parameter is an error rather than silently ignored.
 */
export function inputSchema(op: Operation): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const [name, param] of Object.entries(op.params)) {
    properties[name] = { description: param.description, ...param.schema };
    if (param.required) required.push(name);
  }
  if (op.body) {
    properties.body = { description: op.body.description, ...op.body.schema };
    if (op.body.required) required.push('body');
  }
  if (op.resultsKeys) Object.assign(properties, LIST_CONTROLS);
  const schema: JsonSchema = {
    $id: `intercom-actions/${op.name}`,
    title: op.name,
    description: op.summary,
    type: 'object',
    properties,
    additionalProperties: false,
  };
  if (required.length > 0) schema.required = required;
  if (op.constraints) schema.allOf = [op.constraints];
  return schema;
}
