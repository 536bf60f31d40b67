import { atLeastOneOf, body, email, idString, queryParam, unixTime } from '../params.ts';
import type { OperationSpec } from '../types.ts';

export const eventOperations: OperationSpec[] = [
  {
    name: 'create_event',
    group: 'events',
    summary: 'Submit an event for a user or lead (Intercom answers 202 with an empty body).',
    method: 'POST',
    path: '/events',
    params: {},
    body: body(
      '`event_name`, `created_at` (unix seconds), one of `user_id` / `email` / `id` (Intercom id; the way to target a lead), `metadata`.',
      {
        properties: {
          event_name: { type: 'string', minLength: 1, maxLength: 255 },
          created_at: unixTime,
          user_id: idString,
          email,
          id: idString,
          metadata: { type: 'object', maxProperties: 10 },
        },
        required: ['event_name', 'created_at'],
        ...atLeastOneOf('user_id', 'email', 'id'),
      },
    ),
    pagination: 'none',
    // Intercom does not document de-duplication of events: a repeat may count twice.
    retrySafe: false,
    successStatus: 202,
  },
  {
    name: 'list_events_for_user',
    group: 'events',
    summary: "List a user's events of the last 90 days (or their summary).",
    method: 'GET',
    path: '/events',
    params: {
      type: queryParam('Always "user"', { type: 'string', enum: ['user'] }, true),
      email: queryParam('User email', email),
      intercom_user_id: queryParam('Intercom user id (works for leads too)'),
      summary: queryParam('When set to true, event counts are returned grouped by event name.', {
        type: 'boolean',
      }),
      user_id: queryParam('User id'),
    },
    constraints: atLeastOneOf('email', 'intercom_user_id', 'user_id'),
    resultsKeys: ['events'],
    pagination: 'events_cursor',
    retrySafe: true,
    successStatus: 200,
  },
];
