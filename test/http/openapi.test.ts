import { describe, expect, it } from '@jest/globals';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { operations } from '../../lib/catalog/index.ts';
import { openApiDocument } from '../../lib/http/openapi.ts';
import { routes } from '../../lib/http/routes.ts';

describe('GET /openapi.json document', () => {
  const document = openApiDocument();

  it('is valid OpenAPI 3.1 according to a real validator', async () => {
    const validator = new Validator();
    const result = await validator.validate(document as never);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('describes every operation with its request schema, envelope, errors and security', () => {
    const paths = document.paths as Record<string, { post?: any; get?: any }>;
    for (const op of operations) {
      const post = paths[`/actions/${op.name}`]?.post;
      expect(post.operationId).toBe(op.name);
      expect(post['x-scope']).toBe(op.scope);
      expect(post.requestBody.content['application/json'].schema.properties).toBeDefined();
      expect(Object.keys(post.responses)).toEqual(
        expect.arrayContaining([String(op.successStatus), '400', '401', '403', '404', '429', '502', '504']),
      );
    }
    expect(paths['/health']?.get.security).toEqual([]);
    expect((document.components as any).securitySchemes.bearerAuth.scheme).toBe('bearer');
  });

  it('describes every route of the routing table, the public ones without security', () => {
    const paths = document.paths as Record<string, Record<string, any>>;
    for (const route of routes) {
      const described = paths[route.path]?.[route.method.toLowerCase()];
      expect({ route: `${route.method} ${route.path}`, described: described !== undefined }).toEqual({
        route: `${route.method} ${route.path}`,
        described: true,
      });
      if (route.public) expect(described.security).toEqual([]);
    }
    expect(Object.keys(paths)).toHaveLength(new Set(routes.map((r) => r.path)).size);
  });

  it('accepts the $body under body or $body (one of them), as the API does', () => {
    const paths = document.paths as Record<string, { post: any }>;
    const request = paths['/actions/create_tag']!.post.requestBody.content['application/json'].schema;
    const ajv = new Ajv2020({ strict: false });
    const valid = ajv.compile({ ...request, components: document.components });
    expect(valid({ body: { name: 'VIP' } })).toBe(true);
    expect(valid({ $body: { name: 'VIP' } })).toBe(true);
    expect(valid({ body: { name: 'VIP' }, $body: { name: 'VIP' } })).toBe(false);
    expect(valid({})).toBe(false);
    expect(valid({ $body: {} })).toBe(false);
    const read =
      paths['/actions/mark_conversation_as_read']!.post.requestBody.content['application/json'].schema;
    const validRead = ajv.compile({ ...read, components: document.components });
    expect(validRead({ id: '1' })).toBe(true);
    expect(validRead({ id: '1', $body: {} })).toBe(true);
  });
});
