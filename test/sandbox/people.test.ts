import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { SEED_VISITOR_USER_IDS } from '../../lib/sandbox/seed.ts';
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

const post = (path: string, body: unknown) => call(sandbox, path, { method: 'POST', body });

describe('users', () => {
  it('creates a user, then updates the same one by user_id and by email', async () => {
    const created = await post('/users', { user_id: 'u1', email: 'one@example.com', name: 'One' });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({
      type: 'user',
      user_id: 'u1',
      email: 'one@example.com',
      name: 'One',
    });
    expect(created.body.id).toMatch(/^[0-9a-f]{24}$/);

    const byUserId = await post('/users', { user_id: 'u1', name: 'One Renamed' });
    expect(byUserId.body.id).toBe(created.body.id);
    expect(byUserId.body.name).toBe('One Renamed');

    const byEmail = await post('/users', { email: 'one@example.com', phone: '+353' });
    expect(byEmail.body).toMatchObject({ id: created.body.id, name: 'One Renamed', phone: '+353' });
    expect(sandbox.stats().objects.users).toBe(1);
  });

  it('gives a user found by email the user_id it lacked, and updates by id', async () => {
    const created = await post('/users', { email: 'two@example.com' });
    expect(created.body.user_id).toBeNull();
    const claimed = await post('/users', { user_id: 'u2', email: 'two@example.com' });
    expect(claimed.body).toMatchObject({ id: created.body.id, user_id: 'u2' });
    const byId = await post('/users', { id: created.body.id, name: 'Two' });
    expect(byId.body).toMatchObject({ id: created.body.id, name: 'Two' });
    expect(errorCode(await post('/users', { id: '0123456789abcdef01234567' }))).toBe('not_found');
  });

  it('merges custom_attributes and rejects nested values', async () => {
    await post('/users', { user_id: 'u3', custom_attributes: { plan: 'pro', seats: 3 } });
    const merged = await post('/users', { user_id: 'u3', custom_attributes: { seats: 5, beta: true } });
    expect(merged.body.custom_attributes).toEqual({ plan: 'pro', seats: 5, beta: true });
    const nested = await post('/users', { user_id: 'u3', custom_attributes: { bad: { x: 1 } } });
    expect(nested.status).toBe(400);
    expect(errorCode(nested)).toBe('parameter_invalid');
    const attrs = await call(sandbox, '/data_attributes?model=customer');
    expect(attrs.body.data_attributes).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'seats', custom: true, data_type: 'integer' }),
      ]),
    );
  });

  it('requires an identifier and checks field types', async () => {
    const none = await post('/users', { name: 'Nobody' });
    expect(none.status).toBe(400);
    expect(none.body.errors).toEqual([
      { code: 'parameter_not_found', message: 'User email, user_id or anonymous_id must be supplied' },
    ]);
    const wrongType = await post('/users', { user_id: 'u4', signed_up_at: 'yesterday' });
    expect(errorCode(wrongType)).toBe('type_mismatch');
    expect(sandbox.stats().objects.users).toBe(0);
  });

  it("takes a body's created_at, the old name, as signed_up_at and remote_created_at", async () => {
    const user = await post('/users', { user_id: 'old', created_at: 1_477_195_013 });
    expect(user.body).toMatchObject({ signed_up_at: 1_477_195_013, remote_created_at: 1_477_195_013 });
    expect(user.body.created_at).not.toBe(1_477_195_013);
    const explicit = await post('/users', { user_id: 'old', created_at: 5, signed_up_at: 7 });
    expect(explicit.body).toMatchObject({ signed_up_at: 7, remote_created_at: 5 });
  });

  it('attaches companies (creating them) and detaches them with remove: true', async () => {
    const attached = await post('/users', {
      user_id: 'u5',
      companies: [{ company_id: 'acme', name: 'Acme' }, { company_id: 'globex' }],
    });
    expect(attached.body.companies.companies.map((c: any) => c.company_id).sort()).toEqual([
      'acme',
      'globex',
    ]);
    const acme = await call(sandbox, '/companies?company_id=acme');
    expect(acme.body).toMatchObject({ type: 'company', name: 'Acme', user_count: 1 });

    const detached = await post('/users', {
      user_id: 'u5',
      companies: [{ company_id: 'acme', remove: true }],
    });
    expect(detached.body.companies.companies.map((c: any) => c.company_id)).toEqual(['globex']);
    expect((await call(sandbox, `/companies/${acme.body.id}`)).body.user_count).toBe(0);
  });

  it('finds by id and user_id, archives by user_id, email or id, and 404s unknown users', async () => {
    const a = await post('/users', { user_id: 'a', email: 'a@example.com' });
    await post('/users', { user_id: 'b', email: 'b@example.com' });
    const c = await post('/users', { user_id: 'c' });
    expect((await call(sandbox, `/users/${a.body.id}`)).body.user_id).toBe('a');
    expect((await call(sandbox, '/users?user_id=b')).body.email).toBe('b@example.com');

    const archived = await call(sandbox, '/users?user_id=a', { method: 'DELETE' });
    expect(archived.body).toMatchObject({ type: 'user', user_id: 'a' });
    expect((await call(sandbox, '/users?email=b%40example.com', { method: 'DELETE' })).body.user_id).toBe(
      'b',
    );
    expect((await call(sandbox, `/users/${c.body.id}`, { method: 'DELETE' })).body.user_id).toBe('c');

    const gone = await call(sandbox, `/users/${a.body.id}`);
    expect(gone.status).toBe(404);
    expect(errorCode(gone)).toBe('not_found');
    expect(errorCode(await call(sandbox, '/users?user_id=a'))).toBe('not_found');
    expect(errorCode(await call(sandbox, '/users', { method: 'DELETE' }))).toBe('parameter_not_found');
  });

  it('archives by identifiers in a JSON body, as the intercom.io client sends them', async () => {
    const del = (body: unknown) => call(sandbox, '/users', { method: 'DELETE', body });
    const a = await post('/users', { user_id: 'a', email: 'a@example.com' });
    await post('/users', { user_id: 'b', email: 'b@example.com' });
    await post('/users', { user_id: 'c', email: 'c@example.com' });
    expect((await del({ email: 'a@example.com' })).body).toMatchObject({ type: 'user', id: a.body.id });
    expect((await del({ user_id: 'b' })).body.user_id).toBe('b');
    // The whole user object, as that client's deleteUser(user) sends it: its id names it.
    const c = (await call(sandbox, '/users?user_id=c')).body;
    expect((await del(c)).body.user_id).toBe('c');
    expect(sandbox.stats().objects.users).toBe(0);
    expect(errorCode(await del({ email: 'a@example.com' }))).toBe('not_found');
    expect(errorCode(await del({ name: 'no identifier' }))).toBe('parameter_not_found');
    // The query, where the SDKs put it, wins over a body.
    await post('/users', { user_id: 'd' });
    await post('/users', { user_id: 'e' });
    const both = await call(sandbox, '/users?user_id=d', { method: 'DELETE', body: { user_id: 'e' } });
    expect(both.body.user_id).toBe('d');
  });

  it('lists with order, sort, created_since, tag_id and segment_id', async () => {
    for (const [userId, signedUp] of [
      ['x', 300],
      ['y', 100],
      ['z', 200],
    ] as const)
      await post('/users', { user_id: userId, signed_up_at: signedUp });
    const ids = async (query: string) =>
      (await call(sandbox, `/users?${query}`)).body.users.map((u: any) => u.user_id as string);
    expect(await ids('sort=signed_up_at&order=asc')).toEqual(['y', 'z', 'x']);
    expect(await ids('sort=signed_up_at&order=desc')).toEqual(['x', 'z', 'y']);
    expect(await ids('created_since=1')).toHaveLength(3);
    expect(errorCode(await call(sandbox, '/users?sort=name'))).toBe('parameter_invalid');

    const tag = await post('/tags', { name: 'VIP', users: [{ user_id: 'y' }] });
    expect(await ids(`tag_id=${tag.body.id}`)).toEqual(['y']);
  });
});

