import { describe, expect, it } from '@jest/globals';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { exampleInput, operations } from '../../lib/catalog/index.ts';
import { DEFAULT_SERVER_URL, openApiDocument } from '../../lib/http/openapi.ts';
import { routes } from '../../lib/http/routes.ts';
import { actionStack } from '../helpers/action-stack.ts';

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

  it('documents the body under `body` only, and a valid example for every operation and bulk request', () => {
    const paths = document.paths as Record<string, { post: any }>;
    const ajv = new Ajv2020({ strict: false });
    for (const op of operations) {
      const content = paths[`/actions/${op.name}`]!.post.requestBody.content['application/json'];
      expect(content.schema.properties.$body).toBeUndefined();
      expect(content.example).toEqual(exampleInput(op));
      const valid = ajv.compile(content.schema);
      expect({ op: op.name, valid: valid(content.example), errors: valid.errors }).toEqual({
        op: op.name,
        valid: true,
        errors: null,
      });
      const bulk = paths[`/bulk/${op.name}`]?.post.requestBody.content['application/json'];
      if (bulk) {
        expect(bulk.example).toEqual({ items: [exampleInput(op)] });
        expect(ajv.compile(bulk.schema)(bulk.example)).toBe(true);
      }
    }
    const tag = paths['/actions/create_tag']!.post.requestBody.content['application/json'].schema;
    const validTag = ajv.compile(tag);
    expect(validTag({ body: { name: 'VIP' } })).toBe(true);
    expect(validTag({ $body: { name: 'VIP' } })).toBe(false);
  });

  it('names the API it was fetched from as its server, in a variable', async () => {
    expect(document.servers).toEqual([
      {
        url: '{apiUrl}',
        description: expect.any(String),
        variables: { apiUrl: { default: DEFAULT_SERVER_URL, description: expect.any(String) } },
      },
    ]);
    const { invoke } = await actionStack();
    const serverOf = async (headers: Record<string, string>) => {
      const res = await invoke({ method: 'GET', path: '/openapi.json', key: null, headers });
      expect(res.statusCode).toBe(200);
      return res.json.servers[0].variables.apiUrl.default;
    };
    // API Gateway: its domain name, and the protocol the client used.
    expect(
      await serverOf({ host: 'abc123.execute-api.eu-west-1.amazonaws.com', 'x-forwarded-proto': 'https' }),
    ).toBe('https://abc123.execute-api.eu-west-1.amazonaws.com');
    expect(await serverOf({ host: 'API.Example.com' })).toBe('https://api.example.com');
    expect(await serverOf({ host: '127.0.0.1:3000' })).toBe('http://127.0.0.1:3000');
    expect(await serverOf({ host: 'localhost:8080' })).toBe('http://localhost:8080');
    // Not a host name: the document keeps its default rather than repeating what it was sent.
    expect(await serverOf({ host: 'evil.example/<script>' })).toBe(DEFAULT_SERVER_URL);
    expect(await serverOf({ host: 'a.example', 'x-forwarded-proto': 'javascript' })).toBe(
      'https://a.example',
    );
  });
});
