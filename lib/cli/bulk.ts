/**
 * `intercom-actions bulk ...`: bulk jobs through the deployed (or local) HTTP API, from a JSONL or CSV
 * file of any size.
 */
import { failuresCommand, recoverCommand, retryCommand, statusCommand } from './bulk/job-commands.ts';
import type { BulkIo } from './bulk/session.ts';
import { submitCommand } from './bulk/submit-command.ts';

export type { BulkIo } from './bulk/session.ts';

const SUBMIT_USAGE = `intercom-actions bulk <operation> --file <items.jsonl|items.ndjson|items.csv> [options]
    Submits every item of the file as one bulk job, watches it and prints a JSON summary
    {jobId, operation, status, total, succeeded, failed, rejected, seconds, failuresFile}.
  --dry-run               validate and estimate the whole file; nothing is queued
  --chunk N               items per request (default 500, at most 1000; lowered to the server's maximum)
  --failures FILE         failed and rejected items as JSONL (default <file>.failures.jsonl, only written
                          when there are any)
  --no-wait               print the job id once the file is submitted, without watching
  --interval-ms MS        how often the job is polled while watching (default 1000)
  --idempotency-key KEY   key of the request that creates the job (default: derived from the file's path,
                          size and mtime, the operation and --chunk, so running the same command again
                          resumes the same job; pass a new key to submit the file as a new job)`;

const JOB_USAGE = {
  status:
    'intercom-actions bulk status <jobId> [--watch [--failures FILE] [--interval-ms MS]]\n    the job as JSON, or watch it to the end and print the summary',
  failures:
    'intercom-actions bulk failures <jobId> [--out FILE]\n    every failed item ({index, attempt, error, input}) as JSONL, on stdout or into FILE',
  retry:
    'intercom-actions bulk retry <jobId> [--no-wait] [--failures FILE] [--interval-ms MS]\n    requeue the failed items as a new attempt, then watch the job to the end',
  recover:
    'intercom-actions bulk recover <jobId>\n    queue again the items that have not finished (after a queue purge or lost messages); safe to repeat',
};

const CONNECTION_HELP = `Every command takes --url URL (env INTERCOM_ACTIONS_URL, default http://127.0.0.1:3000) and --key KEY
(env INTERCOM_ACTIONS_KEY or API_KEY; a key with the bulk scope).`;

const FILES_HELP = `Files: JSON Lines, one object of parameters per line (blank lines are skipped), or CSV with a header row
of parameter names: "body.email" nests into {"body": {"email": ...}}, cells are typed by the operation's
parameters (numbers, booleans), object and array columns such as "body" hold JSON, as does any column
whose header ends in ":=" (e.g. "body.custom_attributes.score:="), and empty cells are left out.
A line that is not an item is reported in the failures file with its line number; the rest is sent.
Progress goes to stderr (a live bar on a terminal). Ctrl-C stops watching; the job keeps running.
Exit status: 0 every item succeeded, 1 some failed or were rejected (or the API answered with an error,
printed as JSON on stderr), 2 usage error, 130 watching interrupted.`;

export const BULK_HELP = [
  SUBMIT_USAGE,
  JOB_USAGE.status,
  JOB_USAGE.failures,
  JOB_USAGE.retry,
  JOB_USAGE.recover,
  '',
  CONNECTION_HELP,
  '',
  FILES_HELP,
].join('\n');

function isJobCommand(word: string | undefined): word is keyof typeof JOB_USAGE {
  return word === 'status' || word === 'failures' || word === 'retry' || word === 'recover';
}

export async function bulkCommand(words: readonly string[], io: BulkIo): Promise<number> {
  const [first, ...rest] = words;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    io.out(BULK_HELP);
    return first === undefined ? 2 : 0;
  }
  if (words.includes('--help') || words.includes('-h')) {
    io.out(isJobCommand(first) ? `${JOB_USAGE[first]}\n\n${CONNECTION_HELP}` : BULK_HELP);
    return 0;
  }
  switch (first) {
    case 'status':
      return statusCommand(rest, io);
    case 'failures':
      return failuresCommand(rest, io);
    case 'retry':
      return retryCommand(rest, io);
    case 'recover':
      return recoverCommand(rest, io);
    default:
      return submitCommand(words, io);
  }
}