describe('fields of users, leads and visitors', () => {
  const NOWHERE = {
    type: 'location_data',
    city_name: null,
    continent_code: null,
    country_code: null,
    country_name: null,
    latitude: null,
    longitude: null,
    postal_code: null,
    region_name: null,
    timezone: null,
  };

  it('renders every location_data field, null until the Messenger placed the customer', async () => {
    const user = await post('/users', { user_id: 'loc', last_seen_ip: '1.2.3.4' });
    expect(user.body.location_data).toEqual(NOWHERE);
    sandbox.reset({ seed: true });
    const seeded = (await call(sandbox, '/users?user_id=u-0001')).body.location_data;
    expect(Object.keys(seeded).sort()).toEqual(Object.keys(NOWHERE).sort());
    expect(typeof seeded.latitude).toBe('number');
    expect(typeof seeded.country_code).toBe('string');
  });

  it('gives leads and visitors a referrer and utm fields, users neither', async () => {
    const user = (await post('/users', { user_id: 'u', utm_source: 'ignored' })).body;
    expect(Object.keys(user).filter((k) => k === 'referrer' || k.startsWith('utm_'))).toEqual([]);
    const lead = (await post('/contacts', { utm_source: 'ads' })).body;
    expect(lead).toMatchObject({ referrer: null, utm_source: 'ads', utm_campaign: null });
    sandbox.reset({ seed: true });
    const [userId] = SEED_VISITOR_USER_IDS;
    const visitor = await call(sandbox, '/visitors', {
      method: 'PUT',
      body: { user_id: userId, utm_term: 't' },
    });
    expect(visitor.body).toMatchObject({ type: 'visitor', referrer: null, utm_term: 't', utm_medium: null });
  });

  it('marks user and lead lists limited: false, after total_count', async () => {
    await post('/users', { user_id: 'l', email: 'l@example.com' });
    await post('/contacts', { email: 'l@lead.example' });
    for (const path of ['/users', '/users?email=l%40example.com', '/contacts']) {
      const keys = Object.keys((await call(sandbox, path)).body);
      expect(keys.slice(-2)).toEqual(['total_count', 'limited']);
      expect((await call(sandbox, path)).body.limited).toBe(false);
    }
  });
});

