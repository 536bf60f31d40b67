import { describe, expect, it } from '@jest/globals';
import { getOperation } from '../../lib/catalog/index.ts';
import { buildRequest, encodePathSegment } from '../../lib/catalog/request.ts';
import { extractItems, selectPath } from '../../lib/catalog/results.ts';

const build = (name: string, input: Record<string, unknown>, version: '1.0' | '1.3' | '1.4' = '1.4') =>
  buildRequest(getOperation(name), input, version);

describe('buildRequest: the wire format per reference/intercom-api-1x.md', () => {
  it('percent-encodes path parameters so any id stays one segment', () => {
    expect(build('get_user', { id: 'a/../b?c#d' }).path).toBe('/users/a%2F..%2Fb%3Fc%23d');
    expect(build('get_user', { id: '...' }).path).toBe('/users/...');
    // Servers resolve even `%2E%2E` as `..` (GET /companies/%2E%2E/users would be GET /users).
    expect(() => build('get_user', { id: '..' })).toThrow('cannot be a path segment');
    expect(() => build('list_users_for_company', { id: '.' })).toThrow('cannot be a path segment');
    expect(build('get_user', { id: 'ünï cödé' }).path).toBe('/users/%C3%BCn%C3%AF%20c%C3%B6d%C3%A9');
    expect(encodePathSegment('a.b')).toBe('a.b');
  });

  it('puts connector parameters in path, query and body', () => {
    expect(build('get_conversation', { id: '7', display_as: 'plaintext' })).toEqual({
      method: 'GET',
      path: '/conversations/7',
      query: { display_as: 'plaintext' },
    });
    expect(build('archive_user', { email: 'a@b.co' })).toEqual({
      method: 'DELETE',
      path: '/users',
      query: { email: 'a@b.co' },
    });
    expect(
      build('list_conversations', { open: true, unread: false, type: 'admin', admin_id: 'nobody' }).query,
    ).toEqual({
      open: 'true',
      unread: 'false',
      type: 'admin',
      admin_id: 'nobody',
    });
  });

  it('sends scroll as scroll_param', () => {
    expect(build('scroll_users', { scroll: 'abc' })).toEqual({
      method: 'GET',
      path: '/users/scroll',
      query: { scroll_param: 'abc' },
    });
    expect(build('scroll_companies', {}).query).toEqual({});
  });

  it('sends set_admin_away flags as a JSON body on PUT /admins/{id}/away', () => {
    expect(build('set_admin_away', { id: '5', away_mode_enabled: true, away_mode_reassign: false })).toEqual({
      method: 'PUT',
      path: '/admins/5/away',
      query: {},
      body: { away_mode_enabled: true, away_mode_reassign: false },
    });
  });

  it('sends delete_customer_to_conversation admin_id as the DELETE body', () => {
    expect(
      build('delete_customer_to_conversation', { conversation_id: '9', id: 'u 1', admin_id: '4' }),
    ).toEqual({
      method: 'DELETE',
      path: '/conversations/9/customers/u%201',
      query: {},
      body: { admin_id: '4' },
    });
  });

  it('picks the data-attributes path by API version', () => {
    expect(build('list_data_attributes_for_customers', { include_archived: true }, '1.4')).toEqual({
      method: 'GET',
      path: '/data_attributes',
      query: { model: 'customer', include_archived: 'true' },
    });
    expect(build('list_data_attributes_for_companies', {}, '1.3')).toEqual({
      method: 'GET',
      path: '/data_attributes/company',
      query: {},
    });
    expect(build('list_data_attributes_for_companies', {}, '1.0').path).toBe('/data_attributes/company');
  });

  it('sends numbers given for get_count.count and list_companies ids as strings', () => {
    expect(build('get_count', { type: 'user', count: 12 }).query).toEqual({ type: 'user', count: '12' });
    expect(build('list_companies', { tag_id: 17 }).query).toEqual({ tag_id: '17' });
    expect(build('list_companies', { segment_id: 5.5 }).query).toEqual({ segment_id: '5.5' });
  });

  it('merges read: true into mark_conversation_as_read', () => {
    expect(build('mark_conversation_as_read', { id: '3' })).toEqual({
      method: 'PUT',
      path: '/conversations/3',
      query: {},
      body: { read: true },
    });
    expect(
      build('mark_conversation_as_read', { id: '3', body: { read: false, admin_id: '1' } }).body,
    ).toEqual({
      read: true,
      admin_id: '1',
    });
  });

  it('renames the connector snooze_until to snoozed_until on replies', () => {
    const reply = { type: 'admin', admin_id: '1', message_type: 'snoozed', snooze_until: 1_700_000_000 };
    expect(build('post_reply', { conversation_id: '8', body: reply }).body).toEqual({
      type: 'admin',
      admin_id: '1',
      message_type: 'snoozed',
      snoozed_until: 1_700_000_000,
    });
    expect(
      build('post_reply_to_last_conversation', { body: { ...reply, snoozed_until: 5 } }).body,
    ).toMatchObject({ snoozed_until: 5 });
    expect(build('post_reply', { conversation_id: '8', body: reply }).path).toBe('/conversations/8/reply');
  });

  it('accepts the body under $body as well as body', () => {
    expect(build('create_tag', { $body: { name: 'VIP' } }).body).toEqual({ name: 'VIP' });
  });

  it("maps a note model's author.id to admin_id", () => {
    expect(
      build('create_note', { body: { body: 'hi', user: { id: 'u' }, author: { id: 42 } } }).body,
    ).toEqual({
      body: 'hi',
      user: { id: 'u' },
      admin_id: '42',
    });
    expect(
      build('create_note', { body: { body: 'hi', user: { id: 'u' }, admin_id: '7', author: { id: 42 } } })
        .body,
    ).toMatchObject({ admin_id: '7' });
  });

  it('follows the conflict decisions: update_lead POST /contacts, update_visitor PUT /visitors, delete_company by query', () => {
    expect(build('update_lead', { body: { id: 'l1', name: 'n' } })).toMatchObject({
      method: 'POST',
      path: '/contacts',
    });
    expect(build('update_visitor', { body: { user_id: 'v1' } })).toMatchObject({
      method: 'PUT',
      path: '/visitors',
    });
    expect(build('delete_company', { user_id: 'u1' })).toEqual({
      method: 'DELETE',
      path: '/companies',
      query: { user_id: 'u1' },
    });
    expect(build('delete_company_by_id', { id: 'c1' })).toEqual({
      method: 'DELETE',
      path: '/companies/c1',
      query: {},
    });
  });

  it('builds delete_visitor as DELETE /visitors/{id} once the id is looked up, without the user_id query', () => {
    expect(build('delete_visitor', { user_id: 'v1', id: 'abc' })).toEqual({
      method: 'DELETE',
      path: '/visitors/abc',
      query: {},
    });
  });

  it('refuses to build a path with a missing parameter', () => {
    expect(() => build('get_user', {})).toThrow('Path parameter "id" is missing');
  });
});

describe('extractItems and selectPath', () => {
  it('reads the first declared results key, or wraps a single object', () => {
    const find = getOperation('find_user');
    expect(extractItems(find, { type: 'user.list', users: [{ id: 1 }, { id: 2 }] })).toHaveLength(2);
    expect(extractItems(find, { type: 'user', id: '1' })).toEqual([{ type: 'user', id: '1' }]);
    const scroll = getOperation('scroll_leads');
    expect(extractItems(scroll, { type: 'contact.list', users: [{ id: 'l' }] })).toEqual([{ id: 'l' }]);
    expect(extractItems(getOperation('list_companies'), { type: 'user.list', users: [{ id: 'u' }] })).toEqual(
      [{ id: 'u' }],
    );
    expect(extractItems(getOperation('list_tags'), null)).toEqual([]);
  });

  it('selects dot paths with or without $.', () => {
    const value = { users: [1], pages: { next: 'x' } };
    expect(selectPath(value, 'users')).toEqual([1]);
    expect(selectPath(value, '$.pages.next')).toBe('x');
    expect(selectPath(value, 'missing.deep')).toBeUndefined();
    expect(selectPath(value, '__proto__')).toBeUndefined();
  });
});
