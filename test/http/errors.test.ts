import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type ActionStack, actionStack, keyWith, TOKEN } from '../helpers/action-stack.ts';
import { errorList, JSON_HEADERS, rateHeaders } from '../helpers/mock-intercom.ts';

let stack: ActionStack;
beforeAll(async () => {
  stack = await actionStack();
});
afterAll(async () => {
  await stack.agent.close();
});

function expectError(
  res: { statusCode?: number; json: any; headers?: Record<string, unknown> },
  status: number,
  code: string,
) {
  expect(res.statusCode).toBe(status);
  expect(res.json.error).toMatchObject({ status, code });
  expect(typeof res.json.error.message).toBe('string');
  expect(res.json.error.requestId).toBe(res.headers?.['x-request-id']);
}

describe('the contract error table, row by row', () => {
  it('400 invalid_json: the body is not JSON', async () => {
    const res = await stack.invoke({
      path: '/actions/get_user',
      body: '{"id":',
      headers: { 'content-type': 'application/json' },
    });
    expectError(res, 400, 'invalid_json');
  });

  it('400 validation_failed: details list each offending field', async () => {
    const res = await stack.invoke({
      path: '/actions/list_users',
      body: { order: 'sideways', sort: 1, extra: true },
    });
    expectError(res, 400, 'validation_failed');
    expect(res.json.error.details).toEqual(
      expect.arrayContaining([
        { path: '/order', message: 'must be one of: asc, desc' },
        { path: '/sort', message: 'must be string' },
        { path: '/extra', message: 'is not a known parameter' },
      ]),
    );
  });

  it('400 validation_failed: a path id of "." or ".." (servers resolve even %2E%2E), never sent', async () => {
    for (const [operation, body] of [
      ['get_user', { id: '..' }],
      ['list_users_for_company', { id: '.' }],
      [
        'post_reply',
        { conversation_id: '..', body: { type: 'user', message_type: 'comment', body: 'x', user_id: '1' } },
      ],
    ] as const) {
      const res = await stack.invoke({ path: `/actions/${operation}`, body });
      expectError(res, 400, 'validation_failed');
      const field = operation === 'post_reply' ? '/conversation_id' : '/id';
      expect(res.json.error.details).toEqual([
        { path: field, message: 'cannot be "." or ".." (it is one segment of the Intercom URL)' },
      ]);
    }
    const ok = await stack.invoke({ path: '/actions/get_user', body: { id: '...' } });
    expect(ok.statusCode).not.toBe(400);
  });

  it('400 validation_failed: a body nested too deep, or a lone surrogate in any string (never a 500)', async () => {
    const deep = `{"body":{"name":"d","x":${'{"a":'.repeat(8000)}1${'}'.repeat(8000)}}}`;
    const nested = await stack.invoke({
      path: '/actions/create_tag',
      body: deep,
      headers: { 'content-type': 'application/json' },
    });
    expectError(nested, 400, 'validation_failed');
    expect(nested.json.error.details[0].message).toBe('nests deeper than 64 levels');
    for (const [operation, body, path] of [
      ['get_user', '{"id":"\\ud800"}', '/id'],
      ['find_user', '{"email":"\\udc00@example.com"}', '/email'],
      ['create_tag', '{"body":{"name":"x","\\ud800":1}}', '/body'],
    ] as const) {
      const res = await stack.invoke({
        path: `/actions/${operation}`,
        body,
        headers: { 'content-type': 'application/json' },
      });
      expectError(res, 400, 'validation_failed');
      expect(res.json.error.details[0].path).toBe(path);
    }
  });

  it('400 validation_failed: a number JSON cannot carry exactly, anywhere in the body, is never sent', async () => {
    const TOO_LARGE = 'is a number too large for JSON (it would be sent as null)';
    const INEXACT =
      'is a number beyond ±9007199254740991 (2^53-1), which cannot be sent exactly: send it as a string';
    const attrs = (value: string) => `{"body":{"user_id":"n","custom_attributes":{"x":${value}}}}`;
    for (const [operation, body, path, message] of [
      ['create_update_user', attrs('1e309'), '/body/custom_attributes/x', TOO_LARGE],
      ['create_update_user', attrs('-1e309'), '/body/custom_attributes/x', TOO_LARGE],
      ['create_update_user', attrs('9007199254740993'), '/body/custom_attributes/x', INEXACT],
      ['create_update_user', attrs('9007199254740992'), '/body/custom_attributes/x', INEXACT],
      ['create_update_user', attrs('-9007199254740992'), '/body/custom_attributes/x', INEXACT],
      ['create_update_user', attrs('1e+23'), '/body/custom_attributes/x', INEXACT],
      ['create_update_user', attrs('1.5e300'), '/body/custom_attributes/x', INEXACT],
      [
        'create_tag',
        '{"body":{"name":"x","users":[{"id":"1"},{"id":1e400}]}}',
        '/body/users/1/id',
        TOO_LARGE,
      ],
      ['list_companies', '{"tag_id":12345678901234567890}', '/tag_id', INEXACT],
      ['list_users', '{"limit":1e999}', '/limit', TOO_LARGE],
    ] as const) {
      const res = await stack.invoke({
        path: `/actions/${operation}`,
        body,
        headers: { 'content-type': 'application/json' },
      });
      expectError(res, 400, 'validation_failed');
      expect(res.json.error.details).toEqual([{ path, message }]);
    }
  });

  it('numbers within 2^53-1 reach Intercom as written', async () => {
    const attributes =
      '{"max":9007199254740991,"min":-9007199254740991,"tenth":0.1,"id":123456789012,"small":1.5e-7,"zero":0}';
    let sent = '';
    stack.pool.intercept({ path: '/users', method: 'POST' }).reply((opts) => {
      sent = String(opts.body);
      return { statusCode: 200, data: { type: 'user', id: 'n' }, responseOptions: { headers: JSON_HEADERS } };
    });
    const res = await stack.invoke({
      path: '/actions/create_update_user',
      body: `{"body":{"user_id":"n","custom_attributes":${attributes}}}`,
      headers: { 'content-type': 'application/json' },
    });
    expect(res.statusCode).toBe(200);
    expect(sent).toBe(`{"user_id":"n","custom_attributes":${attributes}}`);
  });

  it('400 validation_failed: a body that is not an object', async () => {
    for (const body of ['[]', '"x"', 'null', '42']) {
      const res = await stack.invoke({
        path: '/actions/get_user',
        body,
        headers: { 'content-type': 'application/json' },
      });
      expectError(res, 400, 'validation_failed');
    }
  });

  it('401 unauthorized: no key, an unknown key, a malformed header; x-api-key works', async () => {
    expectError(await stack.invoke({ path: '/actions/list_tags', key: null }), 401, 'unauthorized');
    const unknown = await stack.invoke({ path: '/actions/list_tags', key: 'ia_not_a_real_key_at_all' });
    expectError(unknown, 401, 'unauthorized');
    expect(JSON.stringify(unknown.json)).not.toContain('ia_not_a_real_key_at_all');
    expectError(
      await stack.invoke({ path: '/actions/list_tags', key: null, headers: { authorization: 'Basic abc' } }),
      401,
      'unauthorized',
    );
    stack.pool
      .intercept({ path: '/tags', method: 'GET' })
      .reply(200, { type: 'tag.list', tags: [] }, { headers: JSON_HEADERS });
    const viaHeader = await stack.invoke({
      path: '/actions/list_tags',
      key: null,
      headers: { 'x-api-key': 'ia_full_key_0123456789abcdef' },
    });
    expect(viaHeader.statusCode).toBe(200);
    // A proxy's own Authorization (Basic) does not hide the x-api-key.
    stack.pool
      .intercept({ path: '/tags', method: 'GET' })
      .reply(200, { type: 'tag.list', tags: [] }, { headers: JSON_HEADERS });
    const behindProxy = await stack.invoke({
      path: '/actions/list_tags',
      key: null,
      headers: { authorization: 'Basic cHJveHk6cGFzcw==', 'x-api-key': 'ia_full_key_0123456789abcdef' },
    });
    expect(behindProxy.statusCode).toBe(200);
    // A Bearer key is what counts when both are sent.
    const wrongBearer = await stack.invoke({
      path: '/actions/list_tags',
      key: 'ia_not_a_real_key_at_all',
      headers: { 'x-api-key': 'ia_full_key_0123456789abcdef' },
    });
    expectError(wrongBearer, 401, 'unauthorized');
  });

  it('403 forbidden: the key lacks the scope', async () => {
    const res = await stack.invoke({
      path: '/actions/delete_tag',
      key: keyWith(['read', 'write', 'bulk']),
      body: { id: '1' },
    });
    expectError(res, 403, 'forbidden');
    expect(res.json.error.message).toContain('"delete"');
  });

  it("404 unknown_operation: no such operation, or another group's operation", async () => {
    expectError(await stack.invoke({ path: '/actions/drop_database', body: {} }), 404, 'unknown_operation');
    const other = await stack.invoke({
      path: '/actions/get_user',
      routeKey: 'POST /actions/list_tags',
      body: {},
    });
    expectError(other, 404, 'unknown_operation');
  });

  it("404 not_found: no such route, and Intercom's not_found passes through", async () => {
    expectError(await stack.invoke({ method: 'GET', path: '/nope' }), 404, 'not_found');
    expectError(await stack.invoke({ method: 'GET', path: '/actions/get_user' }), 404, 'not_found');
    const trailing = await stack.invoke({ path: '/actions/get_user/' });
    expectError(trailing, 404, 'not_found');
    expect(trailing.json.error.message).toBe(
      'No route for POST /actions/get_user/; the route is exactly POST /actions/get_user',
    );
    stack.pool
      .intercept({ path: '/users/missing', method: 'GET' })
      .reply(404, errorList('not_found', 'User Not Found', 'ic-req-7'), { headers: JSON_HEADERS });
    const res = await stack.invoke({ path: '/actions/get_user', body: { id: 'missing' } });
    expectError(res, 404, 'not_found');
    expect(res.json.error).toMatchObject({ message: 'User Not Found', intercomRequestId: 'ic-req-7' });
  });

  it('413 payload_too_large: a body over the limit', async () => {
    const res = await stack.invoke({
      path: '/actions/create_user',
      body: { body: { user_id: 'u', name: 'x'.repeat(70 * 1024) } },
    });
    expectError(res, 413, 'payload_too_large');
  });

  it('415 unsupported_media_type: a body that is not application/json', async () => {
    const res = await stack.invoke({
      path: '/actions/get_user',
      body: 'id=1',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expectError(res, 415, 'unsupported_media_type');
  });

  it('415 unsupported_media_type: a charset other than UTF-8 (the body would be misread as UTF-8)', async () => {
    for (const type of [
      'application/json; charset=utf-16',
      'application/json;charset=ISO-8859-1',
      'application/json; charset="utf-16le"',
      'application/json; charset=klingon',
      'application/json; charset=utf-8; charset=utf-16',
    ]) {
      const res = await stack.invoke({
        path: '/actions/get_user',
        body: '{"id":"1"}',
        headers: { 'content-type': type },
      });
      expectError(res, 415, 'unsupported_media_type');
    }
  });

  it('UTF-8 however it is labelled, with or without a byte order mark; bytes that are not UTF-8 are 400 invalid_json', async () => {
    const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
    const cases: Array<[string, string | Buffer, boolean]> = [
      ['application/json; charset=utf-8', '{"id":"1"}', false],
      ['application/json; charset="UTF-8"', '{"id":"1"}', false],
      ['application/json;charset=utf8', '{"id":"1"}', false],
      ['application/json', '\uFEFF{"id":"1"}', false],
      ['application/json', Buffer.concat([BOM, Buffer.from('{"id":"1"}')]), true],
    ];
    stack.pool
      .intercept({ path: '/users/1', method: 'GET' })
      .reply(200, { type: 'user', id: '1' }, { headers: JSON_HEADERS })
      .times(cases.length);
    for (const [type, body, base64] of cases) {
      const res = await stack.invoke({
        path: '/actions/get_user',
        body,
        base64,
        headers: { 'content-type': type },
      });
      expect([type, res.statusCode]).toEqual([type, 200]);
    }
    const latin1 = await stack.invoke({
      path: '/actions/create_tag',
      body: Buffer.from('{"body":{"name":"caf\xe9"}}', 'latin1'),
      base64: true,
      headers: { 'content-type': 'application/json' },
    });
    expectError(latin1, 400, 'invalid_json');
    expect(latin1.json.error.message).toBe('The body is not valid UTF-8');
  });

  it('4xx: any other Intercom 4xx passes through with its status and code', async () => {
    stack.pool
      .intercept({ path: '/users', method: 'POST' })
      .reply(409, errorList('conflict', 'Multiple existing users match this email address', 'ic-409'), {
        headers: JSON_HEADERS,
      });
    const res = await stack.invoke({
      path: '/actions/create_user',
      body: { body: { email: 'dup@example.com' } },
    });
    expectError(res, 409, 'conflict');
    expect(res.json.error.intercomRequestId).toBe('ic-409');
  });

  it('429 rate_limited: with Retry-After', async () => {
    const reset = Math.floor(Date.now() / 1000) + 120;
    stack.pool
      .intercept({ path: '/tags', method: 'GET' })
      .reply(429, errorList('rate_limit_exceeded', 'Exceeded rate limit of 167 in 10_seconds'), {
        headers: rateHeaders(0, reset),
      });
    const res = await stack.invoke({ path: '/actions/list_tags', body: {} });
    expectError(res, 429, 'rate_limited');
    const retryAfter = Number(res.headers?.['retry-after']);
    expect(retryAfter).toBeGreaterThan(100);
    expect(retryAfter).toBeLessThanOrEqual(121);
  });

  it('502 upstream_error: Intercom failed after the allowed retries', async () => {
    stack.pool
      .intercept({ path: '/me', method: 'GET' })
      .reply(500, errorList('server_error', 'boom'), { headers: JSON_HEADERS })
      .times(4);
    expectError(
      await stack.invoke({ path: '/actions/get_current_admin_and_app', body: {} }),
      502,
      'upstream_error',
    );
  });

  it('503 upstream_unavailable: Intercom unavailable after the allowed retries', async () => {
    stack.pool
      .intercept({ path: '/teams', method: 'GET' })
      .reply(503, errorList('service_unavailable', 'down'), { headers: JSON_HEADERS })
      .times(4);
    expectError(await stack.invoke({ path: '/actions/list_teams', body: {} }), 503, 'upstream_unavailable');
  });

  it('504 upstream_timeout: Intercom did not answer within the deadline', async () => {
    const { IntercomTimeoutError } = await import('../../lib/intercom/errors.ts');
    stack.pool
      .intercept({ path: '/admins', method: 'GET' })
      .replyWithError(Object.assign(new Error('headers timeout'), { code: 'UND_ERR_HEADERS_TIMEOUT' }))
      .times(4);
    expectError(await stack.invoke({ path: '/actions/list_admins', body: {} }), 504, 'upstream_timeout');
    expect(IntercomTimeoutError).toBeDefined();
  });

  it('500 internal_error: no stack trace, internal message or secret in the body', async () => {
    const { createActionHandler } = await import('../../lib/http/action-handler.ts');
    const validators = await import('../../lib/validation/generated/tags.ts');
    const { testConfig, FULL_KEY } = await import('../helpers/action-stack.ts');
    const { httpEvent, testContext } = await import('../helpers/events.ts');
    const broken = createActionHandler('tags', validators, testConfig(), {
      createClient: () => {
        throw new Error(`internal detail with ${TOKEN}`);
      },
    });
    const event = httpEvent({
      path: '/actions/list_tags',
      body: {},
      headers: { authorization: `Bearer ${FULL_KEY}` },
    });
    const res = await broken(event, testContext() as never);
    const json = JSON.parse(res.body ?? '{}');
    expectError({ ...res, json }, 500, 'internal_error');
    expect(json.error.message).toBe('Internal error');
    expect(res.body).not.toContain(TOKEN);
    expect(res.body).not.toContain('internal detail');
    expect(res.body).not.toMatch(/\.ts:\d+/);
  });
});
