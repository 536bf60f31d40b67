/**
 * The size budget of a collected list (executeAction's `maxBytes`): a list stops before its items pass
 * it, and `next` resumes at exactly the first item left out, on Intercom's pages (mid-page), on lists
 * Intercom sends whole, and on scrolls (whole pages only, so the page before is stopped on an estimate).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { executeAction } from '../../lib/actions/execute.ts';
import { getOperation } from '../../lib/catalog/index.ts';
import { decodeCursor } from '../../lib/intercom/cursor.ts';
import { listItemBytes } from '../../lib/validation/response-size.ts';
import { JSON_HEADERS, type MockIntercom, mockIntercom, ORIGIN } from '../helpers/mock-intercom.ts';

let mock: MockIntercom;
afterEach(async () => {
  await mock.agent.close();
});

/** A user whose JSON is about 1 KB, half of it quotes (each counts twice in a Lambda response). */
const user = (id: number) => ({ type: 'user', id: String(id), bio: `${'"'.repeat(250)}${'x'.repeat(500)}` });
const users = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => user(from + i));
const bytesOf = (items: unknown[]) => items.reduce<number>((sum, item) => sum + listItemBytes(item), 0);
const ids = (data: unknown) => (data as Array<{ id: string }>).map((u) => Number(u.id));

function replyPage(path: string, items: unknown[], next: string | null, times = 1) {
  mock.pool
    .intercept({ path, method: 'GET' })
    .reply(
      200,
      { type: 'user.list', users: items, pages: { type: 'pages', next } },
      { headers: JSON_HEADERS },
    )
    .times(times);
}

describe('a list collected across Intercom pages', () => {
  it('stops at the first item the budget leaves out, mid-page, and resumes exactly there', async () => {
    mock = mockIntercom();
    replyPage('/users', users(1, 5), `${ORIGIN}/users?page=2`);
    // Page 2 is read twice: its first two items in the first call, the rest in the second.
    replyPage('/users?page=2', users(6, 10), `${ORIGIN}/users?page=3`, 2);
    replyPage('/users?page=3', users(11, 12), null);
    const op = getOperation('list_users');
    const maxBytes = bytesOf(users(1, 7)) + listItemBytes(user(8)) - 1;

    const first = await executeAction(mock.client, op, { resultsPath: 'users' }, { maxBytes });
    expect(ids(first.data)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(bytesOf(first.data as unknown[])).toBeLessThanOrEqual(maxBytes);
    expect(decodeCursor('list_users', first.next!)).toEqual({ kind: 'link', path: '/users?page=2', skip: 2 });

    const second = await executeAction(
      mock.client,
      op,
      { resultsPath: 'users', next: first.next },
      { maxBytes },
    );
    expect(ids(second.data)).toEqual([8, 9, 10, 11, 12]);
    expect(second.next).toBeNull();
  });

  it('takes the smaller of limit and budget', async () => {
    mock = mockIntercom();
    replyPage('/users', users(1, 5), `${ORIGIN}/users?page=2`, 2);
    const op = getOperation('list_users');
    const byLimit = await executeAction(mock.client, op, { limit: 2 }, { maxBytes: bytesOf(users(1, 4)) });
    expect(ids(byLimit.data)).toEqual([1, 2]);
    const byBytes = await executeAction(mock.client, op, { limit: 4 }, { maxBytes: bytesOf(users(1, 3)) });
    expect(ids(byBytes.data)).toEqual([1, 2, 3]);
    expect(decodeCursor('list_users', byBytes.next!)).toEqual({ kind: 'link', path: '/users', skip: 3 });
  });

  it('returns one item even when it alone passes the budget, so the list moves on', async () => {
    mock = mockIntercom();
    replyPage('/users', users(1, 3), null);
    const result = await executeAction(
      mock.client,
      getOperation('list_users'),
      { resultsPath: 'users' },
      { maxBytes: 10 },
    );
    expect(ids(result.data)).toEqual([1]);
    expect(decodeCursor('list_users', result.next!)).toEqual({ kind: 'link', path: '/users', skip: 1 });
  });

  it('has no size limit unless given one (the CLI)', async () => {
    mock = mockIntercom();
    replyPage('/users', users(1, 5), `${ORIGIN}/users?page=2`);
    replyPage('/users?page=2', users(6, 10), null);
    const result = await executeAction(mock.client, getOperation('list_users'), { resultsPath: 'users' });
    expect(ids(result.data)).toHaveLength(10);
  });
});

describe('a list Intercom sends whole', () => {
  it('is cut at the budget and resumed after the items returned', async () => {
    mock = mockIntercom();
    const tags = Array.from({ length: 4 }, (_, i) => ({
      type: 'tag',
      id: String(i + 1),
      name: `"${'t'.repeat(300)}"`,
    }));
    mock.pool
      .intercept({ path: '/tags', method: 'GET' })
      .reply(200, { type: 'tag.list', tags }, { headers: JSON_HEADERS })
      .times(2);
    const op = getOperation('list_tags');
    const maxBytes = bytesOf(tags.slice(0, 2)) + 5;
    const first = await executeAction(mock.client, op, { resultsPath: 'tags' }, { maxBytes });
    expect(ids(first.data)).toEqual([1, 2]);
    expect(decodeCursor('list_tags', first.next!)).toEqual({ kind: 'offset', skip: 2 });
    const second = await executeAction(
      mock.client,
      op,
      { resultsPath: 'tags', next: first.next },
      { maxBytes },
    );
    expect(ids(second.data)).toEqual([3, 4]);
    expect(second.next).toBeNull();
  });
});

describe('a scroll', () => {
  function replyScroll(path: string, items: unknown[], param: string) {
    mock.pool
      .intercept({ path, method: 'GET' })
      .reply(200, { type: 'user.list', users: items, scroll_param: param }, { headers: JSON_HEADERS });
  }

  it('asks for another page only while one as large as the largest so far still fits', async () => {
    mock = mockIntercom();
    replyScroll('/users/scroll', users(1, 3), 'p1');
    replyScroll('/users/scroll?scroll_param=p1', users(4, 6), 'p1');
    // A third page would not be asked for: MockAgent answers nothing else.
    const page = bytesOf(users(1, 3));
    const result = await executeAction(
      mock.client,
      getOperation('scroll_users'),
      { resultsPath: 'users' },
      { maxBytes: page * 2 + page / 2 },
    );
    expect(ids(result.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(decodeCursor('scroll_users', result.next!)).toEqual({ kind: 'scroll', param: 'p1' });
  });

  it('takes a page whole even past the budget (a scroll page cannot be read twice), then stops', async () => {
    mock = mockIntercom();
    replyScroll('/users/scroll', users(1, 3), 'p1');
    const result = await executeAction(
      mock.client,
      getOperation('scroll_users'),
      { resultsPath: 'users' },
      { maxBytes: listItemBytes(user(1)) },
    );
    expect(ids(result.data)).toEqual([1, 2, 3]);
    expect(decodeCursor('scroll_users', result.next!)).toEqual({ kind: 'scroll', param: 'p1' });
  });
});
