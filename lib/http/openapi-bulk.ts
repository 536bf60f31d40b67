/** The bulk endpoints of the OpenAPI document: one `POST /bulk/{operation}` per bulk operation, and the job endpoints. */

import { JOB_STATUSES, MAX_JOBS_PAGE } from '../bulk/request.ts';
import { exampleInput, inputSchemaOf, type JsonSchema, operations } from '../catalog/index.ts';
import { isBulkOperation } from './routes.ts';

export const json = (schema: JsonSchema, example?: unknown) => ({
  content: { 'application/json': example === undefined ? { schema } : { schema, example } },
});
export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** A job's counters and times: the job itself, and each entry of the job list. */
const JOB_PROPERTIES: Record<string, JsonSchema> = {
  jobId: { type: 'string' },
  operation: { type: 'string' },
  status: { enum: [...JOB_STATUSES] },
  total: { type: 'integer' },
  succeeded: { type: 'integer' },
  failed: { type: 'integer' },
  pending: { type: 'integer' },
  attempt: { type: 'integer' },
  final: { type: 'boolean' },
  createdAt: { type: 'string', format: 'date-time' },
  updatedAt: { type: 'string', format: 'date-time' },
};

export const BULK_SCHEMAS: Record<string, JsonSchema> = {
  BulkRejection: {
    type: 'object',
    required: ['index', 'error'],
    properties: {
      index: { type: 'integer', description: "The item's index in the whole job (offset + position)" },
      error: {
        type: 'object',
        properties: {
          code: { const: 'validation_failed' },
          message: { type: 'string' },
          details: { type: 'array' },
        },
      },
    },
  },
  BulkAccepted: {
    type: 'object',
    required: ['jobId', 'operation', 'total', 'accepted', 'rejected', 'offset', 'final', 'requestId'],
    properties: {
      jobId: { type: 'string' },
      operation: { type: 'string' },
      total: { type: 'integer', description: 'Items in this request' },
      accepted: { type: 'integer' },
      rejected: { type: 'array', items: ref('BulkRejection') },
      offset: { type: 'integer' },
      final: { type: 'boolean' },
      requestId: { type: 'string' },
    },
  },
  BulkDryRun: {
    type: 'object',
    required: ['dryRun', 'operation', 'total', 'accepted', 'rejected', 'estimate'],
    properties: {
      dryRun: { const: true },
      operation: { type: 'string' },
      total: { type: 'integer' },
      accepted: { type: 'integer' },
      rejected: { type: 'array', items: ref('BulkRejection') },
      estimate: {
        type: 'object',
        properties: {
          requests: { type: 'integer' },
          seconds: { type: 'integer' },
          minutes: { type: 'number' },
          ratePerWindow: { type: 'integer' },
          windowSeconds: { type: 'integer' },
        },
      },
    },
  },
  BulkJob: {
    type: 'object',
    required: ['jobId', 'operation', 'status', 'total', 'succeeded', 'failed', 'pending'],
    properties: {
      ...JOB_PROPERTIES,
      rateLimit: { type: 'object', description: "The workspace's rate budget as the workers see it" },
      requestId: { type: 'string' },
    },
  },
  BulkJobList: {
    type: 'object',
    required: ['jobs', 'next'],
    properties: {
      jobs: {
        type: 'array',
        description:
          'Newest first; counters as the job record holds them (GET /bulk/jobs/{jobId} verifies them)',
        items: {
          type: 'object',
          required: ['jobId', 'operation', 'status', 'total', 'succeeded', 'failed', 'pending', 'createdAt'],
          properties: JOB_PROPERTIES,
        },
      },
      next: {
        type: ['string', 'null'],
        description: 'The next page (a filtered page may be short, even empty, and still have one)',
      },
      requestId: { type: 'string' },
    },
  },
  BulkThroughput: {
    type: 'object',
    required: ['jobId', 'windowSeconds', 'limit', 'budget', 'windows'],
    properties: {
      jobId: { type: 'string' },
      windowSeconds: { type: 'integer', description: 'The rate window (Intercom counts requests per 10 s)' },
      limit: { type: 'integer', description: "Intercom's limit per window" },
      budget: { type: 'integer', description: 'The bulk share of it (the limit less the reserve)' },
      windows: {
        type: 'array',
        description:
          'Requests the rate governor granted the job, per window that had any, oldest first (window records are kept a day)',
        items: {
          type: 'object',
          required: ['start', 'accepted'],
          properties: { start: { type: 'string', format: 'date-time' }, accepted: { type: 'integer' } },
        },
      },
      requestId: { type: 'string' },
    },
  },
  BulkFailures: {
    type: 'object',
    required: ['failures', 'next'],
    properties: {
      failures: {
        type: 'array',
        items: {
          type: 'object',
          required: ['index', 'attempt', 'error', 'input'],
          properties: {
            index: { type: 'integer' },
            attempt: { type: 'integer' },
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                status: { type: 'integer' },
                code: {
                  type: 'string',
                  description: "The contract error code, Intercom's own, or `outcome_unknown`",
                },
                message: { type: 'string' },
                intercomRequestId: { type: 'string' },
              },
            },
            input: { type: 'object' },
          },
        },
      },
      next: { type: ['string', 'null'] },
      requestId: { type: 'string' },
    },
  },
};

const jobIdParameter = { name: 'jobId', in: 'path', required: true, schema: { type: 'string' } };

