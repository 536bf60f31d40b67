import {
  atLeastOneOf,
  body,
  bodyParam,
  email,
  idString,
  order,
  pathParam,
  queryParam,
  text,
  unixTime,
  userRef,
} from '../params.ts';
import type { BodySpec, JsonSchema, OperationSpec } from '../types.ts';

const displayAs = queryParam('Set to plaintext to retrieve conversation messages in plain text', {
  type: 'string',
  enum: ['plaintext'],
});

const replyFields: JsonSchema = {
  type: { type: 'string', enum: ['user', 'admin'] },
  message_type: { type: 'string', enum: ['comment', 'note', 'assignment', 'open', 'close', 'snoozed'] },
  body: { type: 'string', maxLength: 65_536 },
  admin_id: idString,
  assignee_id: idString,
  intercom_user_id: idString,
  user_id: idString,
  email,
  snoozed_until: unixTime,
  snooze_until: unixTime,
  attachment_urls: { type: 'array', maxItems: 10, items: { type: 'string', maxLength: 2048 } },
};

/** Conditions Intercom enforces on replies, checked before any request is spent. */
const replyRules: JsonSchema[] = [
  { if: { properties: { type: { const: 'admin' } }, required: ['type'] }, then: { required: ['admin_id'] } },
  {
    if: { properties: { message_type: { const: 'assignment' } }, required: ['message_type'] },
    then: { required: ['assignee_id'] },
  },
  {
    if: { properties: { message_type: { const: 'snoozed' } }, required: ['message_type'] },
    then: atLeastOneOf('snoozed_until', 'snooze_until'),
  },
  {
    if: { properties: { message_type: { enum: ['comment', 'note'] } }, required: ['message_type'] },
    then: { required: ['body'] },
  },
];

/** The connector spells it `snooze_until`; Intercom reads `snoozed_until`. */
const replyRenames = { snooze_until: 'snoozed_until' };

const replyBody: BodySpec = body(
  'A reply: `type` user|admin, `message_type` comment|note|assignment|open|close|snoozed, `body`, `admin_id` (admin), one of `intercom_user_id`/`user_id`/`email` (user), `assignee_id`, `snoozed_until` (or `snooze_until`), `attachment_urls`.',
  {
    properties: replyFields,
    required: ['type', 'message_type'],
    allOf: [
      ...replyRules,
      {
        if: { properties: { type: { const: 'user' } }, required: ['type'] },
        then: atLeastOneOf('intercom_user_id', 'user_id', 'email'),
      },
    ],
  },
  { renames: replyRenames },
);

