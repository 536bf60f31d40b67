/** The part buffer: bytes exactly as Buffer.from would give them, across growth, multi-byte text and reuse. */
import { describe, expect, it } from '@jest/globals';
import { PartBuffer } from '../../lib/exports/part-buffer.ts';

describe('PartBuffer', () => {
  it('holds what was written and appended, in order, growing past its first capacity', () => {
    const part = new PartBuffer(8);
    const pieces = ['{"id":"1"}\n', 'é€😀 ünïcödé\n', 'x'.repeat(1_000), '\n'];
    part.append(Buffer.from('carry;'));
    for (const piece of pieces) part.write(piece);
    const expected = Buffer.from(`carry;${pieces.join('')}`);
    expect(part.length).toBe(expected.length);
    expect(Buffer.compare(part.view(), expected)).toBe(0);
  });

  it('writes text that fits only when counted exactly (3 bytes a unit would not fit)', () => {
    const part = new PartBuffer(10);
    part.write('abcdefghij');
    expect(part.view().toString()).toBe('abcdefghij');
  });

  it('starts over after clear, keeping no byte of the part before', () => {
    const part = new PartBuffer(16);
    part.write('first part, longer than sixteen bytes');
    part.clear();
    expect(part.length).toBe(0);
    part.write('second');
    expect(part.view().toString()).toBe('second');
  });
});
