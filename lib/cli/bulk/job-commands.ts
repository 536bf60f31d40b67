/** `bulk status|failures|retry <jobId>`: commands about a job that already exists. */
import { open } from 'node:fs/promises';
import { type FlagSpec, type ParsedWords, parseOptions, stringFlag, UsageError } from '../arguments.ts';
import { FailuresFile, forEachFailurePage } from './failures-file.ts';
import {
  apiClient,
  type BulkIo,
  EXIT_INTERRUPTED,
  EXIT_OK,
  finishJob,
  printJson,
  watch,
  withApiErrors,
} from './session.ts';

const CONNECTION = ['url', 'key'];

export const JOB_COMMAND_FLAGS: Readonly<Record<'status' | 'failures' | 'retry' | 'recover', FlagSpec>> = {
  status: { values: [...CONNECTION, 'interval-ms', 'failures'], switches: ['watch'] },
  failures: { values: [...CONNECTION, 'out'], switches: [] },
  retry: { values: [...CONNECTION, 'interval-ms', 'failures'], switches: ['no-wait'] },
  recover: { values: [...CONNECTION], switches: [] },
};

function jobIdOf(parsed: ParsedWords, command: string): string {
  const [jobId, extra] = parsed.positionals;
  if (!jobId) throw new UsageError(`bulk ${command} needs a job id`);
  if (extra !== undefined) throw new UsageError(`Unexpected "${extra}"`);
  return jobId;
}

async function watchToEnd(io: BulkIo, parsed: ParsedWords, jobId: string): Promise<number> {
  const api = apiClient(parsed, io);
  const startedAt = Date.now();
  const job = await watch(io, { api, jobId, parsed });
  if (!job) return EXIT_INTERRUPTED;
  return finishJob(io, api, job, {
    failures: new FailuresFile(stringFlag(parsed, 'failures')),
    total: job.total,
    rejected: 0,
    startedAt,
  });
}

export function statusCommand(words: readonly string[], io: BulkIo): Promise<number> {
  const parsed = parseOptions(words, JOB_COMMAND_FLAGS.status, 'bulk status');
  const jobId = jobIdOf(parsed, 'status');
  return withApiErrors(io, async () => {
    if (parsed.flags.has('watch')) return watchToEnd(io, parsed, jobId);
    printJson(io, await apiClient(parsed, io).job(jobId));
    return EXIT_OK;
  });
}

export function failuresCommand(words: readonly string[], io: BulkIo): Promise<number> {
  const parsed = parseOptions(words, JOB_COMMAND_FLAGS.failures, 'bulk failures');
  const jobId = jobIdOf(parsed, 'failures');
  const out = stringFlag(parsed, 'out');
  return withApiErrors(io, async () => {
    const api = apiClient(parsed, io);
    if (!out) {
      await forEachFailurePage(api, jobId, async (page) => {
        for (const failure of page) io.out(JSON.stringify(failure));
      });
      return EXIT_OK;
    }
    // The file is written even when empty: asking for it and finding nothing is an answer.
    const file = await open(out, 'w');
    let count = 0;
    try {
      await forEachFailurePage(api, jobId, async (page) => {
        count += page.length;
        await file.write(page.map((failure) => `${JSON.stringify(failure)}\n`).join(''));
      });
    } finally {
      await file.close();
    }
    io.err(`${count} failure(s) written to ${out}`);
    return EXIT_OK;
  });
}

export function retryCommand(words: readonly string[], io: BulkIo): Promise<number> {
  const parsed = parseOptions(words, JOB_COMMAND_FLAGS.retry, 'bulk retry');
  const jobId = jobIdOf(parsed, 'retry');
  return withApiErrors(io, async () => {
    const answer = await apiClient(parsed, io).retryFailed(jobId);
    if (parsed.flags.has('no-wait') || answer.requeued === 0) {
      printJson(io, answer);
      return EXIT_OK;
    }
    io.err(`Requeued ${answer.requeued} item(s) as attempt ${answer.attempt} of job ${jobId}`);
    return watchToEnd(io, parsed, jobId);
  });
}

export function recoverCommand(words: readonly string[], io: BulkIo): Promise<number> {
  const parsed = parseOptions(words, JOB_COMMAND_FLAGS.recover, 'bulk recover');
  const jobId = jobIdOf(parsed, 'recover');
  return withApiErrors(io, async () => {
    printJson(io, await apiClient(parsed, io).recover(jobId));
    return EXIT_OK;
  });
}
