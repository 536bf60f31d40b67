import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { GROUPS, operationsOfGroup } from '../../lib/catalog/index.ts';
import { compileGroup, compileIndex } from '../../lib/validation/compile.ts';
import * as companies from '../../lib/validation/generated/companies.ts';
import * as conversations from '../../lib/validation/generated/conversations.ts';
import * as users from '../../lib/validation/generated/users.ts';
import { normalizeInput, validateInput } from '../../lib/validation/validate.ts';

describe('precompiled validators', () => {
  it.each(GROUPS)(
    '%s: the committed module is what the catalog compiles to (npm run build:validators)',
    (group) => {
      const committed = readFileSync(
        new URL(`../../lib/validation/generated/${group}.ts`, import.meta.url),
        'utf8',
      );
      expect(committed).toBe(compileGroup(group));
    },
  );

  it('index re-exports every group (npm run build:validators)', () => {
    const committed = readFileSync(
      new URL('../../lib/validation/generated/index.ts', import.meta.url),
      'utf8',
    );
    expect(committed).toBe(compileIndex());
  });

  it('export one validator per operation of the group', () => {
    expect(Object.keys(users).sort()).toEqual(
      operationsOfGroup('users')
        .map((op) => op.name)
        .sort(),
    );
  });

  it('word errors per field', () => {
    expect(validateInput(users.get_user, {})).toEqual([{ path: '/id', message: 'is required' }]);
    expect(validateInput(users.get_user, { id: 1 })).toEqual([{ path: '/id', message: 'must be string' }]);
    expect(validateInput(users.get_user, { id: 'x', idd: 'y' })).toEqual([
      { path: '/idd', message: 'is not a known parameter' },
    ]);
    expect(validateInput(users.list_users, { order: 'up' })).toEqual([
      { path: '/order', message: 'must be one of: asc, desc' },
    ]);
    expect(validateInput(users.find_user, {})).toEqual([
      { path: '/', message: 'needs at least one of: email, user_id' },
    ]);
    expect(validateInput(companies.list_companies, { tag_id: 1, segment_id: 2 })).toEqual([
      { path: '/', message: 'combines parameters that cannot be used together' },
    ]);
    expect(validateInput(users.create_user, { body: { name: 'n' } })).toEqual([
      { path: '/body', message: 'needs at least one of: user_id, email, id' },
    ]);
    expect(
      validateInput(conversations.post_reply, {
        conversation_id: '1',
        body: { type: 'admin', message_type: 'comment' },
      }),
    ).toEqual([
      { path: '/body/admin_id', message: 'is required' },
      { path: '/body/body', message: 'is required' },
    ]);
    expect(validateInput(users.get_user, { id: 'x' })).toEqual([]);
  });

  it('read $body as body', () => {
    expect(normalizeInput({ $body: { a: 1 }, id: 'x' })).toEqual({ body: { a: 1 }, id: 'x' });
    const both = { $body: {}, body: {} };
    expect(normalizeInput(both)).toBe(both);
  });
});
