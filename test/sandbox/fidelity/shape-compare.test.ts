import { describe, expect, it } from '@jest/globals';
import { checkShape, compareShapes, describeDifferences, fixture, jsonType } from './shape-compare.ts';

describe('shape comparison', () => {
  it('reports a missing field and a type mismatch, with their paths', () => {
    const recorded = { type: 'admin', id: '1', team_ids: [814865], avatar: { image_url: 'x' } };
    const answer = { type: 'admin', id: '1', team_ids: ['814865'] };
    expect(compareShapes(recorded, answer)).toEqual([
      { path: 'team_ids[]', kind: 'type', expected: 'number', actual: 'string' },
      { path: 'avatar', kind: 'missing', expected: 'object', actual: 'absent' },
    ]);
    expect(describeDifferences(compareShapes(recorded, answer))).toBe(
      'team_ids[]: fixture has number, sandbox has string\navatar: missing (fixture has object)',
    );
  });

  it('ignores values, extra fields and nulls, but not an empty array where the fixture has items', () => {
    expect(compareShapes({ a: 1, b: 'x', c: null }, { a: 2, b: 'y', c: 'z', extra: true })).toEqual([]);
    expect(compareShapes({ list: [{ id: 'x' }] }, { list: [] })).toEqual([
      { path: 'list[]', kind: 'missing', expected: 'object', actual: 'absent' },
    ]);
  });

  it('matches array elements by their type, then by the closest shape', () => {
    const recorded = { admins: [{ type: 'team', admin_ids: [1] }] };
    const answer = {
      admins: [
        { type: 'admin', team_ids: [1] },
        { type: 'team', admin_ids: ['1'] },
      ],
    };
    expect(describeDifferences(compareShapes(recorded, answer))).toBe(
      'admins[type=team].admin_ids[]: fixture has number, sandbox has string',
    );
    const attributes = { list: [{ custom: false }, { custom: true, admin_id: '1' }] };
    expect(compareShapes({ list: [{ custom: true, admin_id: '1' }] }, attributes)).toEqual([]);
    expect(compareShapes({ admins: [{ type: 'bot' }] }, answer)).toEqual([
      { path: 'admins[type=bot]', kind: 'missing', expected: 'object', actual: 'absent' },
    ]);
  });

  it('excuses only documented paths, and reports exceptions that excuse nothing', () => {
    const check = checkShape({ a: { b: 1 }, c: 'x' }, { c: 1 }, { a: 'not modelled', d: 'stale reason' });
    expect(check.differences).toEqual([{ path: 'c', kind: 'type', expected: 'string', actual: 'number' }]);
    expect(check.excused.map((d) => d.path)).toEqual(['a']);
    expect(check.unusedExceptions).toEqual(['d']);
  });

  it('reads the recorded fixtures', () => {
    expect(fixture('intercom-java/admin.json').team_ids).toEqual([123, 456, 789]);
    expect(jsonType(fixture('intercom-ruby/test_team.json').admin_ids[0])).toBe('number');
  });
});
