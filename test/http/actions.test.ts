import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { GROUPS, operations } from '../../lib/catalog/index.ts';
import { decodeCursor, encodeCursor } from '../../lib/intercom/cursor.ts';
import { type ActionStack, actionStack, keyWith } from '../helpers/action-stack.ts';
import { JSON_HEADERS } from '../helpers/mock-intercom.ts';

let stack: ActionStack;
beforeAll(async () => {
  stack = await actionStack();
});
afterAll(async () => {
  await stack.agent.close();
});

const ORIGIN = 'https://api.intercom.io';

/** One representative call per group: the handler wires catalog, validation and client end to end. */
const perGroup: Record<
  string,
  { operation: string; body: object; method: string; path: string; status?: number }
> = {
  users: { operation: 'get_user', body: { id: 'u/1' }, method: 'GET', path: '/users/u%2F1' },
  leads: {
    operation: 'delete_lead',
    body: { user_id: 'l1' },
    method: 'DELETE',
    path: '/contacts?user_id=l1',
  },
  visitors: {
    operation: 'update_visitor',
    body: { body: { user_id: 'v1', name: 'V' } },
    method: 'PUT',
    path: '/visitors',
  },
  companies: { operation: 'list_companies', body: { tag_id: 5 }, method: 'GET', path: '/companies?tag_id=5' },
  conversations: {
    operation: 'mark_conversation_as_read',
    body: { id: '9' },
    method: 'PUT',
    path: '/conversations/9',
  },
  tags: { operation: 'create_tag', body: { $body: { name: 'VIP' } }, method: 'POST', path: '/tags' },
  notes: { operation: 'get_note', body: { id: '3' }, method: 'GET', path: '/notes/3' },
  events: {
    operation: 'create_event',
    body: { body: { event_name: 'e', created_at: 1, user_id: 'u' } },
    method: 'POST',
    path: '/events',
    status: 202,
  },
  admins: {
    operation: 'set_admin_away',
    body: { id: '7', away_mode_enabled: true, away_mode_reassign: false },
    method: 'PUT',
    path: '/admins/7/away',
  },
  insights: {
    operation: 'get_count',
    body: { type: 'company', count: 'user' },
    method: 'GET',
    path: '/counts?type=company&count=user',
  },
};