describe('users sharing an email', () => {
  const email = 'twin@example.com';
  const conflict = `Multiple existing users match this email address ${email} - must be more specific using user_id`;
  const expectConflict = (res: { status: number; body: any }) => {
    // 409 as Intercom answered in the 1.x era (intercom-php #273, #290); see lib/sandbox/errors.ts.
    expect(res.status).toBe(409);
    expect(res.body.errors).toEqual([{ code: 'conflict', message: conflict }]);
  };
  beforeEach(async () => {
    await post('/users', { user_id: 'twin-a', email });
    await post('/users', { user_id: 'twin-b', email });
  });

  it('is a conflict wherever a user is named by that email alone, and nothing changes', async () => {
    const before = sandbox.stats().objects;
    expectConflict(await call(sandbox, '/users?email=twin%40example.com', { version: '1.0' }));
    expectConflict(await call(sandbox, '/users?email=twin%40example.com', { method: 'DELETE' }));
    expectConflict(await post('/users', { email, name: 'Which one?' }));
    expectConflict(await post('/tags', { name: 'Twins', users: [{ email }] }));
    expectConflict(await post('/notes', { body: 'Hello', user: { email } }));
    expectConflict(await post('/events', { event_name: 'seen', created_at: 1_700_000_000, email }));
    expectConflict(await call(sandbox, '/conversations?type=user&email=twin%40example.com'));
    expect(sandbox.stats().objects).toEqual(before);
    const names = (await call(sandbox, '/users?email=twin%40example.com')).body.users.map((u: any) => u.name);
    expect(names).toEqual([null, null]);
  });

  it('is no conflict when a user_id or id says which user, nor for the 1.1+ list by email', async () => {
    const list = await call(sandbox, '/users?email=twin%40example.com', { version: '1.1' });
    expect(list.body.users.map((u: any) => u.user_id).sort()).toEqual(['twin-a', 'twin-b']);
    const updated = await post('/users', { user_id: 'twin-a', email, name: 'A' });
    expect(updated.body).toMatchObject({ user_id: 'twin-a', name: 'A' });
    const tagged = await post('/tags', { name: 'Twin A', users: [{ id: updated.body.id }] });
    expect(tagged.status).toBe(200);
    const archived = await call(sandbox, '/users?user_id=twin-b', { method: 'DELETE' });
    expect(archived.body.user_id).toBe('twin-b');
    // Once one user has the email, the email alone names it again.
    expect((await call(sandbox, '/users?email=twin%40example.com', { version: '1.0' })).body.user_id).toBe(
      'twin-a',
    );
  });
});

