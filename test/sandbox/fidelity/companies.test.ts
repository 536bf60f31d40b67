/**
 * Companies: intercom-java's company.json and intercom-ruby's test_company compared with a seeded
 * company given their attributes through `POST /companies` (and a tag), read back by id.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { Sandbox } from '../../../lib/sandbox/server.ts';
import { call, start } from '../helpers.ts';
import { fixture } from './fixtures.ts';
import { expectShapeOf } from './shape.ts';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await start();
});
// Seeded: companies that were seen have a last_request_at, and all are in the "All companies" segment.
beforeEach(() => sandbox.reset({ seed: true }));
afterAll(async () => {
  await sandbox.close();
});

/** The fixture's writable attributes written onto seeded company c-001, which is then tagged. */
async function companyLike(company: Record<string, any>) {
  const body: Record<string, unknown> = { company_id: 'c-001' };
  for (const key of [
    'name',
    'remote_created_at',
    'monthly_spend',
    'size',
    'website',
    'industry',
    'custom_attributes',
  ])
    if (company[key] !== undefined) body[key] = company[key];
  if (company.plan) body.plan = company.plan.name;
  const updated = await call(sandbox, '/companies', { method: 'POST', body });
  expect(updated.status).toBe(200);
  await call(sandbox, '/tags', {
    method: 'POST',
    body: { name: 'fixture', companies: [{ id: updated.body.id }] },
  });
  return (await call(sandbox, `/companies/${updated.body.id}`)).body;
}

describe("the clients' company fixtures", () => {
  it('intercom-java company.json', async () => {
    const java = fixture('intercom-java/company.json');
    expectShapeOf(await companyLike(java), java);
  });

  it('intercom-ruby test_company', async () => {
    const ruby = fixture('intercom-ruby/test_company.json');
    expectShapeOf(await companyLike(ruby), ruby);
  });
});