describe('group handlers with API Gateway v2 events', () => {
  it.each(GROUPS)('%s answers its operation with the contract envelope', async (group) => {
    const c = perGroup[group]!;
    let seen: { body?: unknown; headers?: Record<string, string> } = {};
    stack.pool.intercept({ path: c.path, method: c.method }).reply((opts) => {
      seen = opts as typeof seen;
      return c.status === 202
        ? { statusCode: 202, data: '' }
        : { statusCode: 200, data: { type: 'thing', id: 'x' }, responseOptions: { headers: JSON_HEADERS } };
    });
    const res = await stack.invoke({
      path: `/actions/${c.operation}`,
      body: c.body,
      headers: { 'x-request-id': `rid-${group}` },
    });
    expect(res.statusCode).toBe(c.status ?? 200);
    expect(res.headers?.['x-request-id']).toBe(`rid-${group}`);
    const list = group === 'companies';
    expect(res.json).toEqual({
      data: c.status === 202 ? null : { type: 'thing', id: 'x' },
      ...(list ? { next: null } : {}),
      requestId: `rid-${group}`,
    });
    expect((seen.headers as Record<string, string>)['x-request-id']).toBe(`rid-${group}`);
    if (group === 'admins')
      expect(JSON.parse(String(seen.body))).toEqual({ away_mode_enabled: true, away_mode_reassign: false });
  });

  it("takes API Gateway's request id when none (or an unsafe one) is given, as its access log has it", async () => {
    stack.pool
      .intercept({ path: '/tags', method: 'GET' })
      .reply(200, { type: 'tag.list', tags: [] }, { headers: JSON_HEADERS })
      .times(2);
    const res = await stack.invoke({
      path: '/actions/list_tags',
      headers: { 'x-request-id': 'bad\nid' },
      gatewayRequestId: 'Ab1cDeFgHiJkLmN=',
    });
    expect(res.headers?.['x-request-id']).toBe('Ab1cDeFgHiJkLmN=');
    expect(res.json.requestId).toBe('Ab1cDeFgHiJkLmN=');
    // Invoked without API Gateway (no request context id): one is generated.
    const direct = await stack.invoke({ path: '/actions/list_tags', gatewayRequestId: '' });
    expect(direct.headers?.['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(direct.json.requestId).toBe(direct.headers?.['x-request-id']);
  });

  it('accepts no body at all for an operation without parameters', async () => {
    stack.pool
      .intercept({ path: '/me', method: 'GET' })
      .reply(200, { type: 'admin' }, { headers: JSON_HEADERS });
    const res = await stack.invoke({ path: '/actions/get_current_admin_and_app' });
    expect(res.statusCode).toBe(200);
  });

  it('decodes base64-encoded bodies as API Gateway sends binary payloads', async () => {
    stack.pool
      .intercept({ path: '/notes/5', method: 'GET' })
      .reply(200, { type: 'note', id: '5' }, { headers: JSON_HEADERS });
    const res = await stack.invoke({
      path: '/actions/get_note',
      body: JSON.stringify({ id: '5' }),
      headers: { 'content-type': 'application/octet-stream+json' },
    });
    expect(res.statusCode).toBe(200);
  });
});

describe('scopes, for every operation', () => {
  it.each(operations.map((op) => [op.name, op.scope]))('%s needs the %s scope', async (name, scope) => {
    const others = (['read', 'write', 'delete'] as const).filter((s) => s !== scope);
    const denied = await stack.invoke({
      path: `/actions/${name}`,
      key: keyWith([...others, 'bulk']),
      body: {},
    });
    expect(denied.statusCode).toBe(403);
    expect(denied.json.error.code).toBe('forbidden');
    const allowed = await stack.invoke({
      path: `/actions/${name}`,
      key: keyWith([scope as 'read']),
      body: { '~': 1 },
    });
    // Past the scope check the request reaches validation, which rejects the made-up parameter.
    expect(allowed.statusCode).toBe(400);
    expect(allowed.json.error.code).toBe('validation_failed');
  });

  it('a key with no scopes can call nothing', async () => {
    const res = await stack.invoke({ path: '/actions/list_tags', key: keyWith([]) });
    expect(res.statusCode).toBe(403);
  });
});

describe('list controls: resultsPath, limit, next', () => {
  const page = (ids: string[], next: string | null) => ({
    type: 'user.list',
    users: ids.map((id) => ({ type: 'user', id })),
    pages: { type: 'pages', next },
  });

  it('without controls returns one page as Intercom sent it, with the next cursor', async () => {
    stack.pool
      .intercept({ path: '/users', method: 'GET' })
      .reply(200, page(['1'], `${ORIGIN}/users?page=2`), { headers: JSON_HEADERS });
    const res = await stack.invoke({ path: '/actions/list_users' });
    expect(res.json.data.type).toBe('user.list');
    expect(decodeCursor('list_users', res.json.next)).toEqual({
      kind: 'link',
      path: '/users?page=2',
      skip: 0,
    });
  });

  it('with resultsPath and limit follows pages, cuts at the limit and resumes exactly there', async () => {
    stack.pool
      .intercept({ path: '/users?order=asc', method: 'GET' })
      .reply(200, page(['1', '2'], `${ORIGIN}/users?order=asc&page=2`), { headers: JSON_HEADERS });
    stack.pool
      .intercept({ path: '/users?order=asc&page=2', method: 'GET' })
      .reply(200, page(['3', '4'], `${ORIGIN}/users?order=asc&page=3`), { headers: JSON_HEADERS });
    const first = await stack.invoke({
      path: '/actions/list_users',
      body: { order: 'asc', resultsPath: '$.users', limit: 3 },
    });
    expect(first.json.data.map((u: { id: string }) => u.id)).toEqual(['1', '2', '3']);
    stack.pool
      .intercept({ path: '/users?order=asc&page=2', method: 'GET' })
      .reply(200, page(['3', '4'], null), { headers: JSON_HEADERS });
    const second = await stack.invoke({
      path: '/actions/list_users',
      body: { order: 'asc', resultsPath: 'users', limit: 3, next: first.json.next },
    });
    expect(second.json.data.map((u: { id: string }) => u.id)).toEqual(['4']);
    expect(second.json.next).toBeNull();
  });

  it('limit alone collects from the natural results key; a non-paged list is cut at the limit', async () => {
    const tags = (...ids: string[]) =>
      stack.pool
        .intercept({ path: '/tags', method: 'GET' })
        .reply(200, { type: 'tag.list', tags: ids.map((id) => ({ id })) }, { headers: JSON_HEADERS });
    tags('a', 'b', 'c');
    const res = await stack.invoke({ path: '/actions/list_tags', body: { limit: 2 } });
    expect(res.json).toMatchObject({ data: [{ id: 'a' }, { id: 'b' }] });
    // The rest is one `next` away: Intercom sends the list whole, so it is asked for again.
    tags('a', 'b', 'c');
    const rest = await stack.invoke({
      path: '/actions/list_tags',
      body: { limit: 2, next: res.json.next },
    });
    expect(rest.json).toEqual(expect.objectContaining({ data: [{ id: 'c' }], next: null }));
    // Without a limit the whole list comes back, and nothing follows.
    tags('a');
    const whole = await stack.invoke({ path: '/actions/list_tags', body: {} });
    expect(whole.json.next).toBeNull();
  });

  it('rejects a resultsPath that names no array, and a foreign cursor', async () => {
    stack.pool
      .intercept({ path: '/tags', method: 'GET' })
      .reply(200, { type: 'tag.list', tags: [] }, { headers: JSON_HEADERS });
    const bad = await stack.invoke({ path: '/actions/list_tags', body: { resultsPath: 'type' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json.error.details[0].path).toBe('/resultsPath');
    const cursor = Buffer.from(JSON.stringify({ l: '/admins?page=2' })).toString('base64url');
    const foreign = await stack.invoke({ path: '/actions/list_users', body: { next: cursor } });
    expect(foreign.statusCode).toBe(400);
    expect(foreign.json.error.details[0].path).toBe('/next');
  });

  it('refuses empty, garbage and foreign cursors before calling Intercom: 400 validation_failed on /next', async () => {
    const tagsCursor = encodeCursor('list_tags', { kind: 'offset', skip: 2 });
    const usersScroll = encodeCursor('scroll_users', { kind: 'scroll', param: 'p1' });
    for (const [operation, next, message] of [
      ['list_users', '', 'must NOT have fewer than 1 characters'],
      ['list_users', '!!!', 'The cursor is not one this API returned'],
      ['list_tags', `${tagsCursor}!!!`, 'The cursor is not one this API returned'],
      ['list_tags', Buffer.from('2').toString('base64url'), 'The cursor is not one this API returned'],
      ['list_segments', tagsCursor, 'That cursor does not belong to list_segments'],
      ['scroll_companies', usersScroll, 'That cursor does not belong to scroll_companies'],
    ]) {
      const res = await stack.invoke({ path: `/actions/${operation}`, body: { next } });
      expect([res.statusCode, res.json.error.code]).toEqual([400, 'validation_failed']);
      expect(res.json.error.details).toEqual([{ path: '/next', message }]);
    }
  });

  it('find_user by email gives an array whether Intercom answers user (1.0) or user.list (1.1+)', async () => {
    stack.pool
      .intercept({ path: '/users?email=a%40b.co', method: 'GET' })
      .reply(200, { type: 'user', id: 'one' }, { headers: JSON_HEADERS });
    const single = await stack.invoke({
      path: '/actions/find_user',
      body: { email: 'a@b.co', resultsPath: 'users' },
    });
    expect(single.json.data).toEqual([{ type: 'user', id: 'one' }]);
    const natural = (await (async () => {
      stack.pool
        .intercept({ path: '/users?email=a%40b.co', method: 'GET' })
        .reply(200, { type: 'user', id: 'one' }, { headers: JSON_HEADERS });
      return stack.invoke({ path: '/actions/find_user', body: { email: 'a@b.co', limit: 10 } });
    })()) as { json: { data: unknown[] } };
    expect(natural.json.data).toEqual([{ type: 'user', id: 'one' }]);
    stack.pool
      .intercept({ path: '/users?email=a%40b.co', method: 'GET' })
      .reply(200, { type: 'user.list', users: [{ id: '1' }, { id: '2' }] }, { headers: JSON_HEADERS });
    const list = await stack.invoke({ path: '/actions/find_user', body: { email: 'a@b.co', limit: 10 } });
    expect(list.json.data).toHaveLength(2);
  });
});
