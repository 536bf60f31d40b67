/**
 * All 57 operations end to end: HTTP request -> local API Gateway -> the group's Lambda handler ->
 * the shared client -> the embedded sandbox, asserting the response and the exact wire request
 * (method, path, query, body) the sandbox received.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { operations } from '../../lib/catalog/index.ts';
import type { LocalStack } from '../../lib/local/stack.ts';
import type { RecordedRequest } from '../../lib/sandbox/server.ts';

let stack: LocalStack;
const savedEnv = { ...process.env };
const state: Record<string, string> = {};
const covered = new Set<string>();

beforeAll(async () => {
  for (const key of [
    'INTERCOM_ACCESS_TOKEN',
    'INTERCOM_BASE_URL',
    'API_KEY',
    'INTERCOM_WEBHOOK_SECRET',
    'INTERCOM_VERSION',
  ])
    delete process.env[key];
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const { startLocalStack } = await import('../../lib/local/stack.ts');
  stack = await startLocalStack({ port: 0, sandboxPort: 0 });
});
afterAll(async () => {
  await stack?.close();
  process.env = savedEnv;
});

interface Wire {
  method: string;
  path: string;
  query?: Record<string, string>;
  body?: unknown;
}

async function act(
  op: string,
  body: unknown,
  expected: { status?: number; wire?: Wire; code?: string } = {},
) {
  covered.add(op);
  const before = stack.sandbox!.requests().length;
  // The stack's automations (the example rules) write to the sandbox too, whenever a webhook lands:
  // this call's requests are the ones carrying its request id.
  const requestId = `e2e-${op}-${randomUUID()}`;
  const res = await fetch(`${stack.url}/actions/${op}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${stack.apiKey}`,
      'content-type': 'application/json',
      'x-request-id': requestId,
    },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as any;
  expect({ op, status: res.status, error: json.error }).toMatchObject({ op, status: expected.status ?? 200 });
  if (expected.code) expect(json.error.code).toBe(expected.code);
  const sent = stack
    .sandbox!.requests()
    .slice(before)
    .filter((r) => r.headers['x-request-id'] === requestId);
  if (expected.wire) {
    const last = sent.at(-1) as RecordedRequest;
    expect({ method: last.method, path: last.path }).toEqual({
      method: expected.wire.method,
      path: expected.wire.path,
    });
    expect(last.query).toEqual(expected.wire.query ?? {});
    if ('body' in expected.wire) expect(last.body).toEqual(expected.wire.body);
    expect(last.headers['intercom-version']).toBe('1.4');
    expect(last.headers.authorization).toMatch(/^Bearer sandbox_/);
  }
  return { json, sent };
}

describe('all 57 operations through the local stack and the sandbox', () => {
  it('admins, teams and the app', async () => {
    const me = await act('get_current_admin_and_app', {}, { wire: { method: 'GET', path: '/me' } });
    state.admin = me.json.data.id;
    expect(me.json.data.app.id_code).toBeDefined();
    const admins = await act(
      'list_admins',
      { resultsPath: 'admins' },
      { wire: { method: 'GET', path: '/admins' } },
    );
    expect(admins.json.data.length).toBeGreaterThan(0);
    await act('get_admin', { id: state.admin }, { wire: { method: 'GET', path: `/admins/${state.admin}` } });
    const teams = await act('list_teams', {}, { wire: { method: 'GET', path: '/teams' } });
    state.team = teams.json.data.teams[0].id;
    await act('get_team', { id: state.team }, { wire: { method: 'GET', path: `/teams/${state.team}` } });
    const away = await act(
      'set_admin_away',
      { id: state.admin, away_mode_enabled: true, away_mode_reassign: false },
      {
        wire: {
          method: 'PUT',
          path: `/admins/${state.admin}/away`,
          body: { away_mode_enabled: true, away_mode_reassign: false },
        },
      },
    );
    expect(away.json.data.away_mode_enabled).toBe(true);
    const logs = await act(
      'list_activity_logs_for_admin',
      { created_at_after: 0, resultsPath: 'activity_logs', limit: 5 },
      {
        wire: { method: 'GET', path: '/admins/activity_logs', query: { created_at_after: '0' } },
      },
    );
    expect(logs.json.data.length).toBeGreaterThan(0);
  });

  it('users: upsert, get, find, list, scroll', async () => {
    const created = await act(
      'create_user',
      {
        body: {
          user_id: 'e2e-1',
          email: 'e2e1@example.com',
          name: 'E2E One',
          companies: [{ company_id: 'c-e2e', name: 'E2E Co' }],
        },
      },
      {
        wire: {
          method: 'POST',
          path: '/users',
          body: {
            user_id: 'e2e-1',
            email: 'e2e1@example.com',
            name: 'E2E One',
            companies: [{ company_id: 'c-e2e', name: 'E2E Co' }],
          },
        },
      },
    );
    state.user = created.json.data.id;
    const updated = await act(
      'create_update_user',
      { $body: { user_id: 'e2e-1', name: 'E2E Renamed' } },
      { wire: { method: 'POST', path: '/users', body: { user_id: 'e2e-1', name: 'E2E Renamed' } } },
    );
    expect(updated.json.data).toMatchObject({ id: state.user, name: 'E2E Renamed' });
    await act('get_user', { id: state.user }, { wire: { method: 'GET', path: `/users/${state.user}` } });
    const found = await act(
      'find_user',
      { email: 'e2e1@example.com', resultsPath: 'users' },
      { wire: { method: 'GET', path: '/users', query: { email: 'e2e1@example.com' } } },
    );
    expect(found.json.data.map((u: { id: string }) => u.id)).toContain(state.user);
    const listed = await act(
      'list_users',
      { order: 'desc', sort: 'created_at', resultsPath: 'users', limit: 75 },
      {
        wire: {
          method: 'GET',
          path: '/users',
          query: { order: 'desc', sort: 'created_at', page: '2', per_page: '50' },
        },
      },
    );
    expect(listed.json.data).toHaveLength(75);
    expect(typeof listed.json.next).toBe('string');
    // No limit: the scroll runs to its end, which closes it (Intercom allows one open scroll per app).
    const scrolled = await act(
      'scroll_users',
      { resultsPath: 'users' },
      {
        wire: { method: 'GET', path: '/users/scroll', query: { scroll_param: expect.any(String) as never } },
      },
    );
    expect(scrolled.json.data.length).toBeGreaterThanOrEqual(150);
  });

  it('companies: upsert, get, list, users, scroll', async () => {
    const company = await act(
      'create_company',
      { body: { company_id: 'c-e2e-2', name: 'Second' } },
      { wire: { method: 'POST', path: '/companies', body: { company_id: 'c-e2e-2', name: 'Second' } } },
    );
    state.company = company.json.data.id;
    await act(
      'update_company',
      { body: { company_id: 'c-e2e-2', plan: 'pro' } },
      { wire: { method: 'POST', path: '/companies', body: { company_id: 'c-e2e-2', plan: 'pro' } } },
    );
    await act(
      'get_company',
      { id: state.company },
      { wire: { method: 'GET', path: `/companies/${state.company}` } },
    );
    const one = await act(
      'list_companies',
      { company_id: 'c-e2e' },
      { wire: { method: 'GET', path: '/companies', query: { company_id: 'c-e2e' } } },
    );
    state.userCompany = one.json.data.id;
    await act(
      'list_companies',
      { order: 'asc', resultsPath: 'companies', limit: 3 },
      { wire: { method: 'GET', path: '/companies', query: { order: 'asc' } } },
    );
    const users = await act(
      'list_users_for_company',
      { id: state.userCompany, resultsPath: 'users' },
      { wire: { method: 'GET', path: `/companies/${state.userCompany}/users` } },
    );
    expect(users.json.data.map((u: { id: string }) => u.id)).toContain(state.user);
    await act(
      'scroll_companies',
      { resultsPath: 'companies' },
      {
        wire: {
          method: 'GET',
          path: '/companies/scroll',
          query: { scroll_param: expect.any(String) as never },
        },
      },
    );
  });

  it('tags: create, tag users, rename, list, delete', async () => {
    const tag = await act(
      'create_tag',
      { body: { name: 'E2E-VIP', users: [{ id: state.user }] } },
      { wire: { method: 'POST', path: '/tags', body: { name: 'E2E-VIP', users: [{ id: state.user }] } } },
    );
    state.tag = tag.json.data.id;
    await act(
      'update_tag',
      { body: { id: state.tag, name: 'E2E-VIP2' } },
      { wire: { method: 'POST', path: '/tags', body: { id: state.tag, name: 'E2E-VIP2' } } },
    );
    const tags = await act('list_tags', { resultsPath: 'tags' }, { wire: { method: 'GET', path: '/tags' } });
    expect(tags.json.data.map((t: { name: string }) => t.name)).toContain('E2E-VIP2');
    await act('delete_tag', { id: state.tag }, { wire: { method: 'DELETE', path: `/tags/${state.tag}` } });
  });

  it('notes and events', async () => {
    const note = await act(
      'create_note',
      { body: { body: 'Called them', user: { id: state.user }, author: { id: state.admin } } },
      {
        wire: {
          method: 'POST',
          path: '/notes',
          body: { body: 'Called them', user: { id: state.user }, admin_id: state.admin },
        },
      },
    );
    state.note = note.json.data.id;
    await act('get_note', { id: state.note }, { wire: { method: 'GET', path: `/notes/${state.note}` } });
    const notes = await act(
      'list_notes_for_user',
      { user_id: 'e2e-1', resultsPath: 'notes' },
      { wire: { method: 'GET', path: '/notes', query: { user_id: 'e2e-1' } } },
    );
    expect(notes.json.data.map((n: { id: string }) => n.id)).toContain(state.note);
    const createdAt = Math.floor(Date.now() / 1000);
    const event = await act(
      'create_event',
      {
        body: {
          event_name: 'e2e-signed-up',
          created_at: createdAt,
          user_id: 'e2e-1',
          metadata: { plan: 'pro' },
        },
      },
      {
        status: 202,
        wire: {
          method: 'POST',
          path: '/events',
          body: {
            event_name: 'e2e-signed-up',
            created_at: createdAt,
            user_id: 'e2e-1',
            metadata: { plan: 'pro' },
          },
        },
      },
    );
    expect(event.json.data).toBeNull();
    const events = await act(
      'list_events_for_user',
      { type: 'user', user_id: 'e2e-1', resultsPath: 'events' },
      { wire: { method: 'GET', path: '/events', query: { type: 'user', user_id: 'e2e-1' } } },
    );
    expect(events.json.data.map((e: { event_name: string }) => e.event_name)).toContain('e2e-signed-up');
  });

  it('leads: create, update, get, list, scroll, convert, delete', async () => {
    const lead = await act(
      'create_lead',
      { body: { email: 'lead-e2e@example.com', name: 'Lead' } },
      { wire: { method: 'POST', path: '/contacts', body: { email: 'lead-e2e@example.com', name: 'Lead' } } },
    );
    state.lead = lead.json.data.id;
    await act(
      'update_lead',
      { body: { id: state.lead, name: 'Lead Renamed' } },
      { wire: { method: 'POST', path: '/contacts', body: { id: state.lead, name: 'Lead Renamed' } } },
    );
    await act('get_lead', { id: state.lead }, { wire: { method: 'GET', path: `/contacts/${state.lead}` } });
    const leads = await act(
      'list_leads',
      { email: 'lead-e2e@example.com', resultsPath: 'contacts' },
      { wire: { method: 'GET', path: '/contacts', query: { email: 'lead-e2e@example.com' } } },
    );
    expect(leads.json.data.map((l: { id: string }) => l.id)).toContain(state.lead);
    await act(
      'scroll_leads',
      { resultsPath: 'contacts' },
      {
        wire: {
          method: 'GET',
          path: '/contacts/scroll',
          query: { scroll_param: expect.any(String) as never },
        },
      },
    );
    const converted = await act(
      'convert_lead',
      { body: { contact: { id: state.lead }, user: { email: 'converted-e2e@example.com' } } },
      {
        wire: {
          method: 'POST',
          path: '/contacts/convert',
          body: { contact: { id: state.lead }, user: { email: 'converted-e2e@example.com' } },
        },
      },
    );
    expect(converted.json.data.type).toBe('user');
    const second = await act('create_lead', { body: { name: 'To delete' } });
    await act(
      'delete_lead',
      { user_id: second.json.data.user_id },
      { wire: { method: 'DELETE', path: '/contacts', query: { user_id: second.json.data.user_id } } },
    );
    const third = await act('create_lead', { body: { name: 'To delete by id' } });
    await act(
      'delete_lead_by_id',
      { id: third.json.data.id },
      { wire: { method: 'DELETE', path: `/contacts/${third.json.data.id}` } },
    );
    await act('get_lead', { id: third.json.data.id }, { status: 404, code: 'not_found' });
  });

  it('visitors: get, update, convert, delete by user_id (looked up) and by id', async () => {
    const make = async () =>
      (await (
        await fetch(`${stack.sandboxUrl}/__sandbox/visitors`, { method: 'POST', body: '{}' })
      ).json()) as { id: string; user_id: string };
    const v1 = await make();
    await act('get_visitor', { id: v1.id }, { wire: { method: 'GET', path: `/visitors/${v1.id}` } });
    await act(
      'update_visitor',
      { body: { user_id: v1.user_id, name: 'Visiting' } },
      { wire: { method: 'PUT', path: '/visitors', body: { user_id: v1.user_id, name: 'Visiting' } } },
    );
    const converted = await act(
      'convert_visitor',
      { body: { visitor: { id: v1.id }, type: 'lead' } },
      { wire: { method: 'POST', path: '/visitors/convert', body: { visitor: { id: v1.id }, type: 'lead' } } },
    );
    expect(converted.json.data.type).toBe('contact');
    const v2 = await make();
    const deleted = await act(
      'delete_visitor',
      { user_id: v2.user_id },
      { wire: { method: 'DELETE', path: `/visitors/${v2.id}` } },
    );
    expect(deleted.sent.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /visitors',
      `DELETE /visitors/${v2.id}`,
    ]);
    const v3 = await make();
    await act(
      'delete_visitor_by_id',
      { id: v3.id },
      { wire: { method: 'DELETE', path: `/visitors/${v3.id}` } },
    );
    await act('delete_visitor', { user_id: 'no-such-visitor' }, { status: 404, code: 'not_found' });
  });

  it('conversations: message, reply, assign, snooze, read, customers, list', async () => {
    const message = await act(
      'post_message',
      { body: { from: { type: 'user', id: state.user }, body: 'Help please' } },
      {
        wire: {
          method: 'POST',
          path: '/messages',
          body: { from: { type: 'user', id: state.user }, body: 'Help please' },
        },
      },
    );
    // A 1.x user_message names the message, not the conversation (R1.1 user-or-contact-initiated-
    // conversation): the conversation is the user's one whose conversation_message has that id.
    const started = await act('list_conversations', {
      type: 'user',
      intercom_user_id: state.user,
      resultsPath: 'conversations',
    });
    state.conversation = started.json.data.find(
      (c: any) => c.conversation_message.id === message.json.data.id,
    ).id;
    await act('post_message', {
      body: {
        from: { type: 'admin', id: state.admin },
        to: { type: 'user', id: state.user },
        message_type: 'inapp',
        body: 'Hi!',
      },
    });
    await act(
      'get_conversation',
      { id: state.conversation, display_as: 'plaintext' },
      {
        wire: {
          method: 'GET',
          path: `/conversations/${state.conversation}`,
          query: { display_as: 'plaintext' },
        },
      },
    );
    await act(
      'post_reply',
      {
        conversation_id: state.conversation,
        body: { type: 'admin', admin_id: state.admin, message_type: 'comment', body: 'On it' },
      },
      {
        wire: {
          method: 'POST',
          path: `/conversations/${state.conversation}/reply`,
          body: { type: 'admin', admin_id: state.admin, message_type: 'comment', body: 'On it' },
        },
      },
    );
    const until = Math.floor(Date.now() / 1000) + 3600;
    const snoozed = await act(
      'post_reply',
      {
        conversation_id: state.conversation,
        body: { type: 'admin', admin_id: state.admin, message_type: 'snoozed', snooze_until: until },
      },
      {
        wire: {
          method: 'POST',
          path: `/conversations/${state.conversation}/reply`,
          body: { type: 'admin', admin_id: state.admin, message_type: 'snoozed', snoozed_until: until },
        },
      },
    );
    expect(snoozed.json.data.state ?? snoozed.json.data.snoozed_until).toBeTruthy();
    await act(
      'post_reply_to_last_conversation',
      { body: { type: 'user', user_id: 'e2e-1', message_type: 'comment', body: 'Thanks' } },
      {
        wire: {
          method: 'POST',
          path: '/conversations/last/reply',
          body: { type: 'user', user_id: 'e2e-1', message_type: 'comment', body: 'Thanks' },
        },
      },
    );
    await act(
      'mark_conversation_as_read',
      { id: state.conversation },
      { wire: { method: 'PUT', path: `/conversations/${state.conversation}`, body: { read: true } } },
    );
    const other = await act('create_user', { body: { user_id: 'e2e-2', email: 'e2e2@example.com' } });
    const added = await act(
      'add_customer_to_conversation',
      {
        conversation_id: state.conversation,
        body: { admin_id: state.admin, customer: { intercom_user_id: other.json.data.id } },
      },
      {
        wire: {
          method: 'POST',
          path: `/conversations/${state.conversation}/customers`,
          body: { admin_id: state.admin, customer: { intercom_user_id: other.json.data.id } },
        },
      },
    );
    expect(added.json.data.customers.length).toBe(2);
    await act(
      'delete_customer_to_conversation',
      { conversation_id: state.conversation, id: other.json.data.id, admin_id: state.admin },
      {
        wire: {
          method: 'DELETE',
          path: `/conversations/${state.conversation}/customers/${other.json.data.id}`,
          body: { admin_id: state.admin },
        },
      },
    );
    const list = await act(
      'list_conversations',
      { type: 'user', user_id: 'e2e-1', resultsPath: 'conversations' },
      { wire: { method: 'GET', path: '/conversations', query: { type: 'user', user_id: 'e2e-1' } } },
    );
    expect(list.json.data.map((c: { id: string }) => c.id)).toContain(state.conversation);
  });

  it('segments, counts and data attributes', async () => {
    const segments = await act(
      'list_segments',
      { include_count: true, resultsPath: 'segments' },
      { wire: { method: 'GET', path: '/segments', query: { include_count: 'true' } } },
    );
    state.segment = segments.json.data[0].id;
    await act(
      'get_segment',
      { id: state.segment, include_count: true },
      { wire: { method: 'GET', path: `/segments/${state.segment}`, query: { include_count: 'true' } } },
    );
    const counts = await act(
      'get_count',
      { type: 'company', count: 'user' },
      { wire: { method: 'GET', path: '/counts', query: { type: 'company', count: 'user' } } },
    );
    expect(counts.json.data.type).toBe('count');
    await act(
      'list_data_attributes_for_customers',
      { include_archived: true },
      {
        wire: {
          method: 'GET',
          path: '/data_attributes',
          query: { model: 'customer', include_archived: 'true' },
        },
      },
    );
    const company = await act(
      'list_data_attributes_for_companies',
      { resultsPath: 'data_attributes' },
      { wire: { method: 'GET', path: '/data_attributes', query: { model: 'company' } } },
    );
    expect(company.json.data.length).toBeGreaterThan(0);
  });

  it('deletes: archive a user, delete companies', async () => {
    await act(
      'archive_user',
      { user_id: 'e2e-2' },
      { wire: { method: 'DELETE', path: '/users', query: { user_id: 'e2e-2' } } },
    );
    await act(
      'delete_company_by_id',
      { id: state.company },
      { wire: { method: 'DELETE', path: `/companies/${state.company}` } },
    );
    // Intercom 1.x documents no such endpoint; the sandbox answers as Intercom would for an unknown route.
    await act(
      'delete_company',
      { user_id: 'e2e-1' },
      {
        status: 404,
        code: 'not_found',
        wire: { method: 'DELETE', path: '/companies', query: { user_id: 'e2e-1' } },
      },
    );
  });

  it('covered every operation of the catalog', () => {
    expect([...covered].sort()).toEqual(operations.map((op) => op.name).sort());
  });
});
