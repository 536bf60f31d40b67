/**
 * Every API response carries the security headers (`cache-control: no-store`,
 * `x-content-type-options: nosniff`) and its request id: each kind of endpoint, its successes and
 * its errors, through the whole local stack as API Gateway would route them.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type BulkTestStack, startBulkTestStack } from '../helpers/bulk-stack.ts';

let t: BulkTestStack;

beforeAll(async () => {
  t = await startBulkTestStack();
}, 30_000);
afterAll(async () => {
  await t?.close();
});

function signed(body: string): Record<string, string> {
  return {
    'content-type': 'application/json',
    'x-hub-signature': `sha1=${createHmac('sha1', t.stack.webhookSecret).update(body).digest('hex')}`,
  };
}

const ping = JSON.stringify({
  type: 'notification_event',
  id: 'notif_headers_ping',
  topic: 'ping',
  created_at: Math.floor(Date.now() / 1000),
  data: { item: { type: 'ping', message: 'hi' } },
});

interface Case {
  name: string;
  method: string;
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** Signed with the stack's webhook secret. */
  sign?: true;
  status: number;
  code?: string;
}

const cases: Case[] = [
  { name: 'health', method: 'GET', path: '/health', status: 200 },
  { name: 'openapi', method: 'GET', path: '/openapi.json', status: 200 },
  { name: 'action', method: 'POST', path: '/actions/list_tags', body: {}, status: 200 },
  {
    name: 'action, invalid input',
    method: 'POST',
    path: '/actions/get_user',
    body: {},
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'action, no key',
    method: 'POST',
    path: '/actions/list_tags',
    body: {},
    headers: { authorization: '' },
    status: 401,
    code: 'unauthorized',
  },
  { name: 'no route', method: 'GET', path: '/nowhere', status: 404, code: 'not_found' },
  { name: 'bulk job', method: 'POST', path: '/bulk/get_user', body: { items: [{ id: 'u-1' }] }, status: 202 },
  { name: 'bulk, no such job', method: 'GET', path: '/bulk/jobs/job_nope', status: 404, code: 'not_found' },
  { name: 'webhook', method: 'POST', path: '/webhooks/intercom', body: ping, sign: true, status: 200 },
  {
    name: 'webhook, bad signature',
    method: 'POST',
    path: '/webhooks/intercom',
    body: ping,
    headers: { 'content-type': 'application/json', 'x-hub-signature': 'sha1=00' },
    status: 401,
    code: 'invalid_signature',
  },
  { name: 'automation runs', method: 'GET', path: '/automations/runs', status: 200 },
  {
    name: 'automation run, unknown',
    method: 'GET',
    path: '/automations/runs/notif_nope',
    status: 404,
    code: 'not_found',
  },
];

describe('security headers', () => {
  it.each(cases)('are on the $name response ($status)', async (c) => {
    const headers = c.sign ? signed(c.body as string) : (c.headers ?? {});
    const res = await t.request(c.method, c.path, c.body, headers);
    expect(res.status).toBe(c.status);
    if (c.code) expect(res.json.error.code).toBe(c.code);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
