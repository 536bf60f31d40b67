import {
  atLeastOneOf,
  body,
  email,
  idString,
  order,
  pathParam,
  queryParam,
  scrollParam,
  stringOrNumber,
} from '../params.ts';
import type { BodySpec, OperationSpec } from '../types.ts';

const upsertUserBody: BodySpec = body(
  'The user: identifiers `user_id` and/or `email` (or Intercom `id`) plus attributes (`name`, `phone`, `signed_up_at`, `custom_attributes`, `companies: [{company_id, remove?}]`, ...).',
  {
    properties: { id: idString, user_id: idString, email, custom_attributes: { type: 'object' } },
    ...atLeastOneOf('user_id', 'email', 'id'),
  },
);

/** create_user and create_update_user are one Intercom call (`POST /users`) under two connector names. */
function upsertUser(name: string, summary: string): OperationSpec {
  return {
    name,
    group: 'users',
    summary,
    method: 'POST',
    path: '/users',
    params: {},
    body: upsertUserBody,
    example: {
      body: {
        user_id: '42',
        email: 'ada@example.com',
        name: 'Ada Lovelace',
        custom_attributes: { plan: 'pro' },
      },
    },
    pagination: 'none',
    retrySafe: true,
    successStatus: 200,
  };
}

const userIdentifiers = {
  email: queryParam('The email you have defined for the user', email),
  user_id: queryParam('The user id you have defined for the user'),
};

export const userOperations: OperationSpec[] = [
  {
    name: 'archive_user',
    group: 'users',
    summary: "Archive a user (a soft delete; Intercom's permanent delete is a different API).",
    method: 'DELETE',
    path: '/users',
    params: userIdentifiers,
    constraints: atLeastOneOf('email', 'user_id'),
    pagination: 'none',
    retrySafe: true,
    successStatus: 200,
  },
  upsertUser(
    'create_update_user',
    'Create a new user or update an existing user (upsert by user_id or email).',
  ),
  upsertUser(
    'create_user',
    'Create a new user or update an existing user (same upsert as create_update_user).',
  ),
  {
    name: 'find_user',
    group: 'users',
    summary: 'Find users by user_id or email.',
    method: 'GET',
    path: '/users',
    params: userIdentifiers,
    constraints: atLeastOneOf('email', 'user_id'),
    resultsKeys: ['users'],
    pagination: 'none',
    retrySafe: true,
    successStatus: 200,
    notes:
      'An email lookup returns a `user` in API 1.0 and a `user.list` in 1.1+ (several users can share an email); with `resultsPath` both come back as an array.',
  },
  {
    name: 'get_user',
    group: 'users',
    summary: 'Get a user by Intercom id.',
    method: 'GET',
    path: '/users/{id}',
    params: { id: pathParam('System-assigned user ID') },
    pagination: 'none',
    retrySafe: true,
    successStatus: 200,
  },
  {
    name: 'list_users',
    group: 'users',
    summary: 'List users.',
    method: 'GET',
    path: '/users',
    params: {
      created_since: queryParam('Limits results to users that were created in that last number of days.', {
        type: 'number',
        minimum: 0,
      }),
      order: queryParam('Returns the users in ascending or descending order.', order),
      // Not in the connector's list; Intercom 1.x takes them (reference #44, R1.4 list-by-tag-segment-company).
      segment_id: queryParam(
        'The users of this segment (string or number; sent as a string)',
        stringOrNumber,
      ),
      sort: queryParam('What field to sort the results by.', {
        type: 'string',
        enum: ['created_at', 'last_request_at', 'signed_up_at', 'updated_at'],
      }),
      tag_id: queryParam('The users with this tag (string or number; sent as a string)', stringOrNumber),
    },
    resultsKeys: ['users'],
    pagination: 'pages',
    retrySafe: true,
    successStatus: 200,
    notes:
      'tag_id and segment_id narrow the list to a tag or segment. Intercom stops paged lists at 10,000 records; use scroll_users beyond that.',
  },
  {
    name: 'scroll_users',
    group: 'users',
    summary: 'Scroll over all users (one open scroll per app; a scroll expires after 1 minute idle).',
    method: 'GET',
    path: '/users/scroll',
    params: { scroll: scrollParam },
    resultsKeys: ['users'],
    pagination: 'scroll',
    retrySafe: true,
    successStatus: 200,
  },
];
