/** The key ring: a key is found by its SHA-256, and a repeat caller by the recent keys, never wrongly. */
import { describe, expect, it } from '@jest/globals';
import { generateApiKey, keyRing } from '../../lib/auth/api-keys.ts';
import { sha256Hex } from '../../lib/config/parse.ts';
import type { ApiKeyRecord } from '../../lib/config/types.ts';

function record(name: string, key: string): ApiKeyRecord {
  return { id: `key_${name}`, name, sha256: sha256Hex(key), scopes: ['read'], workspace: 'main' };
}

describe('keyRing', () => {
  const keys = Array.from({ length: 12 }, () => generateApiKey());
  const records = keys.map((key, i) => record(`k${i}`, key));

  it('finds every key, the first time and again, past the number of recent keys kept', () => {
    const ring = keyRing(records);
    for (let round = 0; round < 3; round++) {
      keys.forEach((key, i) => {
        expect(ring.find(key)).toBe(records[i]);
      });
    }
  });

  it('refuses a key one character off a recent one, of the same length', () => {
    const ring = keyRing(records);
    expect(ring.find(keys[0]!)).toBe(records[0]);
    const last = keys[0]!.at(-1) === 'A' ? 'B' : 'A';
    const near = `${keys[0]!.slice(0, -1)}${last}`;
    expect(near).toHaveLength(keys[0]!.length);
    expect(ring.find(near)).toBeUndefined();
    expect(ring.find(`${keys[0]!}x`)).toBeUndefined();
    expect(ring.find(keys[0]!.slice(0, -1))).toBeUndefined();
    expect(ring.find('')).toBeUndefined();
  });

  it('forgets a revoked key: the ring of the new configuration does not know it', () => {
    const before = keyRing(records);
    expect(before.find(keys[1]!)).toBe(records[1]);
    const after = keyRing(records.filter((_, i) => i !== 1));
    expect(after.find(keys[1]!)).toBeUndefined();
    expect(after.find(keys[2]!)).toBe(records[2]);
  });

  it("keeps no key in Node's shared buffer pool", () => {
    const ring = keyRing(records);
    for (const key of keys) ring.find(key);
    ring.find(`${keys[0]!}-wrong`);
    // A small Buffer is a slice of the pool: its whole memory holds no key.
    const pool = Buffer.from(Buffer.from('{"hello":"world"}').buffer);
    for (const key of keys) expect(pool.includes(key)).toBe(false);
  });
});
