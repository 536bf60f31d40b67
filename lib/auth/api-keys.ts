/** API keys: presented as `Authorization: Bearer <key>` or `x-api-key`, stored and compared as SHA-256. */
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKeyRecord } from '../config/types.ts';

/** A new random key: `ia_` + 32 random bytes (base64url). Shown once; only its hash is stored. */
export function generateApiKey(): string {
  return `ia_${randomBytes(32).toString('base64url')}`;
}

/** A new key's id: `key_` + 16 random bytes (base64url). Kept through rotations, never reused. */
export function generateKeyId(): string {
  return `key_${randomBytes(16).toString('base64url')}`;
}

/** The key a request presents, or undefined. Header names are lower-case (normalised first). */
export function presentedKey(headers: Readonly<Record<string, string | undefined>>): string | undefined {
  const apiKey = headers['x-api-key']?.trim();
  const authorization = headers.authorization;
  // A proxy may add its own `Authorization: Basic ...`: then the x-api-key still counts.
  if (authorization && (!apiKey || /^Bearer\b/i.test(authorization))) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return match?.[1];
  }
  return apiKey || undefined;
}

export interface KeyRing {
  /** The record whose hash matches `key`, or undefined. Takes the same time whichever key matches. */
  find(key: string): ApiKeyRecord | undefined;
}

/**
 * Keys a ring has matched lately, as bytes. A repeat caller (most requests of a warm function) is
 * recognised by a constant-time comparison with them instead of a SHA-256, which measured ~6 µs per
 * request in a warm function, the largest single step of the middleware stack. Only keys that matched
 * a record are kept, in this process's memory like the request itself; the ring, and its recent keys,
 * is rebuilt when the configuration changes, so a revoked key is forgotten with it.
 */
const MAX_RECENT_KEYS = 8;

export function keyRing(records: readonly ApiKeyRecord[]): KeyRing {
  const hashes = records.map((record) => ({ record, digest: Buffer.from(record.sha256, 'hex') }));
  const recent: { bytes: Buffer; record: ApiKeyRecord }[] = [];
  // The presented key's bytes, in memory of the ring's own and zeroed after each use: Buffer.from
  // would copy the key into Node's shared pool, where any other small Buffer's memory could show it.
  let scratch = Buffer.allocUnsafeSlow(64);
  return {
    find(key) {
      const length = Buffer.byteLength(key, 'utf8');
      if (scratch.byteLength < length) scratch = Buffer.allocUnsafeSlow(length);
      const bytes = scratch.subarray(0, scratch.write(key, 0, 'utf8'));
      try {
        let found: ApiKeyRecord | undefined;
        // Every recent key compared in full, without an early exit (a different length says only
        // that it is not that key; keys have a public format).
        for (const entry of recent) {
          if (entry.bytes.byteLength === bytes.byteLength && timingSafeEqual(entry.bytes, bytes) && !found)
            found = entry.record;
        }
        if (found) return found;
        // One-shot: half the cost of a Hash object.
        const digest = hash('sha256', bytes, 'buffer');
        // Compare against every record, without an early exit, so timing says nothing about the match.
        for (const entry of hashes) {
          if (timingSafeEqual(entry.digest, digest) && !found) found = entry.record;
        }
        if (found) {
          const own = Buffer.allocUnsafeSlow(bytes.byteLength);
          bytes.copy(own);
          recent.push({ bytes: own, record: found });
          if (recent.length > MAX_RECENT_KEYS) recent.shift();
        }
        return found;
      } finally {
        bytes.fill(0);
      }
    },
  };
}
