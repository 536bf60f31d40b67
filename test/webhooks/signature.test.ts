/** Signature vectors: valid, wrong secret, re-serialised body, empty secret, missing, malformed, rotation. */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { readSignature, sign, verifySignature } from '../../lib/webhooks/signature.ts';

// Bytes exactly as Intercom sent them: spacing and key order are part of what is signed.
const body = Buffer.from(
  '{"type":"notification_event","id":"notif_1","topic":"user.created", "data":{"item":{"id":"u1"}}}',
);
const secret = 'hub-secret-1';
const hub = `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`;

describe('X-Hub-Signature', () => {
  it('verifies the HMAC-SHA1 of the raw body', () => {
    expect(sign('hub', secret, body)).toBe(hub);
    expect(verifySignature(body, { hub }, [secret])).toBe(true);
    expect(verifySignature(body, { hub: hub.toUpperCase().replace('SHA1=', 'sha1=') }, [secret])).toBe(true);
  });

  it('rejects another secret', () => {
    expect(verifySignature(body, { hub }, ['hub-secret-2'])).toBe(false);
  });

  it('rejects the same JSON serialised again (the bytes differ)', () => {
    const reserialised = Buffer.from(JSON.stringify(JSON.parse(body.toString())));
    expect(reserialised.equals(body)).toBe(false);
    expect(verifySignature(reserialised, { hub }, [secret])).toBe(false);
  });

  it('fails closed without secrets or with an empty secret', () => {
    expect(verifySignature(body, { hub }, [])).toBe(false);
    const emptyKeySignature = `sha1=${createHmac('sha1', '').update(body).digest('hex')}`;
    expect(verifySignature(body, { hub: emptyKeySignature }, [''])).toBe(false);
    const blankKeySignature = `sha1=${createHmac('sha1', '  ').update(body).digest('hex')}`;
    expect(verifySignature(body, { hub: blankKeySignature }, ['  '])).toBe(false);
  });

  it.each([
    ['missing', {}],
    ['empty', { hub: '' }],
    ['no algorithm', { hub: hub.slice(5) }],
    ['another algorithm', { hub: hub.replace('sha1=', 'sha256=') }],
    ['too short', { hub: hub.slice(0, -2) }],
    ['not hex', { hub: `sha1=${'z'.repeat(40)}` }],
    ['two values', { hub: `${hub},${hub}` }],
  ])('rejects a %s header', (_name, headers) => {
    expect(readSignature(headers)).toBeUndefined();
    expect(verifySignature(body, headers, [secret])).toBe(false);
  });

  it('accepts any of several secrets during a rotation', () => {
    expect(verifySignature(body, { hub }, ['old-secret', secret])).toBe(true);
    expect(verifySignature(body, { hub }, [secret, 'new-secret'])).toBe(true);
  });
});

describe('X-Body-Signature (uninstall and health checks)', () => {
  const signature = createHmac('sha256', secret).update(body).digest('hex');
  it('verifies the HMAC-SHA256 of the raw body, with or without a prefix', () => {
    expect(verifySignature(body, { body: signature }, [secret])).toBe(true);
    expect(verifySignature(body, { body: `sha256=${signature}` }, [secret])).toBe(true);
    expect(verifySignature(body, { body: signature }, ['other'])).toBe(false);
  });

  it('does not accept a body signature in the hub header or the reverse', () => {
    expect(verifySignature(body, { hub: `sha1=${signature}` }, [secret])).toBe(false);
    expect(verifySignature(body, { body: hub }, [secret])).toBe(false);
  });
});
