import { atLeastOneOf, body, email, idOrUserIdRef, idString, pathParam, userRef } from '../params.ts';
import type { OperationSpec } from '../types.ts';

const visitorRef = idOrUserIdRef;

export const visitorOperations: OperationSpec[] = [
  {
    name: 'convert_visitor',
    group: 'visitors',
    summary: 'Convert a visitor to a user (type "user") or to a lead (type "lead").',
    method: 'POST',
    path: '/visitors/convert',
    params: {},
    body: body(
      '`{"visitor": {id|user_id}, "user": {id|user_id|email}, "type": "user"}` or `{"visitor": {...}, "type": "lead"}`',
      {
        properties: { visitor: visitorRef, user: userRef, type: { type: 'string', enum: ['user', 'lead'] } },
        required: ['visitor', 'type'],
        if: { properties: { type: { const: 'user' } } },
        then: { required: ['user'] },
      },
    ),
    example: { body: { visitor: { user_id: '8a1f2c3e' }, user: { email: 'ada@example.com' }, type: 'user' } },
    pagination: 'none',
    retrySafe: false,
    successStatus: 200,
  },
  {
    name: 'delete_visitor',
    group: 'visitors',
    summary: 'Delete a visitor by user_id.',
    method: 'DELETE',
    path: '/visitors/{id}',
    params: { user_id: { in: 'query', required: true, description: 'User ID', schema: idString } },
    lookup: { from: 'user_id', path: '/visitors', query: 'user_id', into: 'id' },
    pagination: 'none',
    retrySafe: true,
    successStatus: 200,
    notes:
      'Intercom 1.x documents deleting visitors only by id, so the visitor is first found with the documented `GET /visitors?user_id=` and then deleted with `DELETE /visitors/{id}` (two requests).',
  },
  {
    name: 'delete_visitor_by_id',
    group: 'visitors',
    summary: 'Delete a visitor by Intercom id.',
    method: 'DELETE',
    path: '/visitors/{id}',
    params: { id: pathParam('Visitor ID') },
    pagination: 'none',
    retrySafe: true,
    successStatus: 200,
  },
  {
    name: 'get_visitor',
    group: 'visitors',
    summary: 'Get a visitor.',
    method: 'GET',
    path: '/visitors/{id}',
    params: { id: pathParam('Visitor ID') },
    pagination: 'none',
    retrySafe: true,
    successStatus: 200,
  },
  {
    name: 'update_visitor',
    group: 'visitors',
    summary: 'Update a visitor identified by `id` or `user_id` in the body.',
    method: 'PUT',
    path: '/visitors',
    params: {},
    body: body(
      '`id` or `user_id` of the visitor plus attributes (`name`, `custom_attributes`, ...). Setting `email` turns the visitor into a lead.',
      {
        properties: { id: idString, user_id: idString, email, custom_attributes: { type: 'object' } },
        ...atLeastOneOf('id', 'user_id'),
      },
    ),
    pagination: 'none',
    retrySafe: true,
    successStatus: 200,
  },
];
