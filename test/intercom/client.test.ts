import { afterEach, describe, expect, it } from '@jest/globals';
import {
  IntercomClient,
  IntercomConnectionError,
  IntercomHttpError,
  IntercomInvalidResponseError,
  IntercomLookupError,
  IntercomRateLimitError,
  IntercomScrollExistsError,
} from '../../lib/intercom/index.ts';
import {
  errorList,
  JSON_HEADERS,
  type MockIntercom,
  mockIntercom,
  rateHeaders,
} from '../helpers/mock-intercom.ts';

let mock: MockIntercom | undefined;
afterEach(async () => {
  await mock?.agent.close();
  mock = undefined;
});

function socketError(code: string): Error {
  return Object.assign(new Error(`simulated ${code}`), { code });
}

describe('IntercomClient requests', () => {
  it('sends auth, accept, version, request id and a JSON body', async () => {
    mock = mockIntercom({ version: '1.2' });
    let seen: { headers?: unknown; body?: unknown; path?: string } = {};
    mock.pool.intercept({ path: '/users', method: 'POST' }).reply((opts) => {
      seen = opts;
      return { statusCode: 200, data: { type: 'user', id: '1' }, responseOptions: { headers: JSON_HEADERS } };
    });
    const result = await mock.client.call('create_user', { body: { user_id: 'u1' } }, { requestId: 'rid-9' });
    expect(result).toMatchObject({ status: 200, data: { type: 'user', id: '1' }, attempts: 1 });
    expect(seen.headers).toMatchObject({
      authorization: 'Bearer tok_secret',
      accept: 'application/json',
      'intercom-version': '1.2',
      'content-type': 'application/json',
      'x-request-id': 'rid-9',
    });
    expect(JSON.parse(String(seen.body))).toEqual({ user_id: 'u1' });
  });

  it('defaults to Intercom-Version 1.4 and the US region; picks EU/AU hosts and explicit base URLs', () => {
    expect(new IntercomClient({ token: 't' }).version).toBe('1.4');
    expect(new IntercomClient({ token: 't' }).baseUrl).toBe('https://api.intercom.io');
    expect(new IntercomClient({ token: 't', region: 'eu' }).baseUrl).toBe('https://api.eu.intercom.io');
    expect(new IntercomClient({ token: 't', region: 'au' }).baseUrl).toBe('https://api.au.intercom.io');
    expect(new IntercomClient({ token: 't', baseUrl: 'http://127.0.0.1:4010/' }).baseUrl).toBe(
      'http://127.0.0.1:4010',
    );
    expect(() => new IntercomClient({ token: '' })).toThrow('access token');
    expect(() => new IntercomClient({ token: 't', version: '2.0' as '1.4' })).toThrow(
      'Unsupported Intercom-Version',
    );
    expect(() => new IntercomClient({ token: 't', region: 'mars' as 'us' })).toThrow(
      'Unknown Intercom region',
    );
    expect(() => new IntercomClient({ token: 't', baseUrl: 'ftp://x' })).toThrow('http(s)');
  });

  it('keeps a base path of an explicit base URL', async () => {
    mock = mockIntercom({ baseUrl: 'https://proxy.example/intercom' });
    mock.pool
      .intercept({ path: '/intercom/me', method: 'GET' })
      .reply(200, { type: 'admin' }, { headers: JSON_HEADERS });
    await expect(mock.client.call('get_current_admin_and_app')).resolves.toMatchObject({
      data: { type: 'admin' },
    });
  });

  it('percent-encodes path parameters on the wire', async () => {
    mock = mockIntercom();
    mock.pool
      .intercept({ path: '/users/a%2F..%2Fb%3Fc%23d', method: 'GET' })
      .reply(200, { id: 'x' }, { headers: JSON_HEADERS });
    await expect(mock.client.call('get_user', { id: 'a/../b?c#d' })).resolves.toMatchObject({ status: 200 });
  });

  it('returns null data for an empty 202 (create_event)', async () => {
    mock = mockIntercom();
    mock.pool.intercept({ path: '/events', method: 'POST' }).reply(202, '');
    const result = await mock.client.call('create_event', {
      body: { event_name: 'e', created_at: 1, user_id: 'u' },
    });
    expect(result).toMatchObject({ status: 202, data: null });
  });

  it('exposes the latest X-RateLimit values', async () => {
    mock = mockIntercom();
    expect(mock.client.rateLimit).toBeUndefined();
    mock.pool
      .intercept({ path: '/tags', method: 'GET' })
      .reply(200, { type: 'tag.list', tags: [] }, { headers: rateHeaders(120, 1_700_000_010) });
    await mock.client.call('list_tags');
    expect(mock.client.rateLimit).toEqual({
      limit: 167,
      remaining: 120,
      resetAt: 1_700_000_010_000,
      observedAt: mock.clock.now,
    });
  });

  it('resolves delete_visitor by user_id with the documented lookup, then deletes by id', async () => {
    mock = mockIntercom();
    mock.pool
      .intercept({ path: '/visitors?user_id=v%2F1', method: 'GET' })
      .reply(200, { type: 'visitor', id: 'vid' }, { headers: JSON_HEADERS });
    mock.pool
      .intercept({ path: '/visitors/vid', method: 'DELETE' })
      .reply(200, { type: 'visitor', id: 'vid' }, { headers: JSON_HEADERS });
    await expect(mock.client.call('delete_visitor', { user_id: 'v/1' })).resolves.toMatchObject({
      data: { id: 'vid' },
    });
  });

  it('reports a lookup that finds nothing', async () => {
    mock = mockIntercom();
    mock.pool
      .intercept({ path: '/visitors?user_id=v1', method: 'GET' })
      .reply(200, {}, { headers: JSON_HEADERS });
    await expect(mock.client.call('delete_visitor', { user_id: 'v1' })).rejects.toBeInstanceOf(
      IntercomLookupError,
    );
  });
});

