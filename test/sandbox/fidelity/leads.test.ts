/**
 * Leads (`/contacts`): each recorded Intercom answer's request replayed against the sandbox, and the
 * answer's shape compared with the recording (test/fixtures/intercom-v1, sources in sources.json).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { Sandbox } from '../../../lib/sandbox/server.ts';
import { call, start } from '../helpers.ts';
import { fixture, recording, replay } from './fixtures.ts';
import { expectShapeOf } from './shape.ts';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await start();
});
// Seeded: a converted lead lands in the "All users" segment, as the recorded user is in one.
beforeEach(() => sandbox.reset({ seed: true }));
afterAll(async () => {
  await sandbox.close();
});

const createLead = () => replay(sandbox, recording('intercom.io/post-contacts.json').request);

describe('recorded answers (intercom.io client, api.intercom.io 2015-2016)', () => {
  it('POST /contacts: create', async () => {
    const res = await createLead();
    expect(res.status).toBe(recording('intercom.io/post-contacts.json').status);
    expectShapeOf(res.body, fixture('intercom.io/post-contacts.json'));
  });

  it('DELETE /contacts with the lead in the body: the deleted lead, then 404 Lead Not Found', async () => {
    const lead = (await createLead()).body;
    // The client sent back the lead object it had been given.
    const deleted = await replay(sandbox, recording('intercom.io/delete-contacts-by-body.json').request, {
      body: lead,
    });
    expect(deleted.status).toBe(recording('intercom.io/delete-contacts-by-body.json').status);
    expectShapeOf(deleted.body, fixture('intercom.io/delete-contacts-by-body.json'));

    const again = await replay(sandbox, recording('intercom.io/delete-contacts-by-body-gone.json').request, {
      body: lead,
    });
    const gone = fixture('intercom.io/delete-contacts-by-body-gone.json');
    expect(again.status).toBe(recording('intercom.io/delete-contacts-by-body-gone.json').status);
    expectShapeOf(again.body, gone);
    // Intercom's own words, not only its shape.
    expect(again.body.errors).toEqual(gone.errors);
  });

  it('GET /contacts?per_page=50&page=2: the last page of 56 leads', async () => {
    sandbox.reset({ seed: false });
    const recorded = fixture('intercom.io/get-contacts-page-2.json');
    for (let i = 0; i < recorded.total_count; i++) expect((await createLead()).status).toBe(200);
    const { request, status } = recording('intercom.io/get-contacts-page-2.json');
    const res = await replay(sandbox, request);
    expect(res.status).toBe(status);
    expectShapeOf(res.body, recorded);
    expect(res.body.pages).toMatchObject({ page: 2, next: null, total_pages: 2 });
    expect(res.body.contacts).toHaveLength(recorded.contacts.length);
  });

  it('POST /contacts/convert to a new user named by email: the lead become a user', async () => {
    const lead = (
      await call(sandbox, '/contacts', {
        method: 'POST',
        body: { name: 'Frank Semyon', email: 'frank@hbo.com' },
      })
    ).body;
    const { request, status } = recording('intercom.io/post-contacts-convert.json');
    const res = await replay(sandbox, request, {
      body: { contact: { user_id: lead.user_id }, user: { email: 'frank@hbo.com' } },
    });
    expect(res.status).toBe(status);
    expectShapeOf(res.body, fixture('intercom.io/post-contacts-convert.json'));
    expect(res.body).toMatchObject({ type: 'user', id: lead.id, user_id: null });
  });
});
