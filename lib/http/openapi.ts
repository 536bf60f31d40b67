/** The OpenAPI 3.1 description of the HTTP API, generated from the catalog (served at GET /openapi.json). */
import { exampleInput, inputSchemaOf, type JsonSchema, operations } from '../catalog/index.ts';
import { API_KEY_SCOPES } from '../config/parse.ts';
import { AUTOMATION_SCHEMAS, automationPaths } from './openapi-automations.ts';
import { BULK_SCHEMAS, bulkPaths, json, ref } from './openapi-bulk.ts';
import { EXPORT_SCHEMAS, exportPaths } from './openapi-exports.ts';

const ERROR_STATUSES: Record<string, string> = {
  '400':
    '`invalid_json` (not JSON, or not UTF-8) or `validation_failed` (with `details`: a field off the schema, a number that is non-finite or beyond ±(2^53-1), or a foreign `next`), or an Intercom 400 passed through',
  '401': '`unauthorized`: no key or an unknown key',
  '403': '`forbidden`: the key lacks the scope',
  '404': '`unknown_operation`, `not_found`, or an Intercom 404',
  '413': '`payload_too_large`',
  '415': '`unsupported_media_type`: not JSON, or a charset other than UTF-8',
  '429': "`rate_limited`: Intercom's budget is spent; see Retry-After",
  '500': '`internal_error`',
  '502':
    '`upstream_error`: Intercom failed after the allowed retries; `response_too_large`: the answer is over the 6 MB a Lambda response carries',
  '503': '`upstream_unavailable`',
  '504': '`upstream_timeout`',
};

const errorSchema: JsonSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['status', 'code', 'message', 'requestId'],
      properties: {
        status: { type: 'integer' },
        code: { type: 'string' },
        message: { type: 'string' },
        details: {
          type: 'array',
          items: {
            type: 'object',
            required: ['path', 'message'],
            properties: { path: { type: 'string' }, message: { type: 'string' } },
          },
        },
        requestId: { type: 'string' },
        intercomRequestId: { type: 'string' },
      },
    },
  },
};

function withoutId(schema: JsonSchema): JsonSchema {
  const { $id: _id, ...rest } = schema;
  return rest;
}

function errorResponses(): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(ERROR_STATUSES).map(([status, description]) => [
      status,
      { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
    ]),
  );
}

/** Where the document says the API is when it does not know (`npm start`'s default address). */
export const DEFAULT_SERVER_URL = 'http://127.0.0.1:3000';

/**
 * The document's one server: a variable whose default is the API the document was fetched from, so a
 * client generated from it (a Postman collection, an SDK) calls that stack, and another deployment is
 * one variable away.
 */
function servers(url: string): unknown[] {
  return [
    {
      url: '{apiUrl}',
      description: 'The API of an intercom-actions stack',
      variables: {
        apiUrl: {
          default: url,
          description:
            'Base URL of the stack: the `ApiUrl` output of `cdk deploy` (without the trailing slash), or what `npm start` prints',
        },
      },
    },
  ];
}

export interface OpenApiOptions {
  /** The API's own base URL, e.g. `https://abc123.execute-api.eu-west-1.amazonaws.com`. */
  serverUrl?: string;
}

