import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { Sandbox } from '../../lib/sandbox/server.ts';
import { call, errorCode, start } from './helpers.ts';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await start({ seed: false });
});
beforeEach(() => sandbox.reset({ seed: false }));
afterAll(async () => {
  await sandbox.close();
});

const tag = (body: unknown) => call(sandbox, '/tags', { method: 'POST', body });
const tagNames = async (path: string) => (await call(sandbox, path)).body.tags.tags.map((t: any) => t.name);

describe('tags', () => {
  it('creates a tag once: names are case-insensitive and creation is idempotent', async () => {
    const first = await tag({ name: 'MyTag' });
    expect(first.body).toEqual({ type: 'tag', id: expect.stringMatching(/^\d+$/), name: 'MyTag' });
    const again = await tag({ name: 'mytag' });
    expect(again.body).toEqual(first.body);
    const list = await call(sandbox, '/tags');
    expect(list.body).toEqual({ type: 'tag.list', tags: [first.body] });
  });

  it('tags users by id, user_id or email and leads by id; untags with untag: true', async () => {
    const user = await call(sandbox, '/users', {
      method: 'POST',
      body: { user_id: 'u1', email: 'u1@example.com' },
    });
    await call(sandbox, '/users', { method: 'POST', body: { user_id: 'u2', email: 'u2@example.com' } });
    const lead = await call(sandbox, '/contacts', { method: 'POST', body: { name: 'Lead' } });
    const vip = await tag({
      name: 'VIP',
      users: [{ id: user.body.id }, { email: 'u2@example.com' }, { id: lead.body.id }],
    });
    expect(vip.status).toBe(200);
    expect(await tagNames('/users?user_id=u1')).toEqual(['VIP']);
    expect(await tagNames('/users?user_id=u2')).toEqual(['VIP']);
    expect(await tagNames(`/contacts/${lead.body.id}`)).toEqual(['VIP']);

    await tag({ name: 'vip', users: [{ user_id: 'u1', untag: true }] });
    expect(await tagNames('/users?user_id=u1')).toEqual([]);
    expect(await tagNames('/users?user_id=u2')).toEqual(['VIP']);
  });

  it('tags companies by id or company_id', async () => {
    const company = await call(sandbox, '/companies', { method: 'POST', body: { company_id: 'acme' } });
    await tag({ name: 'Enterprise', companies: [{ company_id: 'acme' }] });
    expect(await tagNames(`/companies/${company.body.id}`)).toEqual(['Enterprise']);
    await tag({ name: 'Enterprise', companies: [{ id: company.body.id, untag: true }] });
    expect(await tagNames(`/companies/${company.body.id}`)).toEqual([]);
  });

  it('rejects users and companies in one request, without creating the tag', async () => {
    const mixed = await tag({ name: 'Mixed', users: [{ user_id: 'x' }], companies: [{ company_id: 'y' }] });
    expect(mixed.status).toBe(400);
    expect(errorCode(mixed)).toBe('parameter_invalid');
    expect((await call(sandbox, '/tags')).body.tags).toEqual([]);
  });

  it('404s an unknown target and changes nothing', async () => {
    await call(sandbox, '/users', { method: 'POST', body: { user_id: 'real' } });
    const res = await tag({ name: 'Partial', users: [{ user_id: 'real' }, { user_id: 'ghost' }] });
    expect(res.status).toBe(404);
    expect(await tagNames('/users?user_id=real')).toEqual([]);
  });

  it('renames with id + name, requires a name, and deletes', async () => {
    const created = await tag({ name: 'Old' });
    const renamed = await tag({ id: created.body.id, name: 'New' });
    expect(renamed.body).toEqual({ type: 'tag', id: created.body.id, name: 'New' });
    expect(errorCode(await tag({ users: [] }))).toBe('parameter_not_found');

    await call(sandbox, '/users', { method: 'POST', body: { user_id: 'u' } });
    await tag({ name: 'New', users: [{ user_id: 'u' }] });
    const deleted = await call(sandbox, `/tags/${created.body.id}`, { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    expect(await tagNames('/users?user_id=u')).toEqual([]);
    expect((await call(sandbox, `/tags/${created.body.id}`, { method: 'DELETE' })).status).toBe(404);
  });
});
