import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type ActionStack, actionStack, FULL_KEY, TOKEN } from '../helpers/action-stack.ts';
import { CapturedOutput } from '../helpers/captured-output.ts';
import { errorList, JSON_HEADERS } from '../helpers/mock-intercom.ts';

let stack: ActionStack;
const captured = new CapturedOutput();

beforeAll(async () => {
  captured.start();
  stack = await actionStack({ logLevel: 'DEBUG' });
});
afterAll(async () => {
  captured.stop();
  await stack.agent.close();
});

describe('logs', () => {
  it('carry one structured line per request with the request id, and never a secret', async () => {
    stack.pool
      .intercept({ path: '/users', method: 'POST' })
      .reply(200, { type: 'user', id: '1' }, { headers: JSON_HEADERS });
    stack.pool
      .intercept({ path: '/tags', method: 'GET' })
      .reply(500, errorList('server_error', `echo ${TOKEN}`), { headers: JSON_HEADERS })
      .times(4);
    stack.pool
      .intercept({ path: '/me', method: 'GET' })
      .replyWithError(new Error(`socket said ${TOKEN}`))
      .times(4);
    await stack.invoke({
      path: '/actions/create_user',
      body: { body: { user_id: 'u1' } },
      headers: { 'x-request-id': 'log-rid-1' },
      gatewayRequestId: 'gw-rid-1',
    });
    await stack.invoke({ path: '/actions/list_tags', headers: { 'x-request-id': 'log-rid-2' } });
    await stack.invoke({ path: '/actions/get_current_admin_and_app' });
    await stack.invoke({ path: '/actions/list_tags', key: 'ia_wrong_key_that_is_long_enough' });
    await stack.invoke({
      path: '/actions/list_tags',
      key: null,
      headers: { 'x-api-key': FULL_KEY, cookie: 'session=abc' },
    });

    const output = captured.chunks.join('');
    const records = captured.records();
    const access = records.filter((r) => r.message === 'request');
    expect(access.length).toBeGreaterThanOrEqual(5);
    // The caller's id, and API Gateway's beside it (the one its access log has), with the Lambda context.
    expect(access.find((r) => r.requestId === 'log-rid-1')).toMatchObject({
      apiRequestId: 'gw-rid-1',
      status: 200,
      operation: 'create_user',
      keyName: 'full',
      level: 'INFO',
      function_name: 'test',
      function_request_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      cold_start: expect.any(Boolean),
    });
    // Without a caller's id, API Gateway's is the request id, and not repeated.
    const own = access.find((r) => r.path === '/actions/get_current_admin_and_app')!;
    expect(own.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(own).not.toHaveProperty('apiRequestId');
    expect(records.some((r) => r.level === 'ERROR' && r.requestId === 'log-rid-2')).toBe(true);
    expect(output).not.toContain(TOKEN);
    expect(output).not.toContain(FULL_KEY);
    expect(output).not.toContain('ia_wrong_key_that_is_long_enough');
  });
});
