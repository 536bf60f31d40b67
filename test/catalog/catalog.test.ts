import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { Ajv } from 'ajv';
import { AJV_OPTIONS } from '../../lib/catalog/ajv-options.ts';
import { findOperation, GROUPS, inputSchemaOf, operations } from '../../lib/catalog/index.ts';

/** The connector's own document: the names and parameters are the contract. */
function connectorOperations(): Map<string, string[]> {
  const text = readFileSync(new URL('../fixtures/connector-operations.md', import.meta.url), 'utf8');
  const result = new Map<string, string[]>();
  for (const section of text.split(/^## /m).slice(1)) {
    const name = section.split('\n', 1)[0]!.trim();
    const params = [...section.matchAll(/^#### ([$\w]+)/gm)].map((m) => m[1]!);
    result.set(name, params);
  }
  return result;
}

const ajv = new Ajv(AJV_OPTIONS);

describe('operation catalog', () => {
  const connector = connectorOperations();

  it('declares exactly the 57 connector operations, by their exact names', () => {
    expect(connector.size).toBe(57);
    expect(operations.map((op) => op.name).sort()).toEqual([...connector.keys()].sort());
  });

  it.each([...connector.entries()])('%s accepts every connector parameter by its name', (name, params) => {
    const op = findOperation(name)!;
    for (const param of params) {
      if (param === 'resultsPath') expect(op.resultsKeys).toBeDefined();
      else if (param === '$body') expect(op.body).toBeDefined();
      else expect(Object.keys(op.params)).toContain(param);
    }
  });

  it('gives every operation one of the ten groups', () => {
    for (const op of operations) expect(GROUPS).toContain(op.group);
    expect(new Set(operations.map((op) => op.group)).size).toBe(10);
  });

  it('derives scopes by the contract rule', () => {
    const scope = (name: string) => findOperation(name)!.scope;
    expect(scope('get_user')).toBe('read');
    expect(scope('scroll_leads')).toBe('read');
    expect(scope('find_user')).toBe('read');
    expect(scope('add_customer_to_conversation')).toBe('write');
    expect(scope('set_admin_away')).toBe('write');
    expect(scope('mark_conversation_as_read')).toBe('write');
    expect(scope('convert_visitor')).toBe('write');
    expect(scope('archive_user')).toBe('delete');
    expect(scope('delete_customer_to_conversation')).toBe('delete');
  });

  it('declares every path placeholder as a required path parameter, and nothing else in the path', () => {
    for (const op of operations) {
      const placeholders = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
      const lookedUp = op.lookup ? [op.lookup.into] : [];
      const pathParams = Object.entries(op.params)
        .filter(([, p]) => p.in === 'path')
        .map(([n]) => n);
      expect(placeholders.sort()).toEqual([...pathParams, ...lookedUp].sort());
      for (const name of pathParams) expect(op.params[name]!.required).toBe(true);
    }
  });

  it('marks only non-idempotent writes as unsafe to retry', () => {
    const unsafe = operations.filter((op) => !op.retrySafe).map((op) => op.name);
    expect(unsafe.sort()).toEqual([
      'convert_lead',
      'convert_visitor',
      'create_event',
      'create_lead',
      'create_note',
      'post_message',
      'post_reply',
      'post_reply_to_last_conversation',
    ]);
    for (const op of operations) if (op.method !== 'POST') expect(op.retrySafe).toBe(true);
  });

  it('gives list-shaped operations a results key and pagination kind', () => {
    const kinds = Object.fromEntries(operations.map((op) => [op.name, op.pagination]));
    expect(kinds.scroll_users).toBe('scroll');
    expect(kinds.list_events_for_user).toBe('events_cursor');
    expect(kinds.list_users).toBe('pages');
    expect(kinds.list_tags).toBe('none');
    for (const op of operations)
      if (op.pagination !== 'none') expect(op.resultsKeys?.length).toBeGreaterThan(0);
  });

  describe('input schemas', () => {
    const validators = new Map(operations.map((op) => [op.name, ajv.compile(inputSchemaOf(op))]));
    const valid = (name: string, input: unknown) => validators.get(name)!(input);

    it('compile in strict mode for all 57 operations', () => {
      expect(validators.size).toBe(57);
    });

    it('require required parameters and reject unknown ones', () => {
      expect(valid('get_user', {})).toBe(false);
      expect(valid('get_user', { id: '1' })).toBe(true);
      expect(valid('get_user', { id: '1', idd: '2' })).toBe(false);
      expect(valid('get_user', { id: '' })).toBe(false);
      expect(valid('get_current_admin_and_app', {})).toBe(true);
    });

    it('enforce enums (order, sort, type)', () => {
      expect(valid('list_users', { order: 'asc', sort: 'signed_up_at' })).toBe(true);
      expect(valid('list_users', { order: 'up' })).toBe(false);
      expect(valid('list_users', { sort: 'name' })).toBe(false);
      expect(valid('list_conversations', { sort: 'waiting_since', type: 'admin', admin_id: 'nobody' })).toBe(
        true,
      );
      expect(valid('list_conversations', { type: 'robot' })).toBe(false);
    });

    it('accept strings and numbers for get_count.count and list_companies tag_id/segment_id', () => {
      expect(valid('get_count', { type: 'user', count: 'tag' })).toBe(true);
      expect(valid('get_count', { type: 'user', count: 5 })).toBe(true);
      expect(valid('list_companies', { tag_id: 17 })).toBe(true);
      expect(valid('list_companies', { segment_id: 'abc' })).toBe(true);
      expect(valid('list_companies', { tag_id: 1, segment_id: 2 })).toBe(false);
      expect(valid('list_companies', { tag_id: true })).toBe(false);
    });

    it('need one identifier where Intercom does', () => {
      // R1.1/R1.4 deleting-from-group-conversations: the acting admin is required.
      expect(valid('delete_customer_to_conversation', { conversation_id: '1', id: '2' })).toBe(false);
      expect(valid('delete_customer_to_conversation', { conversation_id: '1', id: '2', admin_id: '3' })).toBe(
        true,
      );
      expect(valid('find_user', {})).toBe(false);
      expect(valid('find_user', { email: 'a@b.co' })).toBe(true);
      expect(valid('list_notes_for_user', {})).toBe(false);
      expect(valid('create_user', { body: { name: 'x' } })).toBe(false);
      expect(valid('create_user', { body: { user_id: 'u1' } })).toBe(true);
      expect(valid('update_lead', { body: { name: 'x' } })).toBe(false);
      expect(valid('create_event', { body: { event_name: 'e', created_at: 1 } })).toBe(false);
      expect(valid('create_event', { body: { event_name: 'e', created_at: 1, email: 'a@b.co' } })).toBe(true);
    });

    it('check reply rules and accept the connector spelling snooze_until', () => {
      const reply = (body: object) => valid('post_reply', { conversation_id: '1', body });
      expect(reply({ type: 'admin', message_type: 'comment', admin_id: '1', body: 'hi' })).toBe(true);
      expect(reply({ type: 'admin', message_type: 'comment', body: 'hi' })).toBe(false);
      expect(reply({ type: 'admin', admin_id: '1', message_type: 'snoozed', snooze_until: 1700000000 })).toBe(
        true,
      );
      expect(reply({ type: 'admin', admin_id: '1', message_type: 'snoozed' })).toBe(false);
      expect(reply({ type: 'admin', admin_id: '1', message_type: 'assignment' })).toBe(false);
      expect(reply({ type: 'user', message_type: 'comment', body: 'hi' })).toBe(false);
      expect(reply({ type: 'user', email: 'a@b.co', message_type: 'comment', body: 'hi' })).toBe(true);
    });

    it('add the list controls to list-shaped operations only', () => {
      expect(valid('list_users', { resultsPath: '$.users', limit: 10, next: 'abc' })).toBe(true);
      expect(valid('list_users', { resultsPath: 'users;drop' })).toBe(false);
      expect(valid('list_users', { limit: 0 })).toBe(false);
      expect(valid('get_user', { id: '1', limit: 10 })).toBe(false);
    });

    it('bound string sizes so hostile input never reaches Intercom', () => {
      expect(valid('get_user', { id: 'x'.repeat(10_000) })).toBe(false);
      expect(valid('get_user', { id: 5 })).toBe(false);
    });
  });
});