export function bulkPaths(errorResponses: () => Record<string, unknown>): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const op of operations.filter(isBulkOperation)) {
    const { $id: _id, ...item } = inputSchemaOf(op);
    paths[`/bulk/${op.name}`] = {
      post: {
        operationId: `bulk_${op.name}`,
        tags: ['bulk'],
        summary: `Queue many ${op.name} calls as one job`,
        description: `Scopes: \`bulk\` and \`${op.scope}\`. Each item is one ${op.name} call. Optional header \`Idempotency-Key\`: the same key returns the same job.`,
        'x-scope': ['bulk', op.scope],
        requestBody: {
          required: true,
          ...json(
            {
              type: 'object',
              required: ['items'],
              additionalProperties: false,
              properties: {
                items: { type: 'array', minItems: 1, items: item },
                dryRun: { type: 'boolean' },
                jobId: { type: 'string', description: 'Append this chunk to an open job' },
                offset: {
                  type: 'integer',
                  minimum: 0,
                  description: "Index of the chunk's first item in the job",
                },
                final: { type: 'boolean', description: 'false keeps the job open for more chunks' },
              },
            },
            { items: [exampleInput(op)] },
          ),
        },
        responses: {
          '202': { description: 'Queued', ...json(ref('BulkAccepted')) },
          '200': {
            description: 'Dry run: validated and estimated, nothing queued',
            ...json(ref('BulkDryRun')),
          },
          '409': {
            description:
              '`offset_mismatch`, `job_closed`, `job_conflict`, or `chunk_mismatch` (a re-posted chunk that differs)',
            ...json(ref('Error')),
          },
          '503': { description: '`queue_unavailable`: repeat the same request', ...json(ref('Error')) },
          ...errorResponses(),
        },
      },
    };
  }
  paths['/bulk/jobs'] = {
    get: {
      operationId: 'bulk_jobs',
      tags: ['bulk'],
      summary: 'The jobs this key may read, newest first',
      description:
        "Scope `bulk` for the key's own jobs, `read` for its workspace's (created by no key). Filters are checked against each job as it is read: a page may be short, even empty, and still have a `next`.",
      'x-scope': ['bulk', 'read'],
      parameters: [
        {
          name: 'status',
          in: 'query',
          schema: { enum: [...JOB_STATUSES] },
          description: 'Only jobs in this status now',
        },
        {
          name: 'operation',
          in: 'query',
          schema: { type: 'string' },
          description: 'Only jobs of this operation (one that runs in bulk)',
        },
        {
          name: 'limit',
          in: 'query',
          schema: { type: 'integer', minimum: 1, maximum: MAX_JOBS_PAGE, default: 20 },
        },
        {
          name: 'next',
          in: 'query',
          description: "The previous page's `next`; any other value is 400 `validation_failed`",
          schema: { type: 'string' },
        },
      ],
      responses: {
        '200': { description: 'A page of jobs', ...json(ref('BulkJobList')) },
        ...errorResponses(),
      },
    },
  };
  paths['/bulk/jobs/{jobId}'] = {
    get: {
      operationId: 'bulk_job',
      tags: ['bulk'],
      parameters: [jobIdParameter],
      responses: { '200': { description: 'The job', ...json(ref('BulkJob')) }, ...errorResponses() },
    },
  };
  paths['/bulk/jobs/{jobId}/throughput'] = {
    get: {
      operationId: 'bulk_job_throughput',
      tags: ['bulk'],
      summary: "The job's requests per rate window, against the budget",
      description: 'Scopes as `GET /bulk/jobs/{jobId}`.',
      parameters: [jobIdParameter],
      responses: {
        '200': { description: 'Requests per window', ...json(ref('BulkThroughput')) },
        ...errorResponses(),
      },
    },
  };
  paths['/bulk/jobs/{jobId}/failures'] = {
    get: {
      operationId: 'bulk_job_failures',
      tags: ['bulk'],
      parameters: [
        jobIdParameter,
        { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
        {
          name: 'next',
          in: 'query',
          description: "The previous page's `next` for this job; any other value is 400 `validation_failed`",
          schema: { type: 'string' },
        },
      ],
      responses: {
        '200': { description: 'Failed items, in index order', ...json(ref('BulkFailures')) },
        ...errorResponses(),
      },
    },
  };
  const requeuedProperties = {
    jobId: { type: 'string' },
    attempt: { type: 'integer' },
    requeued: { type: 'integer' },
  };
  paths['/bulk/jobs/{jobId}/retry-failed'] = {
    post: {
      operationId: 'bulk_job_retry_failed',
      tags: ['bulk'],
      parameters: [jobIdParameter],
      responses: {
        '202': {
          description: 'The failed items are queued again as a new attempt',
          ...json({
            type: 'object',
            properties: {
              ...requeuedProperties,
              started: {
                type: 'boolean',
                description:
                  'true for the one call that started (or resumed) the attempt; false for calls that raced with it and got its attempt',
              },
            },
          }),
        },
        '409': {
          description:
            '`job_not_retryable`: the job is not completed with errors; `job_conflict`: the job kept changing under the call',
          ...json(ref('Error')),
        },
        ...errorResponses(),
      },
    },
  };
  paths['/bulk/jobs/{jobId}/recover'] = {
    post: {
      operationId: 'bulk_job_recover',
      tags: ['bulk'],
      description:
        "Queues again, from the inputs stored with the job, every item that has not finished its current attempt: after a queue purge, a lost message or a restart of the local stack. Safe to repeat: each item still runs once per attempt. Needs the `bulk` scope and the operation's scope.",
      parameters: [jobIdParameter],
      responses: {
        '202': {
          description: 'The pending items are queued again',
          ...json({ type: 'object', properties: requeuedProperties }),
        },
        ...errorResponses(),
      },
    },
  };
  return paths;
}