describe('companies', () => {
  it('upserts on company_id, which is required', async () => {
    const created = await post('/companies', {
      company_id: 'c1',
      name: 'First',
      monthly_spend: 99,
      plan: 'pro',
    });
    expect(created.body).toMatchObject({
      type: 'company',
      company_id: 'c1',
      name: 'First',
      monthly_spend: 99,
    });
    expect(created.body.plan).toMatchObject({ type: 'plan', name: 'pro' });
    const updated = await post('/companies', { company_id: 'c1', size: 40 });
    expect(updated.body).toMatchObject({ id: created.body.id, name: 'First', size: 40 });
    const missing = await post('/companies', { name: 'No id' });
    expect(missing.status).toBe(400);
    expect(errorCode(missing)).toBe('parameter_not_found');
  });

  it('lists only companies with users, finds by name, lists a company users, deletes by id', async () => {
    await post('/companies', { company_id: 'lonely', name: 'Lonely' });
    await post('/users', { user_id: 'u', companies: [{ company_id: 'busy', name: 'Busy' }] });
    await post('/contacts', { email: 'lead@example.com', companies: [{ company_id: 'busy' }] });
    const list = await call(sandbox, '/companies');
    expect(list.body.type).toBe('company.list');
    expect(list.body.companies.map((c: any) => c.company_id)).toEqual(['busy']);

    const busy = await call(sandbox, '/companies?name=Busy');
    expect(busy.body.company_id).toBe('busy');
    const users = await call(sandbox, '/companies?company_id=busy&type=user');
    expect(users.body.type).toBe('user.list');
    expect(users.body.users.map((u: any) => u.type).sort()).toEqual(['contact', 'user']);
    expect((await call(sandbox, `/companies/${busy.body.id}/users`)).body.total_count).toBe(2);

    const deleted = await call(sandbox, `/companies/${busy.body.id}`, { method: 'DELETE' });
    expect(deleted.body).toEqual({ id: busy.body.id, object: 'company', deleted: true });
    const gone = await call(sandbox, `/companies/${busy.body.id}`);
    expect(gone.status).toBe(404);
    expect(errorCode(gone)).toBe('company_not_found');
    expect((await call(sandbox, '/users?user_id=u')).body.companies.companies).toEqual([]);
  });
});

describe('leads', () => {
  it('creates an anonymous lead with a UUID user_id, updates it by id or user_id', async () => {
    const lead = await post('/contacts', { email: 'lead@example.com', name: 'Lee' });
    expect(lead.body).toMatchObject({ type: 'contact', anonymous: true, email: 'lead@example.com' });
    expect(lead.body.user_id).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    const byId = await post('/contacts', { id: lead.body.id, phone: '+1' });
    expect(byId.body).toMatchObject({ id: lead.body.id, phone: '+1', name: 'Lee' });
    const byUserId = await post('/contacts', { user_id: lead.body.user_id, name: 'Leigh' });
    expect(byUserId.body).toMatchObject({ id: lead.body.id, name: 'Leigh' });
    expect(errorCode(await post('/contacts', { id: 'ffffffffffffffffffffffff' }))).toBe('not_found');
  });

  it('lists with email and phone filters, returns one contact for user_id, deletes', async () => {
    const a = await post('/contacts', { email: 'a@lead.example', phone: '111' });
    await post('/contacts', { email: 'b@lead.example' });
    expect((await call(sandbox, '/contacts')).body).toMatchObject({ type: 'contact.list', total_count: 2 });
    expect((await call(sandbox, '/contacts?email=a%40lead.example')).body.contacts).toHaveLength(1);
    expect((await call(sandbox, '/contacts?phone=111')).body.contacts[0].id).toBe(a.body.id);
    const one = await call(sandbox, `/contacts?user_id=${a.body.user_id}`);
    expect(one.body).toMatchObject({ type: 'contact', id: a.body.id });

    const deleted = await call(sandbox, `/contacts?user_id=${a.body.user_id}`, { method: 'DELETE' });
    expect(deleted.body.id).toBe(a.body.id);
    expect((await call(sandbox, `/contacts/${a.body.id}`)).status).toBe(404);
  });

  it('deletes by id or user_id in a JSON body; a lead no longer there is 404 Lead Not Found', async () => {
    const del = (body: unknown) => call(sandbox, '/contacts', { method: 'DELETE', body });
    const a = await post('/contacts', { email: 'a@lead.example' });
    const b = await post('/contacts', { email: 'b@lead.example' });
    expect((await del({ id: a.body.id })).body).toMatchObject({ type: 'contact', id: a.body.id });
    expect((await del({ user_id: b.body.user_id })).body.id).toBe(b.body.id);
    // The lead object itself, as the intercom.io client's deleteContact(contact) sends it.
    const gone = await del(a.body);
    expect(gone.status).toBe(404);
    expect(gone.body.errors).toEqual([{ code: 'not_found', message: 'Lead Not Found' }]);
    expect(errorCode(await del({ email: 'a@lead.example' }))).toBe('parameter_not_found');
    expect(errorCode(await call(sandbox, '/contacts', { method: 'DELETE' }))).toBe('parameter_not_found');
  });

  it('converts a lead into a new user, keeping its id', async () => {
    const lead = await post('/contacts', { email: 'new@example.com' });
    const converted = await post('/contacts/convert', {
      contact: { id: lead.body.id },
      user: { user_id: 'fresh' },
    });
    expect(converted.body).toMatchObject({
      type: 'user',
      id: lead.body.id,
      user_id: 'fresh',
      email: 'new@example.com',
      // As in Intercom's recorded conversion: the pseudonym stays, it signs up now.
      pseudonym: lead.body.pseudonym,
      created_at: lead.body.created_at,
    });
    expect(converted.body.signed_up_at).toEqual(expect.any(Number));
    expect(converted.body.remote_created_at).toBe(converted.body.signed_up_at);
    expect(sandbox.stats().objects).toMatchObject({ users: 1, leads: 0 });
  });

  it('merges a lead into an existing user, moving its tags', async () => {
    const user = await post('/users', { user_id: 'existing', name: 'Existing' });
    const lead = await post('/contacts', { email: 'lead@example.com', custom_attributes: { source: 'ads' } });
    await post('/tags', { name: 'Hot', users: [{ id: lead.body.id }] });
    const merged = await post('/contacts/convert', {
      contact: { user_id: lead.body.user_id },
      user: { user_id: 'existing' },
    });
    expect(merged.body).toMatchObject({ id: user.body.id, name: 'Existing', email: 'lead@example.com' });
    expect(merged.body.custom_attributes).toEqual({ source: 'ads' });
    expect(merged.body.tags.tags.map((t: any) => t.name)).toEqual(['Hot']);
    expect((await call(sandbox, `/contacts/${lead.body.id}`)).status).toBe(404);
  });
});