export function openApiDocument(options: OpenApiOptions = {}): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const op of operations) {
    const list = op.resultsKeys !== undefined;
    const success: JsonSchema = {
      type: 'object',
      required: list ? ['data', 'next', 'requestId'] : ['data', 'requestId'],
      properties: {
        data: {
          description: list ? "Intercom's JSON, or the array `resultsPath` selects" : "Intercom's JSON",
        },
        ...(list
          ? {
              next: {
                type: ['string', 'null'],
                description: 'Cursor for the next call (`next`), null at the end',
              },
            }
          : {}),
        requestId: { type: 'string' },
      },
    };
    const schema = inputSchemaOf(op);
    paths[`/actions/${op.name}`] = {
      post: {
        operationId: op.name,
        tags: [op.group],
        summary: op.summary,
        description: [`Scope: \`${op.scope}\`. Intercom: \`${op.method} ${op.path}\`.`, op.notes]
          .filter(Boolean)
          .join('\n\n'),
        'x-scope': op.scope,
        requestBody: {
          required: Array.isArray(schema.required) && schema.required.length > 0,
          content: { 'application/json': { schema: withoutId(schema), example: exampleInput(op) } },
        },
        responses: {
          [String(op.successStatus)]: {
            description: 'Success',
            content: { 'application/json': { schema: success } },
          },
          ...errorResponses(),
        },
      },
    };
  }
  Object.assign(
    paths,
    bulkPaths(errorResponses),
    automationPaths(errorResponses),
    exportPaths(errorResponses),
  );
  paths['/health'] = {
    get: {
      operationId: 'health',
      security: [],
      responses: {
        '200': {
          description: 'The service is up',
          content: {
            'application/json': { schema: { type: 'object', properties: { status: { const: 'ok' } } } },
          },
        },
      },
    },
  };
  paths['/openapi.json'] = {
    get: {
      operationId: 'openapi',
      security: [],
      responses: {
        '200': {
          description: 'This document',
          content: { 'application/json': { schema: { type: 'object' } } },
        },
      },
    },
  };
  paths['/whoami'] = {
    get: {
      operationId: 'whoami',
      summary: 'The calling key: its workspace, id, name and scopes (any scope)',
      responses: {
        '200': {
          description: 'The key that made this request',
          ...json({
            type: 'object',
            required: ['workspace', 'keyId', 'keyName', 'scopes'],
            properties: {
              workspace: { type: 'string' },
              keyId: { type: 'string' },
              keyName: { type: 'string' },
              scopes: { type: 'array', items: { enum: [...API_KEY_SCOPES] } },
              requestId: { type: 'string' },
            },
          }),
        },
        ...errorResponses(),
      },
    },
  };
  paths['/console'] = {
    get: {
      operationId: 'console',
      summary: 'The web console (an HTML page; its data requests carry the API key)',
      security: [],
      responses: {
        '200': { description: 'The page', content: { 'text/html': { schema: { type: 'string' } } } },
      },
    },
  };
  paths['/console/{asset}'] = {
    get: {
      operationId: 'console_asset',
      summary: "The console's script and stylesheet (hashed names, cached for a year)",
      security: [],
      parameters: [{ name: 'asset', in: 'path', required: true, schema: { type: 'string' } }],
      responses: {
        '200': {
          description: 'The asset',
          content: {
            'text/javascript': { schema: { type: 'string' } },
            'text/css': { schema: { type: 'string' } },
          },
        },
        '404': { description: '`not_found`: no such asset in this build', ...json(ref('Error')) },
      },
    },
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'intercom-actions',
      version: '0.1.0',
      description:
        "Intercom REST API 1.x operations as authenticated HTTP actions, queued bulk jobs and webhook automations. An operation's Intercom body goes under `body` (the API also accepts the connector's name for it, `$body`). Every request has a valid example. Errors share one shape (see the `Error` schema).",
    },
    servers: servers(options.serverUrl ?? DEFAULT_SERVER_URL),
    security: [{ bearerAuth: [] }, { apiKeyHeader: [] }],
    tags: [...new Set([...operations.map((op) => op.group), 'bulk', 'automations', 'exports'])].map(
      (name) => ({
        name,
      }),
    ),
    paths,
    components: {
      schemas: {
        Error: errorSchema,
        ...BULK_SCHEMAS,
        ...AUTOMATION_SCHEMAS,
        ...EXPORT_SCHEMAS,
      },
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', description: 'Authorization: Bearer <API key>' },
        apiKeyHeader: { type: 'apiKey', in: 'header', name: 'x-api-key' },
      },
    },
  };
}
