/**
 * Segments, replayed against the sandbox and compared by shape with recorded 1.x responses
 * (test/fixtures/intercom-v1, sources in its sources.json).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Sandbox } from '../../../lib/sandbox/server.ts';
import { call, start } from '../helpers.ts';
import { fixture } from './fixtures.ts';
import { expectShapeOf } from './shape.ts';

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await start();
});
afterAll(async () => {
  await sandbox.close();
});

describe('segments, by shape', () => {
  it('GET /segments', async () => {
    const res = await call(sandbox, '/segments');
    expect(res.status).toBe(200);
    expectShapeOf(res.body, fixture('intercom-ruby/segment_list.json'));
  });

  it('GET /segments/{id}', async () => {
    const segment = (await call(sandbox, '/segments')).body.segments[0];
    const res = await call(sandbox, `/segments/${segment.id}`);
    expectShapeOf(res.body, fixture('intercom-ruby/segment.json'));
    expectShapeOf(res.body, fixture('intercom-java/segment.json'));
  });

  it('people segments are user or contact segments (R1.1 view-a-segment), never lead', async () => {
    const people = (await call(sandbox, '/segments?include_count=true')).body.segments;
    expect(new Set(people.map((s: any) => s.person_type))).toEqual(new Set(['user', 'contact']));
    const leads = people.find((s: any) => s.person_type === 'contact');
    const leadCount = (await call(sandbox, '/contacts?per_page=60')).body.total_count;
    expect(leads.count).toBe(leadCount);
  });
});
