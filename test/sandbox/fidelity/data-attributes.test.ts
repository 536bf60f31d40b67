/**
 * Data attributes, replayed against the sandbox and compared by shape with recorded 1.x responses
 * (test/fixtures/intercom-v1, sources in its sources.json).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Sandbox } from '../../../lib/sandbox/server.ts';
import { call, start } from '../helpers.ts';
import { fixture } from './fixtures.ts';
import { expectShapeOf, type ShapeException } from './shape.ts';

const NO_LIST_ATTRIBUTES: ShapeException = {
  path: 'data_attributes[type=data_attribute].options',
  kind: 'missing',
  reason: 'the sandbox has no list attributes: custom attributes come from the values the API is sent',
};

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await start();
});
afterAll(async () => {
  await sandbox.close();
});

describe('data attributes, by shape', () => {
  it('1.4 GET /data_attributes without model: customer and company attributes together', async () => {
    const res = await call(sandbox, '/data_attributes?include_archived=true', { version: '1.4' });
    expect(res.status).toBe(200);
    expectShapeOf(res.body, fixture('intercom-docs/list-data-attributes-1.4.json'), [NO_LIST_ATTRIBUTES]);
    const models = new Set(res.body.data_attributes.map((a: any) => a.model));
    expect(models).toEqual(new Set(['customer', 'company']));
  });

  it('1.4 GET /data_attributes?model=customer', async () => {
    const res = await call(sandbox, '/data_attributes?model=customer&include_archived=true', {
      version: '1.4',
    });
    expectShapeOf(res.body, fixture('intercom-ruby/test_data_attribute_list.json'), [NO_LIST_ATTRIBUTES]);
    expect(res.body.data_attributes.every((a: any) => a.model === 'customer')).toBe(true);
  });

  it('only custom attributes carry admin_id, created_at and updated_at; all carry messenger_writable', async () => {
    const res = await call(sandbox, '/data_attributes?include_archived=true', { version: '1.4' });
    for (const a of res.body.data_attributes) {
      expect(typeof a.messenger_writable).toBe('boolean');
      for (const key of ['admin_id', 'created_at', 'updated_at']) expect(key in a).toBe(a.custom);
    }
  });

  it('1.0-1.3 per-model lists leave model out (R1.2 list-customer-data-attributes)', async () => {
    const res = await call(sandbox, '/data_attributes/customer', { version: '1.2' });
    expect(res.status).toBe(200);
    expect(res.body.data_attributes.length).toBeGreaterThan(0);
    expect(res.body.data_attributes.some((a: any) => 'model' in a)).toBe(false);
  });
});