export const conversationOperations: OperationSpec[] = [
  {
    name: 'add_customer_to_conversation',
    group: 'conversations',
    summary: 'Add a customer (user or lead) to a group conversation.',
    method: 'POST',
    path: '/conversations/{conversation_id}/customers',
    params: { conversation_id: pathParam('Conversation ID') },
    body: body(
      '`{"admin_id": "...", "customer": {intercom_user_id|user_id|email}}` (as an admin) or the acting customer\'s identifier instead of `admin_id`.',
      { properties: { admin_id: idString, customer: userRef }, required: ['customer'] },
    ),
    resultsKeys: ['customers'],
    pagination: 'none',
    // Adding a participant twice leaves one participant.
    retrySafe: true,
    successStatus: 200,
  },
  {
    name: 'delete_customer_to_conversation',
    group: 'conversations',
    summary: 'Remove a customer from a group conversation.',
    method: 'DELETE',
    path: '/conversations/{conversation_id}/customers/{id}',
    params: {
      conversation_id: pathParam('Conversation ID'),
      id: pathParam('Customer ID'),
      // R1.1/R1.4 deleting-from-group-conversations: Intercom refuses the removal without the acting
      // admin, so a call without it is stopped here rather than sent to fail.
      admin_id: bodyParam('The admin performing the removal (sent as the JSON body)', idString, true),
    },
    resultsKeys: ['customers'],
    pagination: 'none',
    retrySafe: true,
    successStatus: 200,
  },
  {
    name: 'get_conversation',
    group: 'conversations',
    summary: 'Get a single conversation with its parts.',
    method: 'GET',
    path: '/conversations/{id}',
    params: { id: pathParam('Conversation ID'), display_as: displayAs },
    pagination: 'none',
    retrySafe: true,
    successStatus: 200,
  },
  {
    name: 'list_conversations',
    group: 'conversations',
    summary: 'List conversations (for an admin, for a user, or all).',
    method: 'GET',
    path: '/conversations',
    params: {
      admin_id: queryParam(
        "The admin whose conversations to retrieve; 'nobody' for unassigned ones (with type=admin)",
      ),
      display_as: displayAs,
      email: queryParam('User email (with type=user)', email),
      intercom_user_id: queryParam('Intercom user id (with type=user)'),
      open: queryParam('true: only open conversations; false: only closed ones', { type: 'boolean' }),
      order: queryParam('Sort order', order),
      sort: queryParam('Sort field', { type: 'string', enum: ['created_at', 'updated_at', 'waiting_since'] }),
      type: queryParam('The type of entity to query for.', { type: 'string', enum: ['admin', 'user'] }),
      unread: queryParam('true: only unread conversations', { type: 'boolean' }),
      user_id: queryParam('User id (with type=user)'),
    },
    constraints: {
      allOf: [
        {
          if: { properties: { type: { const: 'admin' } }, required: ['type'] },
          then: { required: ['admin_id'] },
        },
        {
          if: { properties: { type: { const: 'user' } }, required: ['type'] },
          then: atLeastOneOf('intercom_user_id', 'user_id', 'email'),
        },
      ],
    },
    resultsKeys: ['conversations'],
    pagination: 'pages',
    retrySafe: true,
    successStatus: 200,
    notes: 'List items omit `conversation_parts`; get_conversation returns them.',
  },
  {
    name: 'mark_conversation_as_read',
    group: 'conversations',
    summary: 'Mark a conversation as read.',
    method: 'PUT',
    path: '/conversations/{id}',
    params: { id: pathParam('Conversation ID') },
    body: {
      ...body('Optional extra fields; `read: true` is always sent.', {}),
      required: false,
      constants: { read: true },
    },
    pagination: 'none',
    retrySafe: true,
    successStatus: 200,
  },
  {
    name: 'post_message',
    group: 'conversations',
    summary:
      'Send a message: admin-initiated (in-app or email) or user/lead-initiated (starts a conversation).',
    method: 'POST',
    path: '/messages',
    params: {},
    body: body(
      'Admin-initiated: `message_type` inapp|email, `subject` (email), `body`, `template` plain|personal, `from: {type: "admin", id}`, `to: {type: "user"|"contact", id|user_id|email}`. User-initiated: `from: {type: "user"|"contact", id|user_id|email}`, `body`.',
      {
        properties: {
          message_type: { type: 'string', enum: ['inapp', 'email'] },
          subject: text,
          body: { type: 'string', maxLength: 65_536 },
          template: { type: 'string', enum: ['plain', 'personal'] },
          from: {
            type: 'object',
            properties: { type: { type: 'string', enum: ['admin', 'user', 'contact'] } },
            required: ['type'],
          },
          to: { type: 'object', properties: { type: { type: 'string', enum: ['user', 'contact'] } } },
        },
        required: ['from', 'body'],
        allOf: [
          {
            if: { properties: { message_type: { const: 'email' } }, required: ['message_type'] },
            then: { required: ['subject'] },
          },
          {
            if: { properties: { from: { properties: { type: { const: 'admin' } } } } },
            then: { required: ['to'] },
          },
        ],
      },
    ),
    example: {
      body: {
        message_type: 'inapp',
        body: 'Hello from intercom-actions',
        template: 'plain',
        from: { type: 'admin', id: '814860' },
        to: { type: 'user', email: 'ada@example.com' },
      },
    },
    pagination: 'none',
    retrySafe: false,
    successStatus: 200,
  },
  {
    name: 'post_reply',
    group: 'conversations',
    summary: 'Reply to a conversation (comment, note, assign, open, close or snooze).',
    method: 'POST',
    path: '/conversations/{conversation_id}/reply',
    params: { conversation_id: pathParam('Conversation ID') },
    body: replyBody,
    example: {
      conversation_id: '123',
      body: { type: 'admin', admin_id: '814860', message_type: 'comment', body: 'Thanks, we are on it.' },
    },
    pagination: 'none',
    retrySafe: false,
    successStatus: 200,
  },
  {
    name: 'post_reply_to_last_conversation',
    group: 'conversations',
    summary: "Reply to the identified user's most recent conversation.",
    method: 'POST',
    path: '/conversations/last/reply',
    params: {},
    body: body(
      'The same fields as post_reply; the user must be identified (`intercom_user_id`, `user_id` or `email`).',
      {
        properties: replyFields,
        required: ['type', 'message_type'],
        allOf: [...replyRules, atLeastOneOf('intercom_user_id', 'user_id', 'email')],
      },
      { renames: replyRenames },
    ),
    example: {
      body: { type: 'user', email: 'ada@example.com', message_type: 'comment', body: 'One more question.' },
    },
    pagination: 'none',
    retrySafe: false,
    successStatus: 200,
  },
];
