/** The shape comparison itself: it must fail on each kind of difference, or the fidelity tests prove nothing. */
import { existsSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { fixture, fixtureFiles, sources } from './fixtures.ts';
import {
  describeDifference,
  expectShapeOf,
  jsonType,
  type ShapeException,
  shapeDifferences,
} from './shape.ts';

const recorded = {
  type: 'user',
  id: 'abc',
  session_count: 3,
  location_data: { type: 'location_data', latitude: 53.1, postal_code: null },
  tags: { type: 'tag.list', tags: [{ id: '1' }, { id: '2', name: 'vip' }] },
  companies: { type: 'company.list', companies: [] },
};

const answer = () => ({
  type: 'user',
  id: 'def',
  session_count: 0,
  location_data: { type: 'location_data', latitude: -6.2, postal_code: 'D02' },
  tags: { type: 'tag.list', tags: [{ id: '9', name: 'x', type: 'tag' }] },
  companies: { type: 'company.list', companies: [{ id: 'c' }] },
  extra: true,
});

/** An admin list as 1.x answers it: admins and team entries in one array. */
const admins = {
  type: 'admin.list',
  admins: [
    { type: 'admin', id: '1', email: 'a@example.com', team_ids: [7] },
    { type: 'team', id: '7', name: 'Support', admin_ids: [1] },
  ],
};

const adminAnswer = () => ({
  type: 'admin.list',
  admins: [
    { type: 'admin', id: '2', email: 'b@example.com', team_ids: [8] },
    { type: 'admin', id: '3', email: 'c@example.com', team_ids: [8] },
    { type: 'team', id: '8', name: 'Sales', admin_ids: [2] },
  ],
});

describe('shapeDifferences', () => {
  it('finds none for the same shape with other values, extra fields or a value where the fixture has null', () => {
    expect(shapeDifferences(answer(), recorded)).toEqual([]);
    expect(shapeDifferences(adminAnswer(), admins)).toEqual([]);
  });

  it('reports a missing field by its path', () => {
    const { session_count: _dropped, ...rest } = answer();
    expect(shapeDifferences(rest, recorded)).toEqual([
      { path: 'session_count', kind: 'missing', expected: 'number', actual: 'absent' },
    ]);
  });

  it('reports a type mismatch, also inside arrays, once per path', () => {
    const a = answer();
    a.location_data.latitude = '53' as any;
    a.tags.tags = [
      { id: 9 as any, name: 'x', type: 'tag' },
      { id: 10 as any, name: 'y', type: 'tag' },
    ];
    expect(shapeDifferences(a, recorded)).toEqual([
      { path: 'location_data.latitude', kind: 'type', expected: 'number', actual: 'string' },
      { path: 'tags.tags[].id', kind: 'type', expected: 'string', actual: 'number' },
    ]);
  });

  it('reports null where the fixture has a value, and an empty array where its array has elements', () => {
    const a = answer();
    a.location_data.latitude = null as any;
    a.tags.tags = [];
    expect(shapeDifferences(a, recorded)).toEqual([
      { path: 'location_data.latitude', kind: 'null', expected: 'number', actual: 'null' },
      { path: 'tags.tags[]', kind: 'empty', expected: 'object', actual: 'array' },
    ]);
  });

  it('needs every fixture element met: a field one of them has is a difference when no answer element has it', () => {
    const a = answer();
    a.tags.tags = [{ id: '9' } as any];
    expect(shapeDifferences(a, recorded)).toEqual([
      { path: 'tags.tags[].name', kind: 'missing', expected: 'string', actual: 'absent' },
    ]);
    // Both variants the fixture shows are met: one element without a name is one of them.
    a.tags.tags = [{ id: '9' } as any, { id: '10', name: 'y', type: 'tag' }];
    expect(shapeDifferences(a, recorded)).toEqual([]);
  });

  it('compares every answer element with the closest fixture element of its type', () => {
    const a = adminAnswer();
    a.admins[1] = { type: 'admin', id: '3', team_ids: ['8'] } as any;
    expect(shapeDifferences(a, admins)).toEqual([
      { path: 'admins[type=admin].email', kind: 'missing', expected: 'string', actual: 'absent' },
      { path: 'admins[type=admin].team_ids[]', kind: 'type', expected: 'number', actual: 'string' },
    ]);
  });

  it('matches the elements of a heterogeneous array by their type', () => {
    const a: any = adminAnswer();
    a.admins[2].admin_ids = ['2'];
    expect(shapeDifferences(a, admins)).toEqual([
      { path: 'admins[type=team].admin_ids[]', kind: 'type', expected: 'number', actual: 'string' },
    ]);
    // No team entry at all: the team element of the fixture is missing, not compared with an admin.
    a.admins = a.admins.filter((e: any) => e.type !== 'team');
    expect(shapeDifferences(a, admins)).toEqual([
      { path: 'admins[type=team]', kind: 'missing', expected: 'object', actual: 'absent' },
    ]);
    // An element of a type the fixture never shows is not compared with anything.
    const withBot = { ...adminAnswer(), admins: [...adminAnswer().admins, { type: 'bot', id: '9' }] };
    expect(shapeDifferences(withBot, admins)).toEqual([]);
  });

  it('compares each element with the closest one of its type, not the first', () => {
    const builtIn = { type: 'data_attribute', custom: false };
    const custom = { type: 'data_attribute', custom: true, admin_id: '1' };
    // The fixture's custom attribute meets the answer's custom one, the built-in one the built-in one.
    expect(
      shapeDifferences({ data_attributes: [builtIn, custom] }, { data_attributes: [builtIn, custom] }),
    ).toEqual([]);
    // A fixture with only custom attributes: the answer's built-in one is like none of them.
    expect(shapeDifferences({ data_attributes: [builtIn, custom] }, { data_attributes: [custom] })).toEqual([
      {
        path: 'data_attributes[type=data_attribute].admin_id',
        kind: 'missing',
        expected: 'string',
        actual: 'absent',
      },
    ]);
  });

  it('types JSON values', () => {
    expect([null, [], {}, 'a', 1, true].map(jsonType)).toEqual([
      'null',
      'array',
      'object',
      'string',
      'number',
      'boolean',
    ]);
    expect(() => jsonType(undefined)).toThrow('not a JSON value: undefined');
  });
});

describe('describeDifference', () => {
  it('says what the fixture has and what the answer has', () => {
    const lines = shapeDifferences(
      { type: 'admin', id: '1', team_ids: ['814865'], email: null, list: [] },
      { type: 'admin', id: '1', team_ids: [814865], avatar: { image_url: 'x' }, email: 'e', list: [1] },
    ).map(describeDifference);
    expect(lines).toEqual([
      'team_ids[]: string where the fixture has a number',
      'avatar: missing (the fixture has an object)',
      'email: null where the fixture has a string',
      "list[]: the answer's array is empty (the fixture's holds numbers)",
    ]);
  });
});

describe('expectShapeOf', () => {
  it('fails naming each difference', () => {
    const a = answer() as any;
    delete a.id;
    a.session_count = '0';
    expect(() => expectShapeOf(a, recorded)).toThrow(
      "The answer's shape differs from the fixture's:\n" +
        '  id: missing (the fixture has a string)\n' +
        '  session_count: string where the fixture has a number',
    );
  });

  it('fails on each kind of difference', () => {
    const { session_count: _dropped, ...missing } = answer();
    const type = { ...answer(), id: 1 };
    const nulled = { ...answer(), id: null };
    const empty = { ...answer(), tags: { type: 'tag.list', tags: [] } };
    const noTeam = { ...adminAnswer(), admins: adminAnswer().admins.slice(0, 2) };
    expect(() => expectShapeOf(missing, recorded)).toThrow('session_count: missing');
    expect(() => expectShapeOf(type, recorded)).toThrow('id: number where the fixture has a string');
    expect(() => expectShapeOf(nulled, recorded)).toThrow('id: null where the fixture has a string');
    expect(() => expectShapeOf(empty, recorded)).toThrow("tags.tags[]: the answer's array is empty");
    expect(() => expectShapeOf(noTeam, admins)).toThrow('admins[type=team]: missing');
  });

  it('lets a documented exception through, for its kind and the paths below it only', () => {
    const a = answer() as any;
    a.location_data.latitude = null;
    const nulls: ShapeException[] = [{ path: 'location_data', kind: 'null', reason: 'not placed' }];
    expect(() => expectShapeOf(a, recorded, nulls)).not.toThrow();
    delete a.location_data.latitude;
    expect(() => expectShapeOf(a, recorded, nulls)).toThrow('location_data.latitude: missing');
  });

  it('covers the elements of a typed array from the array path', () => {
    const a: any = adminAnswer();
    a.admins[2].admin_ids = ['2'];
    const ids: ShapeException[] = [{ path: 'admins[type=team]', kind: 'type', reason: 'strings' }];
    expect(() => expectShapeOf(a, admins, ids)).not.toThrow();
    const other: ShapeException[] = [{ path: 'admins[type=admin]', kind: 'type', reason: 'strings' }];
    expect(() => expectShapeOf(a, admins, other)).toThrow('admins[type=team].admin_ids[]: string');
  });

  it('fails on an exception that no longer matches anything', () => {
    const stale: ShapeException[] = [{ path: 'avatar.image_url', kind: 'null', reason: 'no avatars' }];
    expect(() => expectShapeOf(answer(), recorded, stale)).toThrow(
      'exception no longer needed: null avatar.image_url (no avatars)',
    );
    // The path still differs, but in another kind: the exception excuses nothing.
    const wrongKind: ShapeException[] = [{ path: 'id', kind: 'null', reason: 'no id' }];
    expect(() => expectShapeOf({ ...answer(), id: 1 }, recorded, wrongKind)).toThrow(
      'exception no longer needed: null id (no id)',
    );
  });
});

describe('the recorded fixtures and their index', () => {
  it('reads a fixture by its path under intercom-v1', () => {
    expect(fixture('intercom-java/admin.json').team_ids).toEqual([123, 456, 789]);
    expect(jsonType(fixture('intercom-ruby/test_team.json').admin_ids[0])).toBe('number');
    expect(() => fixture('intercom-java/nothing.json')).toThrow('has no entry in sources.json');
  });

  it('sources.json has an entry for every file and a file for every entry, each naming where it came from', () => {
    expect(Object.keys(sources).sort()).toEqual(fixtureFiles());
    for (const [name, source] of Object.entries(sources)) {
      const origin = source.url ?? `${source.repository} ${source.path}`;
      expect([name, origin]).toEqual([name, expect.stringMatching(/^(https:\/\/|[\w.-]+\/[\w.-]+ \S)/)]);
      expect([name, source.copy]).toEqual([name, expect.any(String)]);
      expect(existsSync(new URL(`../../fixtures/intercom-v1/${name}`, import.meta.url))).toBe(true);
    }
  });
});