describe('visitors', () => {
  const [first, second, third, fourth] = SEED_VISITOR_USER_IDS;
  beforeEach(() => sandbox.reset({ seed: true }));

  it('finds a visitor by user_id and by id', async () => {
    const byUserId = await call(sandbox, `/visitors?user_id=${first}`);
    expect(byUserId.body).toMatchObject({ type: 'visitor', user_id: first, anonymous: true });
    expect((await call(sandbox, `/visitors/${byUserId.body.id}`)).body.user_id).toBe(first);
    expect(errorCode(await call(sandbox, '/visitors?user_id=nope'))).toBe('not_found');
    expect(errorCode(await call(sandbox, '/visitors'))).toBe('parameter_not_found');
  });

  it('updates with PUT or POST /visitors; an email turns the visitor into a lead', async () => {
    const put = await call(sandbox, '/visitors', { method: 'PUT', body: { user_id: first, name: 'Vee' } });
    expect(put.body).toMatchObject({ type: 'visitor', name: 'Vee' });
    const post = await call(sandbox, '/visitors', {
      method: 'POST',
      body: { id: put.body.id, custom_attributes: { a: 1 } },
    });
    expect(post.body.custom_attributes).toEqual({ a: 1 });
    const lead = await call(sandbox, '/visitors', {
      method: 'PUT',
      body: { user_id: first, email: 'vee@example.com' },
    });
    expect(lead.body).toMatchObject({ type: 'contact', id: put.body.id, email: 'vee@example.com' });
    expect((await call(sandbox, `/contacts/${put.body.id}`)).status).toBe(200);
    expect((await call(sandbox, `/visitors/${put.body.id}`)).status).toBe(404);
  });

  it('converts a visitor to a lead or to a user', async () => {
    const lead = await call(sandbox, '/visitors/convert', {
      method: 'POST',
      body: { visitor: { user_id: second }, type: 'lead' },
    });
    expect(lead.body).toMatchObject({ type: 'contact', user_id: second });
    const user = await call(sandbox, '/visitors/convert', {
      method: 'POST',
      body: {
        visitor: { user_id: third },
        user: { user_id: 'from-visitor', email: 'fv@example.com' },
        type: 'user',
      },
    });
    expect(user.body).toMatchObject({ type: 'user', user_id: 'from-visitor', email: 'fv@example.com' });
    const badType = await call(sandbox, '/visitors/convert', {
      method: 'POST',
      body: { visitor: { user_id: fourth }, type: 'robot' },
    });
    expect(errorCode(badType)).toBe('parameter_invalid');
  });

  it('deletes by id and by user_id', async () => {
    const v = await call(sandbox, `/visitors?user_id=${first}`);
    expect((await call(sandbox, `/visitors/${v.body.id}`, { method: 'DELETE' })).body.id).toBe(v.body.id);
    const byUserId = await call(sandbox, `/visitors?user_id=${second}`, { method: 'DELETE' });
    expect(byUserId.body.user_id).toBe(second);
    expect(sandbox.stats().objects.visitors).toBe(3);
  });
});
