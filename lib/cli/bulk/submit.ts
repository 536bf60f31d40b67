/**
 * Sends a file's chunks to `POST /bulk/{operation}`: the first creates the job at offset 0, the next
 * append at their offset (the server takes chunks only in order, without gaps), and the last carries
 * `final: true` (one chunk is read ahead to know which is last).
 */
import { ApiError, type BulkApiClient, type SubmitRequest } from '../api-client.ts';
import { type ItemEntry, isFileItem } from '../items-file.ts';
import type { FailuresFile } from './failures-file.ts';
import type { DryRunResponse, Estimate, ServerRejection, SubmitResponse } from './types.ts';

/**
 * Consecutive entries of the file, so `offset + i` is the file's index. A line that is not an item
 * still takes its place, as `null`: offsets must stay contiguous, and the server rejects it.
 */
export interface Piece {
  offset: number;
  items: (Record<string, unknown> | null)[];
}

export function pieceOfChunk(chunk: readonly ItemEntry[]): Piece {
  return {
    offset: chunk[0]?.index ?? 0,
    items: chunk.map((entry) => (isFileItem(entry) ? entry.item : null)),
  };
}

/** The per-request maximum to retry with when the server refused a request as too large. */
export function smallerRequestSize(error: unknown, sent: number): number | undefined {
  if (!(error instanceof ApiError) || sent <= 1) return undefined;
  // A 400 is usually about something else: only one that states a maximum counts.
  const statesMaximum = /\b(at most|max(imum)?|up to|limit)\b/i.test(error.message);
  if (error.status !== 413 && !(error.status === 400 && statesMaximum)) return undefined;
  const counts = (error.message.match(/\d+/g) ?? []).map(Number).filter((n) => n >= 1 && n < sent);
  if (counts.length > 0) return Math.max(...counts);
  // Too many bytes rather than items (e.g. "The body is ... bytes"): halve until it fits.
  return error.status === 413 ? Math.ceil(sent / 2) : undefined;
}

export interface SubmitContext {
  api: BulkApiClient;
  operation: string;
  chunks: AsyncIterable<ItemEntry[]>;
  failures: FailuresFile;
}

export interface Tally {
  /** Items read from the file, bad lines included. */
  total: number;
  accepted: number;
  rejected: number;
  /** Set when the file could not be read to its end; what came before it was still submitted. */
  fileError?: Error;
}

type Answer = SubmitResponse | DryRunResponse;
type Send = (piece: Piece, final: boolean) => Promise<Answer>;

/** Posts a piece, in several requests when the server takes fewer items per request than asked. */
class Sender {
  #limit = Number.POSITIVE_INFINITY;
  readonly #send: Send;
  readonly #onAnswer: (piece: Piece, answer: Answer) => Promise<void>;

  constructor(send: Send, onAnswer: (piece: Piece, answer: Answer) => Promise<void>) {
    this.#send = send;
    this.#onAnswer = onAnswer;
  }

  async post(piece: Piece, final: boolean): Promise<void> {
    let start = 0;
    while (start < piece.items.length) {
      const size = Math.min(this.#limit, piece.items.length - start);
      const part = { offset: piece.offset + start, items: piece.items.slice(start, start + size) };
      let answer: Answer;
      try {
        answer = await this.#send(part, final && start + size === piece.items.length);
      } catch (error) {
        const limit = smallerRequestSize(error, size);
        if (limit === undefined) throw error;
        this.#limit = limit;
        continue;
      }
      await this.#onAnswer(part, answer);
      start += size;
    }
  }
}

/** Reads chunks one ahead of sending, so the last chunk is known to be the last when it is sent. */
async function sendAll(context: SubmitContext, tally: Tally, sender: Sender): Promise<void> {
  async function* pieces(): AsyncGenerator<Piece> {
    for await (const chunk of context.chunks) {
      const local = chunk.filter((entry) => !isFileItem(entry));
      tally.total += chunk.length;
      tally.rejected += local.length;
      await context.failures.append(local);
      yield pieceOfChunk(chunk);
    }
  }
  const reader = pieces();
  let current = await reader.next();
  while (!current.done) {
    let next: IteratorResult<Piece>;
    try {
      next = await reader.next();
    } catch (error) {
      // Close the job with what was read: an open job would never complete.
      tally.fileError = error as Error;
      next = { done: true, value: undefined };
    }
    await sender.post(current.value, next.done === true);
    current = next;
  }
}

/** The server's rejections, less those of the `null` placeholders: those lines are already reported. */
async function recordRejections(
  context: SubmitContext,
  tally: Tally,
  piece: Piece,
  rejected: readonly ServerRejection[],
): Promise<void> {
  const fresh = rejected
    .map((rejection) => ({ ...rejection, input: piece.items[rejection.index - piece.offset] }))
    .filter((rejection) => rejection.input !== null);
  tally.rejected += fresh.length;
  await context.failures.append(fresh);
}

export interface SubmitResult extends Tally {
  jobId: string | undefined;
}

export async function submitFile(
  context: SubmitContext,
  options: { idempotencyKey: string; onJob?: (jobId: string) => void },
): Promise<SubmitResult> {
  const tally: Tally = { total: 0, accepted: 0, rejected: 0 };
  let jobId: string | undefined;
  const sender = new Sender(
    (piece, final) => {
      const request: SubmitRequest = { items: piece.items, offset: piece.offset, final };
      if (jobId) request.jobId = jobId;
      return context.api.submit(context.operation, request, {
        idempotencyKey: jobId ? undefined : options.idempotencyKey,
      });
    },
    async (piece, answer) => {
      const response = answer as SubmitResponse;
      if (!jobId) {
        jobId = response.jobId;
        options.onJob?.(jobId);
      }
      tally.accepted += response.accepted;
      await recordRejections(context, tally, piece, response.rejected);
    },
  );
  await sendAll(context, tally, sender);
  return { ...tally, jobId };
}

export interface DryRunResult extends Tally {
  estimate: Estimate;
}

export async function dryRunFile(context: SubmitContext): Promise<DryRunResult> {
  const tally: Tally = { total: 0, accepted: 0, rejected: 0 };
  const estimate: Estimate = { requests: 0, seconds: 0, ratePerWindow: 0, windowSeconds: 0 };
  const sender = new Sender(
    // Without a job an offset other than 0 is refused, and the items of the request are numbered from 0.
    (piece) => context.api.submit(context.operation, { items: piece.items, dryRun: true }),
    async (piece, answer) => {
      const response = answer as DryRunResponse;
      tally.accepted += response.accepted;
      const rejected = response.rejected.map((r) => ({ ...r, index: piece.offset + r.index }));
      await recordRejections(context, tally, piece, rejected);
      estimate.requests += response.estimate.requests;
      estimate.seconds += response.estimate.seconds;
      estimate.ratePerWindow = response.estimate.ratePerWindow;
      estimate.windowSeconds = response.estimate.windowSeconds;
    },
  );
  await sendAll(context, tally, sender);
  estimate.minutes = Math.round((estimate.seconds / 60) * 10) / 10;
  return { ...tally, estimate };
}
