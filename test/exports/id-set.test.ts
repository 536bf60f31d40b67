/**
 * The compact set of ids already written: exact membership (what exactly-once after a restart rests
 * on) across packing and merging of runs, for ObjectId-shaped ids and any other, and its size.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { IdSet } from '../../lib/exports/id-set.ts';

const objectId = () => randomBytes(12).toString('hex');

describe('IdSet', () => {
  it('answers exactly as a Set does, over many packs and merges', () => {
    const ids = new IdSet();
    const reference = new Set<string>();
    const all: string[] = [];
    // Collected, then asserted once: an expect per id would cost more than the set.
    const wrong: string[] = [];
    for (let i = 0; i < 50_000; i++) {
      // Repeats, upper-case hex and non-hex ids among them: each kept apart, none confused.
      const id =
        i % 7 === 0 && all.length > 0
          ? all[(i * 31) % all.length]!
          : i % 11 === 0
            ? objectId().toUpperCase()
            : i % 13 === 0
              ? String(i)
              : objectId();
      if (ids.add(id) !== !reference.has(id)) wrong.push(`add ${id}`);
      reference.add(id);
      all.push(id);
    }
    expect(ids.size).toBe(reference.size);
    for (const id of all) if (!ids.has(id)) wrong.push(`has ${id}`);
    for (let i = 0; i < 5_000; i++) {
      for (const absent of [objectId(), objectId().toUpperCase(), String(-i)])
        if (ids.has(absent) !== reference.has(absent)) wrong.push(`absent ${absent}`);
    }
    expect(wrong).toEqual([]);
  });

  it('finds neighbours apart (ids one bit from a member are not members)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.uint8Array({ minLength: 12, maxLength: 12 }), { maxLength: 9_000 }),
        (keys) => {
          const hex = [...new Set(keys.map((k) => Buffer.from(k).toString('hex')))];
          const ids = new IdSet();
          for (const id of hex) ids.add(id);
          const members = new Set(hex);
          for (const id of hex) {
            expect(ids.has(id)).toBe(true);
            const near = Buffer.from(id, 'hex');
            near[11] = near[11]! ^ 1;
            expect(ids.has(near.toString('hex'))).toBe(members.has(near.toString('hex')));
          }
        },
      ),
      { numRuns: 20 },
    );
  });

  it('holds 12 bytes per ObjectId id once packed', () => {
    const ids = new IdSet();
    for (let i = 0; i < 100_000; i++) ids.add(objectId());
    // 100,000 ids: 1.2 MB packed, plus at most one run's worth of strings not packed yet.
    expect(ids.bytes).toBeLessThan(1.2e6 + 4096 * 72);
  });
});
