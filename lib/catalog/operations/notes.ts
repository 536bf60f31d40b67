import { atLeastOneOf, body, email, idString, pathParam, queryParam, userRef } from '../params.ts';
import type { OperationSpec } from '../types.ts';

/**
 * The connector's note body is Intercom's Note *model* (`author: {id}`); the create call wants
 * `admin_id`. An explicit `admin_id` wins.
 */
function noteModelToRequest(note: Record<string, unknown>): Record<string, unknown> {
  const { author, ...rest } = note;
  const authorId = author && typeof author === 'object' ? (author as { id?: unknown }).id : undefined;
  if (rest.admin_id === undefined && authorId !== undefined) rest.admin_id = String(authorId);
  return rest;
}

export const noteOperations: OperationSpec[] = [
  {
    name: 'create_note',
    group: 'notes',
    summary: 'Create a note on a user.',
    method: 'POST',
    path: '/notes',
    params: {},
    body: body(
      '`{"body": "text or HTML", "user": {id|user_id|email}, "admin_id"?: "author"}` (an `author: {id}` is read as `admin_id`).',
      {
        properties: {
          body: { type: 'string', minLength: 1, maxLength: 65_536 },
          user: userRef,
          admin_id: idString,
          author: { type: 'object', properties: { id: idString } },
        },
        required: ['body', 'user'],
      },
      { adapt: noteModelToRequest },
    ),
    pagination: 'none',
    retrySafe: false,
    successStatus: 200,
  },
  {
    name: 'get_note',
    group: 'notes',
    summary: 'Get a note.',
    method: 'GET',
    path: '/notes/{id}',
    params: { id: pathParam('Note ID') },
    pagination: 'none',
    retrySafe: true,
    successStatus: 200,
  },
  {
    name: 'list_notes_for_user',
    group: 'notes',
    summary: 'List the notes of a user.',
    method: 'GET',
    path: '/notes',
    params: {
      email: queryParam('User email', email),
      id: queryParam('Intercom user id'),
      user_id: queryParam('User id'),
    },
    constraints: atLeastOneOf('email', 'id', 'user_id'),
    resultsKeys: ['notes'],
    pagination: 'pages',
    retrySafe: true,
    successStatus: 200,
  },
];
