/** The export endpoints of the OpenAPI document: `POST /exports/{exportable operation}`, `GET /exports/{exportId}`, `GET /exports`. */
import type { JsonSchema } from '../catalog/index.ts';
import { exportableOperations, LIST_CAP, scrollFor } from '../exports/exportable.ts';
import { MAX_FIELDS } from '../exports/request.ts';
import { json, ref } from './openapi-bulk.ts';

export const EXPORT_SCHEMAS: Record<string, JsonSchema> = {
  ExportRequest: {
    type: 'object',
    additionalProperties: false,
    properties: {
      params: {
        type: 'object',
        description:
          "A list export's filter: exactly one of the filters its operation lists (e.g. `tag_id`); none for a scroll",
        additionalProperties: { type: ['string', 'number'] },
      },
      format: { enum: ['jsonl', 'csv'], default: 'jsonl' },
      fields: {
        type: 'array',
        minItems: 1,
        maxItems: MAX_FIELDS,
        items: { type: 'string', pattern: '^[A-Za-z0-9_$-]+(\\.[A-Za-z0-9_$-]+)*$' },
        description: 'CSV columns in order (required with csv); dotted paths reach nested fields',
      },
      gzip: { type: 'boolean', default: false },
    },
  },
  ExportAccepted: {
    type: 'object',
    required: ['exportId', 'status', 'requestId'],
    properties: { exportId: { type: 'string' }, status: { const: 'queued' }, requestId: { type: 'string' } },
  },
  Export: {
    type: 'object',
    required: [
      'exportId',
      'operation',
      'format',
      'gzip',
      'status',
      'records',
      'pages',
      'restarts',
      'bytes',
      'createdAt',
    ],
    properties: {
      exportId: { type: 'string' },
      operation: { type: 'string' },
      format: { enum: ['jsonl', 'csv'] },
      fields: { type: 'array', items: { type: 'string' } },
      gzip: { type: 'boolean' },
      status: { enum: ['queued', 'running', 'waiting', 'succeeded', 'failed'] },
      records: { type: 'integer' },
      pages: { type: 'integer' },
      restarts: {
        type: 'integer',
        description: 'Times the scroll started again (a 500, an expiry, a worker that died)',
      },
      bytes: { type: 'integer', description: 'Bytes of the file uploaded so far' },
      params: { type: 'object', description: "A list export's filter" },
      capped: {
        type: 'boolean',
        description: `A list export that reached Intercom's ${LIST_CAP}-record cap on paged lists: the file holds the first ${LIST_CAP} only`,
      },
      available: { type: 'integer', description: "When capped: the list's total_count" },
      createdAt: { type: 'string', format: 'date-time' },
      startedAt: { type: 'string', format: 'date-time' },
      finishedAt: { type: 'string', format: 'date-time' },
      error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } },
      download: {
        type: 'object',
        description: 'When succeeded: a presigned URL of the file',
        properties: { url: { type: 'string' }, expiresAt: { type: 'string', format: 'date-time' } },
      },
      requestId: { type: 'string' },
    },
  },
  ExportList: {
    type: 'object',
    required: ['exports'],
    properties: {
      exports: { type: 'array', items: ref('Export') },
      next: { type: 'string', description: 'Pass as `next` for the following page' },
      requestId: { type: 'string' },
    },
  },
};

const SCOPES = 'Scopes: `read` and `bulk`; an export is seen by the key that created it only.';

export function exportPaths(errorResponses: () => Record<string, unknown>): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const { op, mode } of exportableOperations) {
    const list = mode.kind === 'list';
    const scroll = scrollFor(op);
    paths[`/exports/${op.name}`] = {
      post: {
        operationId: `export_${op.name}`,
        tags: ['exports'],
        summary: list
          ? `Export the ${op.group} of one ${mode.filters.join(' or ').replaceAll('_id', '')} to a file`
          : `Export every record of ${op.name} to a file`,
        description: list
          ? `${SCOPES} \`params\` takes exactly one of ${mode.filters.map((f) => `\`${f}\``).join(', ')} (required). Pages through the list (no scroll lock) up to Intercom's cap of ${LIST_CAP} records; an export that reaches it succeeds with \`capped: true\`${scroll ? ` (use ${scroll} for more)` : ''}. Runs in the background; poll \`GET /exports/{exportId}\`.`
          : `${SCOPES} Runs in the background; poll \`GET /exports/{exportId}\`.`,
        'x-scope': ['read', 'bulk'],
        requestBody: {
          required: list,
          ...json(
            ref('ExportRequest'),
            list
              ? { params: { [mode.filters[0]!]: '123' }, format: 'jsonl' }
              : { format: 'jsonl', gzip: false },
          ),
        },
        responses: { '202': { description: 'Queued', ...json(ref('ExportAccepted')) }, ...errorResponses() },
      },
    };
  }
  paths['/exports/{exportId}'] = {
    get: {
      operationId: 'get_export',
      tags: ['exports'],
      summary: 'An export: status, counters, and when done a download URL',
      description: SCOPES,
      'x-scope': ['read', 'bulk'],
      parameters: [{ name: 'exportId', in: 'path', required: true, schema: { type: 'string' } }],
      responses: { '200': { description: 'The export', ...json(ref('Export')) }, ...errorResponses() },
    },
  };
  paths['/exports'] = {
    get: {
      operationId: 'list_exports',
      tags: ['exports'],
      summary: "The key's exports, newest first",
      description: SCOPES,
      'x-scope': ['read', 'bulk'],
      parameters: [
        { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 } },
        { name: 'next', in: 'query', schema: { type: 'string' } },
      ],
      responses: {
        '200': { description: 'A page of exports', ...json(ref('ExportList')) },
        ...errorResponses(),
      },
    },
  };
  return paths;
}
