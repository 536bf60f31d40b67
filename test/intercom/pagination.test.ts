import { afterEach, describe, expect, it } from '@jest/globals';
import { getOperation } from '../../lib/catalog/index.ts';
import {
  decodeCursor,
  encodeCursor,
  IntercomCursorError,
  IntercomInvalidResponseError,
  IntercomRateLimitError,
  IntercomScrollExistsError,
  items,
  pages,
} from '../../lib/intercom/index.ts';
import {
  errorList,
  JSON_HEADERS,
  type MockIntercom,
  mockIntercom,
  ORIGIN,
  rateHeaders,
} from '../helpers/mock-intercom.ts';

let mock: MockIntercom;
afterEach(async () => {
  await mock.agent.close();
});

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const value of iterable) out.push(value);
  return out;
}

function userPage(ids: string[], next: string | null) {
  return {
    type: 'user.list',
    users: ids.map((id) => ({ type: 'user', id })),
    pages: { type: 'pages', next },
  };
}

describe('pages.next pagination', () => {
  it('follows pages.next to the end and yields every item', async () => {
    mock = mockIntercom();
    mock.pool
      .intercept({ path: '/users?order=asc', method: 'GET' })
      .reply(200, userPage(['1', '2'], `${ORIGIN}/users?order=asc&page=2`), { headers: JSON_HEADERS });
    mock.pool
      .intercept({ path: '/users?order=asc&page=2', method: 'GET' })
      .reply(200, userPage(['3'], `${ORIGIN}/users?order=asc&page=3`), { headers: JSON_HEADERS });
    mock.pool
      .intercept({ path: '/users?order=asc&page=3', method: 'GET' })
      .reply(200, userPage(['4'], null), { headers: JSON_HEADERS });
    const all = await collect(items(mock.client, getOperation('list_users'), { order: 'asc' }));
    expect(all.map((u) => (u as { id: string }).id)).toEqual(['1', '2', '3', '4']);
  });

  it('resumes from an encoded cursor, skipping items already returned', async () => {
    mock = mockIntercom();
    const cursor = encodeCursor('list_users', { kind: 'link', path: '/users?page=2', skip: 1 });
    mock.pool
      .intercept({ path: '/users?page=2', method: 'GET' })
      .reply(200, userPage(['a', 'b', 'c'], null), { headers: JSON_HEADERS });
    const [page] = await collect(pages(mock.client, getOperation('list_users'), {}, { cursor }));
    expect(page!.items).toEqual([
      { type: 'user', id: 'b' },
      { type: 'user', id: 'c' },
    ]);
    expect(page!.self).toEqual({ kind: 'link', path: '/users?page=2', skip: 1 });
    expect(page!.next).toBeNull();
  });

  it('refuses a cursor of another operation and garbage cursors', async () => {
    mock = mockIntercom();
    const foreign = encodeCursor('list_users', { kind: 'link', path: '/conversations?page=2', skip: 0 });
    await expect(
      collect(pages(mock.client, getOperation('list_users'), {}, { cursor: foreign })),
    ).rejects.toBeInstanceOf(IntercomCursorError);
    await expect(
      collect(pages(mock.client, getOperation('list_users'), {}, { cursor: '!!!' })),
    ).rejects.toBeInstanceOf(IntercomCursorError);
    expect(() => decodeCursor('list_users', Buffer.from('{"l":"x"}').toString('base64url'))).toThrow(
      IntercomCursorError,
    );
  });

  it('decodes only the exact text it issued, for the operation it issued it for', () => {
    mock = mockIntercom();
    const link = encodeCursor('list_users', { kind: 'link', path: '/users?page=2', skip: 3 });
    expect(decodeCursor('list_users', link)).toEqual({ kind: 'link', path: '/users?page=2', skip: 3 });
    const token = (json: string) => Buffer.from(json).toString('base64url');
    const garbage = [
      '',
      '!!!',
      `${link}!!!`,
      `${link}==`,
      ` ${link}`,
      token('{"k":"action","op":"list_users","l":"/users?page=2","s":0}'),
      token('{"k":"action","op":"list_users", "l":"/users?page=2"}'),
      token('{"op":"list_users","k":"action","l":"/users?page=2"}'),
      token('{"k":"action","op":"list_users","l":"/users?page=2","sc":"x"}'),
      token('{"k":"action","op":"list_users","l":"/users?page=2","x":1}'),
      token('{"k":"action","op":"list_users","o":-1}'),
      token('{"k":"bulk-failures","job":"job_abcdefgh1234","after":4}'),
      token('{"k":"automation-runs","ws":"main","day":"2026-01-01"}'),
      Buffer.from('4').toString('base64url'),
    ];
    for (const value of garbage) {
      expect(() => decodeCursor('list_users', value)).toThrow(
        new IntercomCursorError('The cursor is not one this API returned'),
      );
    }
    // Another operation's cursor, even of the same kind.
    const scroll = encodeCursor('scroll_users', { kind: 'scroll', param: 'abc' });
    expect(() => decodeCursor('scroll_companies', scroll)).toThrow(
      new IntercomCursorError('That cursor does not belong to scroll_companies'),
    );
    const offset = encodeCursor('list_tags', { kind: 'offset', skip: 2 });
    expect(() => decodeCursor('list_segments', offset)).toThrow(IntercomCursorError);
    expect(decodeCursor('list_tags', offset)).toEqual({ kind: 'offset', skip: 2 });
  });

  it('never follows a pages.next link to another host or endpoint', async () => {
    mock = mockIntercom();
    mock.pool
      .intercept({ path: '/users', method: 'GET' })
      .reply(200, userPage(['1'], 'https://evil.example/users?page=2'), { headers: JSON_HEADERS });
    await expect(collect(items(mock.client, getOperation('list_users')))).rejects.toBeInstanceOf(
      IntercomInvalidResponseError,
    );
    mock.pool
      .intercept({ path: '/users', method: 'GET' })
      .reply(200, userPage(['1'], `${ORIGIN}/admins?page=2`), { headers: JSON_HEADERS });
    await expect(collect(items(mock.client, getOperation('list_users')))).rejects.toThrow('another endpoint');
  });

  it('follows the events before= cursor', async () => {
    mock = mockIntercom();
    const events = (names: string[], next: string | null) => ({
      type: 'event.list',
      events: names.map((event_name) => ({ type: 'event', event_name })),
      pages: { next, since: `${ORIGIN}/events?type=user&user_id=u1&since=1` },
    });
    mock.pool
      .intercept({ path: '/events?type=user&user_id=u1', method: 'GET' })
      .reply(200, events(['a', 'b'], `${ORIGIN}/events?type=user&user_id=u1&before=1700000000`), {
        headers: JSON_HEADERS,
      });
    mock.pool
      .intercept({ path: '/events?type=user&user_id=u1&before=1700000000', method: 'GET' })
      .reply(200, events(['c'], null), { headers: JSON_HEADERS });
    const all = await collect(
      items(mock.client, getOperation('list_events_for_user'), { type: 'user', user_id: 'u1' }),
    );
    expect(all.map((e) => (e as { event_name: string }).event_name)).toEqual(['a', 'b', 'c']);
  });

  it('yields a non-paginated list once', async () => {
    mock = mockIntercom();
    mock.pool
      .intercept({ path: '/tags', method: 'GET' })
      .reply(200, { type: 'tag.list', tags: [{ id: '1' }] }, { headers: JSON_HEADERS });
    const all = await collect(pages(mock.client, getOperation('list_tags')));
    expect(all).toEqual([
      { data: { type: 'tag.list', tags: [{ id: '1' }] }, items: [{ id: '1' }], self: undefined, next: null },
    ]);
  });
});

