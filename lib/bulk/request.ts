/** The body of `POST /bulk/{operation}`, checked before any item is looked at. */
import { DomainError } from '../errors.ts';
import type { ValidationIssue } from '../validation/validate.ts';

export interface BulkRequest {
  items: unknown[];
  dryRun: boolean;
  /** Append to this job (a chunk of a larger file). */
  jobId?: string;
  /** Index of the chunk's first item in the whole job. */
  offset: number;
  /** No chunk follows (default true). */
  final: boolean;
}

export type JobStatus = 'queued' | 'running' | 'completed' | 'completed_with_errors';
export const JOB_STATUSES: readonly JobStatus[] = ['queued', 'running', 'completed', 'completed_with_errors'];

/** What `GET /bulk/jobs` may be asked for. */
export interface JobListQuery {
  limit: number;
  status?: JobStatus;
  operation?: string;
  next?: string;
}
export const MAX_JOBS_PAGE = 100;

const KNOWN = new Set(['items', 'dryRun', 'jobId', 'offset', 'final']);
export const JOB_ID_PATTERN = /^job_[A-Za-z0-9_-]{8,64}$/;

export function parseBulkRequest(body: unknown, maxItems: number): BulkRequest {
  const issues: ValidationIssue[] = [];
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new DomainError('validation_failed', 'Invalid parameters', {
      details: [{ path: '/', message: 'must be an object with "items"' }],
    });
  }
  const b = body as Record<string, unknown>;
  for (const key of Object.keys(b))
    if (!KNOWN.has(key)) issues.push({ path: `/${key}`, message: 'is not a known parameter' });
  if (!Array.isArray(b.items))
    issues.push({ path: '/items', message: 'must be an array of operation parameters' });
  else if (b.items.length === 0) issues.push({ path: '/items', message: 'must not be empty' });
  else if (b.items.length > maxItems) {
    throw new DomainError(
      'payload_too_large',
      `At most ${maxItems} items per request; send larger files in chunks (jobId + offset) or with the CLI`,
    );
  }
  if (b.dryRun !== undefined && typeof b.dryRun !== 'boolean')
    issues.push({ path: '/dryRun', message: 'must be boolean' });
  if (b.final !== undefined && typeof b.final !== 'boolean')
    issues.push({ path: '/final', message: 'must be boolean' });
  if (b.jobId !== undefined && (typeof b.jobId !== 'string' || !JOB_ID_PATTERN.test(b.jobId))) {
    issues.push({ path: '/jobId', message: 'must be a job id returned by an earlier request' });
  }
  if (b.offset !== undefined && (!Number.isSafeInteger(b.offset) || (b.offset as number) < 0)) {
    issues.push({ path: '/offset', message: 'must be a non-negative integer' });
  }
  if (b.jobId !== undefined && b.offset === undefined)
    issues.push({ path: '/offset', message: 'is required with jobId' });
  if (b.jobId === undefined && b.offset !== undefined && b.offset !== 0) {
    issues.push({ path: '/jobId', message: 'is required when offset is not 0' });
  }
  if (issues.length > 0)
    throw new DomainError('validation_failed', 'Invalid parameters', { details: issues });
  return {
    items: b.items as unknown[],
    dryRun: b.dryRun === true,
    ...(typeof b.jobId === 'string' ? { jobId: b.jobId } : {}),
    offset: (b.offset as number | undefined) ?? 0,
    final: b.final !== false,
  };
}
