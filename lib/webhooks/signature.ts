/**
 * Intercom webhook signatures. Notifications carry `X-Hub-Signature: sha1=<hex>`, the HMAC-SHA1 of the
 * raw body bytes; app uninstall and health-check requests carry `X-Body-Signature` (HMAC-SHA256, hex)
 * instead. Both are checked against every configured secret (several during a rotation), always in
 * constant time, and fail closed: no secret, an empty secret, or a missing or malformed header never
 * verifies.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type SignatureKind = 'hub' | 'body';

const HUB = /^sha1=([0-9a-f]{40})$/i;
const BODY = /^(?:sha256=)?([0-9a-f]{64})$/i;

export interface SignatureHeaders {
  hub?: string | undefined;
  body?: string | undefined;
}

/** Which signature a request carries and its digest, or undefined when it carries none we accept. */
export function readSignature(
  headers: SignatureHeaders,
): { kind: SignatureKind; digest: Buffer } | undefined {
  if (headers.hub !== undefined) {
    const match = HUB.exec(headers.hub.trim());
    return match ? { kind: 'hub', digest: Buffer.from(match[1]!, 'hex') } : undefined;
  }
  if (headers.body !== undefined) {
    const match = BODY.exec(headers.body.trim());
    return match ? { kind: 'body', digest: Buffer.from(match[1]!, 'hex') } : undefined;
  }
  return undefined;
}

export function sign(kind: SignatureKind, secret: string, body: Buffer | string): string {
  const digest = createHmac(kind === 'hub' ? 'sha1' : 'sha256', secret)
    .update(body)
    .digest('hex');
  return kind === 'hub' ? `sha1=${digest}` : digest;
}

/** True when `headers` carry a valid signature of `body` by one of `secrets`. */
export function verifySignature(
  body: Buffer,
  headers: SignatureHeaders,
  secrets: readonly string[],
): boolean {
  const signature = readSignature(headers);
  if (!signature) return false;
  let valid = false;
  for (const secret of secrets) {
    if (secret.trim().length === 0) continue; // an empty or blank key would make the signature guessable
    const expected = createHmac(signature.kind === 'hub' ? 'sha1' : 'sha256', secret)
      .update(body)
      .digest();
    // Every secret is tried (no early exit), so timing does not tell which one matched.
    if (expected.length === signature.digest.length && timingSafeEqual(expected, signature.digest))
      valid = true;
  }
  return valid;
}