describe('scroll pagination', () => {
  const scrollPage = (ids: string[], param: string) => ({
    type: 'user.list',
    users: ids.map((id) => ({ type: 'user', id })),
    scroll_param: param,
  });
  /** One scripted answer of the mock Intercom to a scroll request (`param` undefined: a fresh scroll). */
  const answer = (param: string | undefined, status: number, body: unknown) =>
    mock.pool
      .intercept({
        path: param === undefined ? '/users/scroll' : `/users/scroll?scroll_param=${param}`,
        method: 'GET',
      })
      .reply(status, body as object, { headers: JSON_HEADERS });

  it('sends scroll_param until the array comes back empty', async () => {
    mock = mockIntercom();
    answer(undefined, 200, scrollPage(['1', '2'], 'p1'));
    answer('p1', 200, scrollPage(['3'], 'p2'));
    answer('p2', 200, scrollPage([], 'p3'));
    const all = await collect(pages(mock.client, getOperation('scroll_users')));
    expect(all.map((p) => p.items.length)).toEqual([2, 1, 0]);
    expect(all.map((p) => p.next)).toEqual([
      { kind: 'scroll', param: 'p1' },
      { kind: 'scroll', param: 'p2' },
      null,
    ]);
  });

  it('restarts from the beginning after a 500 mid-scroll and skips ids already yielded', async () => {
    mock = mockIntercom();
    answer(undefined, 200, scrollPage(['1', '2'], 'p1'));
    mock.pool
      .intercept({ path: '/users/scroll?scroll_param=p1', method: 'GET' })
      .reply(
        500,
        errorList(
          'server_error',
          'Request failed due to an internal network error. Please restart the scroll operation.',
        ),
        { headers: JSON_HEADERS },
      );
    answer(undefined, 200, scrollPage(['1', '2'], 'q1'));
    answer('q1', 200, scrollPage(['3'], 'q2'));
    answer('q2', 200, scrollPage([], 'q3'));
    const all = await collect(items(mock.client, getOperation('scroll_users')));
    expect(all.map((u) => (u as { id: string }).id)).toEqual(['1', '2', '3']);
  });

  it('asks for the same page again after a 503 mid-scroll: the scroll is still open, a restart would meet scroll_exists', async () => {
    mock = mockIntercom();
    answer(undefined, 200, scrollPage(['1', '2'], 'p1'));
    mock.pool
      .intercept({ path: '/users/scroll?scroll_param=p1', method: 'GET' })
      .reply(503, errorList('service_unavailable', 'Sorry, the API service is temporarily unavailable'), {
        headers: JSON_HEADERS,
      });
    answer('p1', 200, scrollPage(['3'], 'p1'));
    answer('p1', 200, scrollPage([], 'p1'));
    const all = await collect(items(mock.client, getOperation('scroll_users')));
    expect(all.map((u) => (u as { id: string }).id)).toEqual(['1', '2', '3']);
    expect(mock.agent.pendingInterceptors()).toEqual([]);
  });

  it('does not restart a scroll whose continuation met a rate limit beyond the deadline', async () => {
    mock = mockIntercom();
    answer(undefined, 200, scrollPage(['1'], 'p1'));
    mock.pool
      .intercept({ path: '/users/scroll?scroll_param=p1', method: 'GET' })
      .reply(429, errorList('rate_limit_exceeded', 'Exceeded rate limit'), {
        headers: rateHeaders(0, Math.floor(mock.clock.now / 1000) + 3600),
      });
    await expect(collect(items(mock.client, getOperation('scroll_users')))).rejects.toBeInstanceOf(
      IntercomRateLimitError,
    );
    expect(mock.agent.pendingInterceptors()).toEqual([]);
  });

  it('restarts after a connection dropped mid-scroll (the position is unknown)', async () => {
    mock = mockIntercom();
    answer(undefined, 200, scrollPage(['1', '2'], 'p1'));
    mock.pool
      .intercept({ path: '/users/scroll?scroll_param=p1', method: 'GET' })
      .replyWithError(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }));
    answer(undefined, 200, scrollPage(['2', '3'], 'q1'));
    answer('q1', 200, scrollPage([], 'q1'));
    const all = await collect(items(mock.client, getOperation('scroll_users')));
    expect(all.map((u) => (u as { id: string }).id)).toEqual(['1', '2', '3']);
  });

  it('gives up after maxScrollRestarts', async () => {
    mock = mockIntercom();
    for (let i = 0; i < 2; i++) {
      mock.pool
        .intercept({ path: '/users/scroll', method: 'GET' })
        .reply(200, scrollPage(['1'], 'p'), { headers: JSON_HEADERS });
      mock.pool
        .intercept({ path: '/users/scroll?scroll_param=p', method: 'GET' })
        .reply(500, errorList('server_error', 'restart'), { headers: JSON_HEADERS });
    }
    await expect(
      collect(items(mock.client, getOperation('scroll_users'), {}, { maxScrollRestarts: 1 })),
    ).rejects.toMatchObject({ status: 500 });
  });

  it('reads leads under contacts, or users as Intercom examples show', async () => {
    mock = mockIntercom();
    mock.pool
      .intercept({ path: '/contacts/scroll', method: 'GET' })
      .reply(
        200,
        { type: 'contact.list', users: [{ id: 'l1' }], scroll_param: 'p' },
        { headers: JSON_HEADERS },
      );
    mock.pool
      .intercept({ path: '/contacts/scroll?scroll_param=p', method: 'GET' })
      .reply(200, { type: 'contact.list', contacts: [], scroll_param: 'p2' }, { headers: JSON_HEADERS });
    expect(await collect(items(mock.client, getOperation('scroll_leads')))).toEqual([{ id: 'l1' }]);
  });

  it('surfaces scroll_exists as a clear error when another scroll is open', async () => {
    mock = mockIntercom();
    mock.pool
      .intercept({ path: '/companies/scroll', method: 'GET' })
      .reply(400, errorList('scroll_exists', 'scroll exists'), { headers: JSON_HEADERS });
    await expect(collect(items(mock.client, getOperation('scroll_companies')))).rejects.toBeInstanceOf(
      IntercomScrollExistsError,
    );
  });

  it('resumes from the connector scroll parameter without restarting on failure', async () => {
    mock = mockIntercom();
    mock.pool
      .intercept({ path: '/users/scroll?scroll_param=given', method: 'GET' })
      .reply(500, errorList('server_error', 'restart'), { headers: JSON_HEADERS });
    await expect(
      collect(items(mock.client, getOperation('scroll_users'), { scroll: 'given' })),
    ).rejects.toMatchObject({ status: 500 });
  });
});
