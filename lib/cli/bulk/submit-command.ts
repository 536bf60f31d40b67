/** `bulk <operation> --file ...`: submit a file as one job, then watch it to the end and report. */
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { findOperation } from '../../catalog/index.ts';
import {
  type FlagSpec,
  integerFlag,
  type ParsedWords,
  parseOptions,
  stringFlag,
  UsageError,
} from '../arguments.ts';
import {
  DEFAULT_CHUNK_SIZE,
  ItemsFileError,
  itemsFormatOf,
  MAX_CHUNK_SIZE,
  readItemChunks,
} from '../items-file.ts';
import { FailuresFile } from './failures-file.ts';
import {
  apiClient,
  type BulkIo,
  EXIT_FAILED,
  EXIT_INTERRUPTED,
  EXIT_OK,
  finishJob,
  printJson,
  secondsSince,
  watch,
  withApiErrors,
} from './session.ts';
import { dryRunFile, type SubmitContext, submitFile, type Tally } from './submit.ts';

export const SUBMIT_FLAGS: FlagSpec = {
  values: ['file', 'chunk', 'failures', 'url', 'key', 'idempotency-key', 'interval-ms'],
  switches: ['dry-run', 'no-wait'],
};

interface SubmitPlan {
  operation: string;
  file: string;
  chunkSize: number;
  failuresPath: string;
}

async function planOf(parsed: ParsedWords): Promise<SubmitPlan> {
  const [operation, extra] = parsed.positionals;
  if (!operation)
    throw new UsageError('bulk needs an operation: intercom-actions bulk <operation> --file <file>');
  if (!findOperation(operation)) {
    throw new UsageError(`Unknown operation "${operation}"; see intercom-actions operations`);
  }
  if (extra !== undefined) throw new UsageError(`Unexpected "${extra}"`);
  const file = stringFlag(parsed, 'file');
  if (!file) throw new UsageError('bulk needs --file <items.jsonl|items.ndjson|items.csv>');
  if (!itemsFormatOf(file)) throw new UsageError(`${file}: unknown file type (use .jsonl, .ndjson or .csv)`);
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) throw new UsageError(`${file}: no such file`);
  return {
    operation,
    file,
    chunkSize: integerFlag(parsed, 'chunk', DEFAULT_CHUNK_SIZE, 1, MAX_CHUNK_SIZE),
    failuresPath: stringFlag(parsed, 'failures') ?? `${file}.failures.jsonl`,
  };
}

/**
 * Same file, same content, same operation and chunking: same key. A retried first request, or re-running
 * the command after a crash, then finds the job already created instead of creating a second one.
 */
async function derivedIdempotencyKey(plan: SubmitPlan): Promise<string> {
  const path = resolve(plan.file);
  const { size, mtimeMs } = await stat(path);
  const digest = createHash('sha256')
    .update(JSON.stringify([plan.operation, path, size, mtimeMs, plan.chunkSize]))
    .digest('hex');
  return `cli-${digest.slice(0, 40)}`;
}

function requireItems(file: string, result: Tally): void {
  if (result.total === 0 && !result.fileError) throw new UsageError(`${file}: no items`);
}

async function dryRun(
  io: BulkIo,
  plan: SubmitPlan,
  context: SubmitContext,
  startedAt: number,
): Promise<number> {
  const result = await dryRunFile(context);
  requireItems(plan.file, result);
  await context.failures.close();
  if (result.fileError) io.err(`error: ${result.fileError.message} (the file was read up to there)`);
  printJson(io, {
    dryRun: true,
    operation: context.operation,
    total: result.total,
    accepted: result.accepted,
    rejected: result.rejected,
    estimate: result.estimate,
    seconds: secondsSince(startedAt),
    failuresFile: context.failures.writtenPath,
  });
  return result.rejected === 0 && !result.fileError ? EXIT_OK : EXIT_FAILED;
}

async function submitAndWatch(
  io: BulkIo,
  parsed: ParsedWords,
  plan: SubmitPlan,
  context: SubmitContext,
  startedAt: number,
): Promise<number> {
  const idempotencyKey = stringFlag(parsed, 'idempotency-key') ?? (await derivedIdempotencyKey(plan));
  let createdJob: string | undefined;
  const result = await submitFile(context, {
    idempotencyKey,
    onJob: (jobId) => {
      createdJob = jobId;
    },
  }).catch((error: unknown) => {
    if (createdJob) {
      io.err(
        `Job ${createdJob} was created but not every chunk was sent; run the same command again to resume it.`,
      );
    }
    throw error;
  });
  // Every chunk is sent, bad lines included, so only a file without items leaves no job.
  const { jobId } = result;
  if (!jobId) throw new UsageError(`${plan.file}: no items`);
  if (result.fileError) {
    io.err(`error: ${result.fileError.message}; the items before it were submitted as job ${jobId}`);
  }
  if (parsed.flags.has('no-wait')) {
    await context.failures.close();
    printJson(io, {
      jobId,
      operation: plan.operation,
      status: 'submitted',
      total: result.total,
      accepted: result.accepted,
      rejected: result.rejected,
      seconds: secondsSince(startedAt),
      failuresFile: context.failures.writtenPath,
    });
    io.err(`Watch it with: intercom-actions bulk status ${jobId} --watch`);
    return result.rejected === 0 && !result.fileError ? EXIT_OK : EXIT_FAILED;
  }
  const job = await watch(io, { api: context.api, jobId, parsed });
  if (!job) return EXIT_INTERRUPTED;
  const code = await finishJob(io, context.api, job, {
    failures: context.failures,
    total: result.total,
    rejected: result.rejected,
    startedAt,
  });
  return result.fileError ? EXIT_FAILED : code;
}

export async function submitCommand(words: readonly string[], io: BulkIo): Promise<number> {
  const parsed = parseOptions(words, SUBMIT_FLAGS, 'bulk <operation>');
  const plan = await planOf(parsed);
  const startedAt = Date.now();
  const failures = new FailuresFile(plan.failuresPath);
  const context = {
    api: apiClient(parsed, io),
    operation: plan.operation,
    chunks: readItemChunks(plan.file, findOperation(plan.operation)!, plan.chunkSize),
    failures,
  };
  try {
    return await withApiErrors(io, () =>
      parsed.flags.has('dry-run')
        ? dryRun(io, plan, context, startedAt)
        : submitAndWatch(io, parsed, plan, context, startedAt),
    );
  } catch (error) {
    // Unreadable before a single item was sent (e.g. a CSV header without names): a problem with the input.
    if (error instanceof ItemsFileError) throw new UsageError(`${plan.file}: ${error.message}`);
    throw error;
  } finally {
    await failures.close();
  }
}