describe('IntercomClient errors', () => {
  it("carries Intercom's status, code, message and request_id", async () => {
    mock = mockIntercom();
    mock.pool
      .intercept({ path: '/users/nope', method: 'GET' })
      .reply(404, errorList('not_found', 'User Not Found', 'r-404'), { headers: JSON_HEADERS });
    const error = (await mock.client.call('get_user', { id: 'nope' }).catch((e) => e)) as IntercomHttpError;
    expect(error).toBeInstanceOf(IntercomHttpError);
    expect(error).toMatchObject({
      code: 'INTERCOM_HTTP_ERROR',
      status: 404,
      intercomCode: 'not_found',
      message: 'User Not Found',
      requestId: 'r-404',
      retryable: false,
    });
  });

  it.each([
    ['a non-JSON body', '<html>Bad gateway</html>', 'a non-JSON body'],
    ['an empty body', '', 'an empty body'],
    ['JSON without errors', '{"oops":1}', 'no error list'],
  ])('still yields a clear error for %s', async (_, body, words) => {
    mock = mockIntercom({ retry: { maxRetries: 0 } });
    mock.pool
      .intercept({ path: '/tags', method: 'GET' })
      .reply(502, body, { headers: { 'x-request-id': 'hdr-req' } });
    const error = (await mock.client.call('list_tags').catch((e) => e)) as IntercomHttpError;
    expect(error).toMatchObject({
      status: 502,
      intercomCode: 'http_502',
      retryable: true,
      requestId: 'hdr-req',
    });
    expect(error.message).toBe(`Intercom answered HTTP 502 with ${words}`);
  });

  it('rejects a 2xx whose body is not JSON', async () => {
    mock = mockIntercom();
    mock.pool.intercept({ path: '/tags', method: 'GET' }).reply(200, 'not json');
    await expect(mock.client.call('list_tags')).rejects.toBeInstanceOf(IntercomInvalidResponseError);
  });

  it('turns scroll_exists into a clear IntercomScrollExistsError', async () => {
    mock = mockIntercom();
    mock.pool
      .intercept({ path: '/users/scroll', method: 'GET' })
      .reply(400, errorList('scroll_exists', 'scroll already exists'), { headers: JSON_HEADERS });
    const error = await mock.client.call('scroll_users').catch((e) => e);
    expect(error).toBeInstanceOf(IntercomScrollExistsError);
    expect(error.message).toMatch(/one at a time/);
    expect(error.code).toBe('INTERCOM_SCROLL_EXISTS');
  });

  it('never puts the token in an error message', async () => {
    mock = mockIntercom();
    mock.pool.intercept({ path: '/me', method: 'GET' }).replyWithError(socketError('ECONNRESET'));
    const error = await mock.client.call('get_current_admin_and_app').catch((e) => e);
    expect(JSON.stringify({ message: error.message, ...error })).not.toContain('tok_secret');
  });
});

