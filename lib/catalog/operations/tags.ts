import { atLeastOneOf, body, idString, pathParam } from '../params.ts';
import type { JsonSchema, OperationSpec } from '../types.ts';

const untag = { type: 'boolean' };
/** Intercom recommends at most 50 objects per tagging request; 1,000 bounds hostile input. */
const taggingFields: JsonSchema = {
  id: idString,
  name: { type: 'string', minLength: 1, maxLength: 255 },
  users: {
    type: 'array',
    maxItems: 1000,
    items: {
      type: 'object',
      properties: { id: idString, user_id: idString, email: idString, untag },
      ...atLeastOneOf('id', 'user_id', 'email'),
    },
  },
  companies: {
    type: 'array',
    maxItems: 1000,
    items: {
      type: 'object',
      properties: { id: idString, company_id: idString, untag },
      ...atLeastOneOf('id', 'company_id'),
    },
  },
};
/** One request cannot tag users and companies at once. */
const notBoth: JsonSchema = { not: { required: ['users', 'companies'] } };
const taggingDescription =
  'Tag by name (case-insensitive, idempotent); `users: [{id|user_id|email, untag?}]` (leads by `id`) or `companies: [{id|company_id, untag?}]`, not both.';

export const tagOperations: OperationSpec[] = [
  {
    name: 'create_tag',
    group: 'tags',
    summary: 'Create a tag, and tag or untag users, leads or companies with it.',
    method: 'POST',
    path: '/tags',
    params: {},
    body: body(`\`{"name": "..."}\`. ${taggingDescription}`, {
      properties: taggingFields,
      required: ['name'],
      ...notBoth,
    }),
    example: { body: { name: 'VIP', users: [{ email: 'ada@example.com' }] } },
    pagination: 'none',
    retrySafe: true,
    successStatus: 200,
  },
  {
    name: 'delete_tag',
    group: 'tags',
    summary: 'Delete a tag.',
    method: 'DELETE',
    path: '/tags/{id}',
    params: { id: pathParam('Tag ID') },
    pagination: 'none',
    retrySafe: true,
    successStatus: 200,
  },
  {
    name: 'list_tags',
    group: 'tags',
    summary: "List the app's tags.",
    method: 'GET',
    path: '/tags',
    params: {},
    resultsKeys: ['tags'],
    pagination: 'none',
    retrySafe: true,
    successStatus: 200,
  },
  {
    name: 'update_tag',
    group: 'tags',
    summary: 'Rename a tag (`id` + new `name`); tagging arrays are accepted too.',
    method: 'POST',
    path: '/tags',
    params: {},
    body: body(`\`{"id": "<tag id>", "name": "<new name>"}\`. ${taggingDescription}`, {
      properties: taggingFields,
      required: ['id', 'name'],
      ...notBoth,
    }),
    pagination: 'none',
    retrySafe: true,
    successStatus: 200,
  },
];
