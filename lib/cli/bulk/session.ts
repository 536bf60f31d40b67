/** What the bulk commands share: their I/O, the API client, watching with Ctrl-C, and the final summary. */

import { ApiError, apiTarget, BulkApiClient, type RetryPolicy } from '../api-client.ts';
import { integerFlag, type ParsedWords, stringFlag } from '../arguments.ts';
import type { CliIo } from '../io.ts';
import { type FailuresFile, forEachFailurePage } from './failures-file.ts';
import type { BulkJob } from './types.ts';
import { type Terminal, watchJob } from './watch.ts';

export interface BulkIo extends CliIo {
  /** Where the live progress bar goes; process.stderr unless a test injects one. */
  terminal?: Terminal;
  /** Stops watching (Ctrl-C in a real run). */
  interrupt?: AbortSignal;
  retryPolicy?: Partial<RetryPolicy>;
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_INTERRUPTED = 130;

export function apiClient(parsed: ParsedWords, io: BulkIo): BulkApiClient {
  return new BulkApiClient(
    apiTarget({ url: stringFlag(parsed, 'url'), key: stringFlag(parsed, 'key') }, io.env),
    io.retryPolicy,
  );
}

export function printJson(io: BulkIo, value: unknown): void {
  io.out(JSON.stringify(value, null, 2));
}

/** The API's error JSON on stderr, exit 1. */
export function reportApiError(io: BulkIo, error: ApiError): number {
  io.err(JSON.stringify(error.body, null, 2));
  return EXIT_FAILED;
}

export async function withApiErrors(io: BulkIo, run: () => Promise<number>): Promise<number> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof ApiError) return reportApiError(io, error);
    throw error;
  }
}

/** Ctrl-C while watching only stops the watching; the job runs on in the cloud. */
function interruptSignal(io: BulkIo): { signal: AbortSignal; dispose: () => void } {
  if (io.interrupt) return { signal: io.interrupt, dispose: () => {} };
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  return { signal: controller.signal, dispose: () => process.off('SIGINT', onSigint) };
}

export interface WatchRequest {
  api: BulkApiClient;
  jobId: string;
  parsed: ParsedWords;
}

/** The finished job, or undefined after telling how to resume watching. */
export async function watch(io: BulkIo, request: WatchRequest): Promise<BulkJob | undefined> {
  const { signal, dispose } = interruptSignal(io);
  try {
    const job = await watchJob(request.api, request.jobId, {
      intervalMs: integerFlag(request.parsed, 'interval-ms', 1000, 10, 3_600_000),
      terminal: io.terminal ?? process.stderr,
      log: io.err,
      signal,
    });
    if (!job) {
      io.err(
        `Stopped watching. Job ${request.jobId} keeps running; watch it again with: intercom-actions bulk status ${request.jobId} --watch`,
      );
      printJson(io, { jobId: request.jobId, watching: false });
    }
    return job;
  } finally {
    dispose();
  }
}

export interface Summary {
  jobId: string | null;
  operation: string;
  status: string;
  total: number;
  succeeded: number;
  failed: number;
  rejected: number;
  seconds: number;
  failuresFile: string | null;
}

export function secondsSince(startedAt: number): number {
  return Math.round((Date.now() - startedAt) / 100) / 10;
}

/** Writes the job's failures after any rejections already in the file, prints the summary, picks the exit code. */
export async function finishJob(
  io: BulkIo,
  api: BulkApiClient,
  job: BulkJob,
  outcome: { failures: FailuresFile; total: number; rejected: number; startedAt: number },
): Promise<number> {
  const { failures } = outcome;
  if (job.failed > 0 && failures.path) {
    await forEachFailurePage(api, job.jobId, (page) => failures.append(page));
  } else if (job.failed > 0) {
    io.err(`${job.failed} item(s) failed; list them with: intercom-actions bulk failures ${job.jobId}`);
  }
  await failures.close();
  const summary: Summary = {
    jobId: job.jobId,
    operation: job.operation,
    status: job.status,
    total: outcome.total,
    succeeded: job.succeeded,
    failed: job.failed,
    rejected: outcome.rejected,
    seconds: secondsSince(outcome.startedAt),
    failuresFile: failures.writtenPath,
  };
  printJson(io, summary);
  return job.status === 'completed' && job.failed === 0 && outcome.rejected === 0 ? EXIT_OK : EXIT_FAILED;
}
