/** The shape comparison itself: it must fail on each kind of difference, or the fidelity tests prove nothing. */
import { describe, expect, it } from '@jest/globals';
import { expectShapeOf, jsonType, shapeDifferences } from './shape.ts';

const fixture = {
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

describe('shapeDifferences', () => {
  it('finds none for the same shape with other values, extra fields or a value where the fixture has null', () => {
    expect(shapeDifferences(answer(), fixture)).toEqual([]);
  });

  it('reports a missing field by its path', () => {
    const { session_count: _dropped, ...rest } = answer();
    expect(shapeDifferences(rest, fixture)).toEqual([
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
    expect(shapeDifferences(a, fixture)).toEqual([
      { path: 'location_data.latitude', kind: 'type', expected: 'number', actual: 'string' },
      { path: 'tags.tags[].id', kind: 'type', expected: 'string', actual: 'number' },
    ]);
  });

  it('checks array elements against every field the fixture elements have (merged)', () => {
    const a = answer();
    a.tags.tags = [{ id: '9' } as any];
    expect(shapeDifferences(a, fixture)).toEqual([
      { path: 'tags.tags[].name', kind: 'missing', expected: 'string', actual: 'absent' },
    ]);
  });

  it('reports null where the fixture has a value, and an empty array where its array has elements', () => {
    const a = answer();
    a.location_data.latitude = null as any;
    a.tags.tags = [];
    expect(shapeDifferences(a, fixture)).toEqual([
      { path: 'location_data.latitude', kind: 'null', expected: 'number', actual: 'null' },
      { path: 'tags.tags[]', kind: 'empty', expected: 'object', actual: 'array' },
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
  });
});

describe('expectShapeOf', () => {
  it('fails naming each difference', () => {
    const a = answer() as any;
    delete a.id;
    a.session_count = '0';
    expect(() => expectShapeOf(a, fixture)).toThrow(
      "The answer's shape differs from the fixture's:\n" +
        '  id: missing (the fixture has a string)\n' +
        '  session_count: string where the fixture has a number',
    );
  });

  it('lets a documented exception through, for its kind and the paths below it only', () => {
    const a = answer() as any;
    a.location_data.latitude = null;
    const nulls = [{ path: 'location_data', kind: 'null' as const, reason: 'not placed' }];
    expect(() => expectShapeOf(a, fixture, nulls)).not.toThrow();
    delete a.location_data.latitude;
    expect(() => expectShapeOf(a, fixture, nulls)).toThrow('location_data.latitude: missing');
  });

  it('fails on an exception that no longer matches anything', () => {
    const stale = [{ path: 'avatar.image_url', kind: 'null' as const, reason: 'no avatars' }];
    expect(() => expectShapeOf(answer(), fixture, stale)).toThrow(
      'exception no longer needed: null avatar.image_url (no avatars)',
    );
  });
});