describe('IntercomClient retries', () => {
  type Case = [operation: string, input: Record<string, unknown>, method: string, path: string];
  const safe: Case[] = [
    ['get_user', { id: '1' }, 'GET', '/users/1'],
    ['mark_conversation_as_read', { id: '1' }, 'PUT', '/conversations/1'],
    ['delete_tag', { id: '1' }, 'DELETE', '/tags/1'],
    ['create_user', { body: { user_id: 'u' } }, 'POST', '/users'],
  ];
  const unsafe: Case[] = [
    ['create_note', { body: { body: 'b', user: { id: 'u' } } }, 'POST', '/notes'],
    ['post_message', { body: { from: { type: 'user', id: 'u' }, body: 'b' } }, 'POST', '/messages'],
  ];

  function failThenSucceed(
    path: string,
    method: string,
    failure: (i: ReturnType<MockIntercom['pool']['intercept']>) => void,
  ) {
    failure(mock!.pool.intercept({ path, method }));
    mock!.pool.intercept({ path, method }).reply(200, { ok: true }, { headers: JSON_HEADERS });
  }

  const failures: Array<[string, (i: ReturnType<MockIntercom['pool']['intercept']>) => void]> = [
    ['500', (i) => i.reply(500, errorList('server_error', 'boom'), { headers: JSON_HEADERS })],
    ['503', (i) => i.reply(503, errorList('service_unavailable', 'down'), { headers: JSON_HEADERS })],
    ['a dropped connection', (i) => i.replyWithError(socketError('UND_ERR_SOCKET'))],
  ];

  describe.each(failures)('after %s', (_, failure) => {
    it.each(safe)('retries %s (%s %s)', async (operation, input, method, path) => {
      mock = mockIntercom();
      failThenSucceed(path, method, failure);
      await expect(mock.client.call(operation, input)).resolves.toMatchObject({
        attempts: 2,
        data: { ok: true },
      });
      expect(mock.sleeps).toHaveLength(1);
    });

    it.each(unsafe)('does not retry %s (%s %s)', async (operation, input, method, path) => {
      mock = mockIntercom();
      failThenSucceed(path, method, failure);
      await expect(mock.client.call(operation, input)).rejects.toMatchObject({ retryable: true });
      expect(mock.sleeps).toHaveLength(0);
    });
  });

  it.each(unsafe)(
    'retries %s when the connection was refused (nothing was sent)',
    async (operation, input, method, path) => {
      mock = mockIntercom();
      failThenSucceed(path, method, (i) => i.replyWithError(socketError('ECONNREFUSED')));
      await expect(mock.client.call(operation, input)).resolves.toMatchObject({ attempts: 2 });
    },
  );

  it.each([...safe, ...unsafe])(
    'waits for the reset after a 429 and repeats %s',
    async (operation, input, method, path) => {
      mock = mockIntercom();
      const resetSeconds = Math.floor(mock.clock.now / 1000) + 4;
      mock.pool
        .intercept({ path, method })
        .reply(429, errorList('rate_limit_exceeded', 'Exceeded rate limit'), {
          headers: rateHeaders(0, resetSeconds),
        });
      mock.pool
        .intercept({ path, method })
        .reply(200, { ok: 1 }, { headers: rateHeaders(166, resetSeconds + 10) });
      const started = mock.clock.now;
      await expect(mock.client.call(operation, input)).resolves.toMatchObject({ attempts: 2 });
      // Until the reset (4 s from a whole second) plus at most 250 ms of spread.
      expect(mock.sleeps[0]).toBeGreaterThanOrEqual(resetSeconds * 1000 - started);
      expect(mock.sleeps[0]).toBeLessThanOrEqual(resetSeconds * 1000 - started + 250);
      expect(mock.client.rateLimit?.remaining).toBe(166);
    },
  );

  it('keeps the last rate-limit state through a 401 that carries no X-RateLimit headers', async () => {
    // Intercom (and the sandbox) send no rate headers with a request that names no app.
    mock = mockIntercom();
    const resetSeconds = Math.floor(mock.clock.now / 1000) + 5;
    mock.pool.intercept({ path: '/tags', method: 'GET' }).reply(
      200,
      { tags: [] },
      {
        headers: rateHeaders(150, resetSeconds),
      },
    );
    mock.pool
      .intercept({ path: '/tags', method: 'GET' })
      .reply(401, errorList('token_not_found', 'Access Token Invalid'), { headers: JSON_HEADERS });
    await expect(mock.client.call('list_tags')).resolves.toMatchObject({ rateLimit: { remaining: 150 } });
    const error = await mock.client.call('list_tags').catch((e) => e);
    expect(error).toBeInstanceOf(IntercomHttpError);
    expect(error).toMatchObject({ status: 401 });
    expect(mock.client.rateLimit).toMatchObject({ limit: 167, remaining: 150, resetAt: resetSeconds * 1000 });
    expect(mock.sleeps).toHaveLength(0);
  });

  it('honours Retry-After when X-RateLimit-Reset is missing', async () => {
    mock = mockIntercom();
    mock.pool
      .intercept({ path: '/tags', method: 'GET' })
      .reply(429, errorList('rate_limit_exceeded', 'slow down'), {
        headers: { ...JSON_HEADERS, 'retry-after': '2' },
      });
    mock.pool.intercept({ path: '/tags', method: 'GET' }).reply(200, { tags: [] }, { headers: JSON_HEADERS });
    await mock.client.call('list_tags');
    expect(mock.sleeps[0]).toBe(2000 + 125);
  });

  it('fails fast with the reset time when the reset is beyond the deadline', async () => {
    mock = mockIntercom({ timeouts: { deadlineMs: 5_000 } });
    const resetSeconds = Math.floor(mock.clock.now / 1000) + 30;
    mock.pool
      .intercept({ path: '/tags', method: 'GET' })
      .reply(429, errorList('rate_limit_exceeded', 'Exceeded'), { headers: rateHeaders(0, resetSeconds) });
    const error = (await mock.client.call('list_tags').catch((e) => e)) as IntercomRateLimitError;
    expect(error).toBeInstanceOf(IntercomRateLimitError);
    expect(error).toMatchObject({ code: 'INTERCOM_RATE_LIMITED', status: 429, resetAt: resetSeconds * 1000 });
    expect(error.retryAfterMs(mock.clock.now)).toBe(resetSeconds * 1000 - mock.clock.now);
    expect(mock.sleeps).toHaveLength(0);
  });

  it('fails fast when the wait exceeds maxRateLimitWaitMs (bulk workers requeue instead)', async () => {
    mock = mockIntercom({ retry: { maxRateLimitWaitMs: 0 } });
    const resetSeconds = Math.floor(mock.clock.now / 1000) + 2;
    mock.pool
      .intercept({ path: '/tags', method: 'GET' })
      .reply(429, errorList('rate_limit_exceeded', 'Exceeded'), { headers: rateHeaders(0, resetSeconds) });
    await expect(mock.client.call('list_tags')).rejects.toBeInstanceOf(IntercomRateLimitError);
  });

  it('gives up after maxRetries with growing, jittered delays', async () => {
    mock = mockIntercom({ retry: { maxRetries: 3, baseDelayMs: 100, maxDelayMs: 250 } });
    mock.pool
      .intercept({ path: '/tags', method: 'GET' })
      .reply(503, errorList('service_unavailable', 'down'), { headers: JSON_HEADERS })
      .times(4);
    const error = await mock.client.call('list_tags').catch((e) => e);
    expect(error).toMatchObject({ status: 503, intercomCode: 'service_unavailable' });
    // random() = 0.5 of min(250, 100 * 2^n)
    expect(mock.sleeps).toEqual([50, 100, 125]);
  });

  it('does not retry 4xx errors', async () => {
    mock = mockIntercom();
    mock.pool
      .intercept({ path: '/tags/1', method: 'DELETE' })
      .reply(404, errorList('not_found', 'nope'), { headers: JSON_HEADERS });
    await expect(mock.client.call('delete_tag', { id: '1' })).rejects.toMatchObject({ status: 404 });
    expect(mock.sleeps).toHaveLength(0);
  });

  it('reports every attempt to onAttempt, and a throwing hook changes nothing', async () => {
    const attempts: unknown[] = [];
    mock = mockIntercom({
      onAttempt: (info) => {
        attempts.push({
          operation: info.operation,
          status: info.status,
          attempt: info.attempt,
          path: info.path,
          code: info.error?.code,
        });
        throw new Error('hook bug');
      },
    });
    mock.pool
      .intercept({ path: '/users?email=a%40b.co', method: 'GET' })
      .replyWithError(socketError('ECONNRESET'));
    mock.pool
      .intercept({ path: '/users?email=a%40b.co', method: 'GET' })
      .reply(200, { type: 'user.list', users: [] }, { headers: JSON_HEADERS });
    await mock.client.call('find_user', { email: 'a@b.co' });
    expect(attempts).toEqual([
      {
        operation: 'find_user',
        status: undefined,
        attempt: 1,
        path: '/users',
        code: 'INTERCOM_CONNECTION_ERROR',
      },
      { operation: 'find_user', status: 200, attempt: 2, path: '/users', code: undefined },
    ]);
  });

  it('maps a dropped connection to IntercomConnectionError', async () => {
    mock = mockIntercom({ retry: { maxRetries: 0 } });
    mock.pool.intercept({ path: '/me', method: 'GET' }).replyWithError(socketError('UND_ERR_SOCKET'));
    const error = await mock.client.call('get_current_admin_and_app').catch((e) => e);
    expect(error).toBeInstanceOf(IntercomConnectionError);
    expect(error).toMatchObject({ mayHaveReachedIntercom: true, retryable: true });
  });
});
