import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Sandbox } from '../../lib/sandbox/server.ts';
import { call, errorCode, start, TOKEN } from './helpers.ts';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await start();
});
afterAll(async () => {
  await sandbox.close();
});

const basic = (user: string, password = '') =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('authentication', () => {
  it('accepts the token as a bearer token', async () => {
    const res = await call(sandbox, '/me');
    expect(res.status).toBe(200);
    expect(res.body.type).toBe('admin');
    expect(res.body.app).toMatchObject({
      type: 'app',
      id_code: expect.any(String),
      name: expect.any(String),
    });
  });

  it('accepts the token as the HTTP Basic user name with an empty password', async () => {
    expect((await call(sandbox, '/me', { auth: basic(TOKEN) })).status).toBe(200);
  });

  it('answers 401 unauthorized without an Authorization header, as an error.list', async () => {
    const res = await call(sandbox, '/me', { auth: null });
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.body).toEqual({
      type: 'error.list',
      request_id: expect.any(String),
      errors: [{ code: 'unauthorized', message: expect.any(String) }],
    });
    expect(res.headers.get('x-request-id')).toBe(res.body.request_id);
  });

  it('answers 401 token_not_found for another token, bearer or basic', async () => {
    for (const auth of ['Bearer nope', basic('nope')]) {
      const res = await call(sandbox, '/me', { auth });
      expect(res.status).toBe(401);
      expect(errorCode(res)).toBe('token_not_found');
    }
  });

  it('refuses legacy app_id:api_key Basic credentials, empty tokens and other schemes', async () => {
    for (const auth of [basic('app', 'key'), 'Bearer ', 'Token abc', basic('')]) {
      const res = await call(sandbox, '/me', { auth });
      expect(res.status).toBe(401);
      expect(errorCode(res)).toBe('unauthorized');
    }
  });

  it('accepts any non-empty token when started without one', async () => {
    const open = await start({ token: undefined });
    try {
      expect((await call(open, '/me', { auth: 'Bearer whatever' })).status).toBe(200);
      expect((await call(open, '/me', { auth: basic('anything') })).status).toBe(200);
      expect((await call(open, '/me', { auth: null })).status).toBe(401);
    } finally {
      await open.close();
    }
  });

  it('puts x-request-id on successes too', async () => {
    const res = await call(sandbox, '/tags');
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-v]{20}$/);
  });
});

describe('Intercom-Version', () => {
  it('rejects a version other than 1.0-1.4 with 400 intercom_version_invalid', async () => {
    for (const version of ['2.0', '1.5', 'latest', '']) {
      const res = await call(sandbox, '/me', { version });
      expect(res.status).toBe(400);
      expect(errorCode(res)).toBe('intercom_version_invalid');
    }
  });

  it('finds users by email as a user in 1.0 and as a user.list from 1.1', async () => {
    const v10 = await call(sandbox, '/users?email=user0001%40example.com', { version: '1.0' });
    expect(v10.body).toMatchObject({ type: 'user', email: 'user0001@example.com', user_id: 'u-0001' });
    const v11 = await call(sandbox, '/users?email=user0001%40example.com', { version: '1.1' });
    expect(v11.body.type).toBe('user.list');
    expect(v11.body.users.map((u: any) => u.user_id)).toEqual(['u-0001']);
  });

  it('lists every user sharing an email from 1.1; 1.0 answers 409 conflict naming the email', async () => {
    const v14 = await call(sandbox, '/users?email=shared%40example.com');
    expect(v14.body.users).toHaveLength(2);
    const v10 = await call(sandbox, '/users?email=shared%40example.com', { version: '1.0' });
    expect(v10.status).toBe(409);
    expect(errorCode(v10)).toBe('conflict');
    expect(v10.body.errors[0].message).toBe(
      'Multiple existing users match this email address shared@example.com - must be more specific using user_id',
    );
  });

  it('uses the app default version when no header is sent', async () => {
    const old = await start({ defaultVersion: '1.0' });
    try {
      const res = await call(old, '/users?email=user0002%40example.com', { version: null });
      expect(res.body.type).toBe('user');
      const v14 = await call(old, '/users?email=user0002%40example.com', { version: '1.4' });
      expect(v14.body.type).toBe('user.list');
    } finally {
      await old.close();
    }
  });

  it('serves data attributes at /data_attributes/{model} up to 1.3 and at ?model= in 1.4', async () => {
    const v13 = await call(sandbox, '/data_attributes/customer', { version: '1.3' });
    expect(v13.status).toBe(200);
    expect(v13.body.type).toBe('data_attribute.list');
    expect(v13.body.data_attributes.map((a: any) => a.name)).toContain('email');
    expect((await call(sandbox, '/data_attributes?model=customer', { version: '1.3' })).status).toBe(404);

    const v14 = await call(sandbox, '/data_attributes?model=company', { version: '1.4' });
    expect(v14.status).toBe(200);
    expect(v14.body.data_attributes.every((a: any) => a.model === 'company')).toBe(true);
    const old = await call(sandbox, '/data_attributes/company', { version: '1.4' });
    expect(old.status).toBe(404);
    expect(errorCode(old)).toBe('not_found');
  });

  it('includes archived attributes only with include_archived=true', async () => {
    const names = async (query: string) =>
      (await call(sandbox, `/data_attributes?model=customer${query}`)).body.data_attributes.map(
        (a: any) => a.name,
      );
    expect(await names('')).not.toContain('legacy_score');
    expect(await names('&include_archived=true')).toContain('legacy_score');
  });
});

describe('routing and bodies', () => {
  it('answers 404 not_found for unknown routes', async () => {
    const res = await call(sandbox, '/nothing/here');
    expect(res.status).toBe(404);
    expect(errorCode(res)).toBe('not_found');
  });

  it('answers 405 for a known path with another method, naming the allowed ones', async () => {
    const res = await call(sandbox, '/tags', { method: 'PATCH', body: {} });
    expect(res.status).toBe(405);
    expect(errorCode(res)).toBe('unsupported');
    expect(res.headers.get('allow')).toBe('POST, GET');
  });

  it('answers 400 invalid_document for a body that is not JSON, or not an object', async () => {
    const bad = await call(sandbox, '/users', {
      method: 'POST',
      rawBody: '{"user_id": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(bad.status).toBe(400);
    expect(errorCode(bad)).toBe('invalid_document');
    const array = await call(sandbox, '/users', { method: 'POST', body: [1, 2] });
    expect(errorCode(array)).toBe('invalid_document');
  });

  it('answers 404 for DELETE /companies?user_id=, which Intercom 1.x does not have', async () => {
    const res = await call(sandbox, '/companies?user_id=u-0001', { method: 'DELETE' });
    expect(res.status).toBe(404);
    expect(res.body.errors[0].message).toBe('Intercom 1.x has no DELETE /companies?user_id= endpoint');
  });
});
