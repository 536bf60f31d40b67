/** The bulk endpoints' JSON, as the CLI reads it. */

export interface ValidationDetail {
  path: string;
  message: string;
}

export interface ServerRejection {
  /** Global: the chunk's offset plus the item's position in it. */
  index: number;
  error: { code: string; message: string; details?: ValidationDetail[] };
}

export interface SubmitResponse {
  jobId: string;
  operation: string;
  total: number;
  accepted: number;
  rejected: ServerRejection[];
  offset?: number;
  final?: boolean;
}

export interface Estimate {
  requests: number;
  seconds: number;
  minutes?: number;
  ratePerWindow: number;
  windowSeconds: number;
}

export interface DryRunResponse {
  dryRun: true;
  operation: string;
  total: number;
  accepted: number;
  rejected: ServerRejection[];
  estimate: Estimate;
}

import type { JobView } from '../../bulk/service.ts';

// The job as the server describes it (lib/bulk/service.ts), one declaration for both sides.
export type { JobStatus } from '../../bulk/service.ts';
export type BulkJob = JobView;

export interface ItemFailure {
  index: number;
  attempt: number;
  error: { status?: number; code: string; message: string; intercomRequestId?: string };
  input: Record<string, unknown>;
}

export interface FailuresPage {
  failures: ItemFailure[];
  next: string | null;
}

export interface RetryFailedResponse {
  jobId: string;
  attempt: number;
  requeued: number;
}

export function isFinished(job: BulkJob): boolean {
  return job.status === 'completed' || job.status === 'completed_with_errors';
}
