/** The shapes of bulk records in the jobs table, and their keys. */
import type { OwnerId } from '../auth/ownership.ts';

export type ItemState = 'queued' | 'in_progress' | 'succeeded' | 'failed';
/** What the job's counters currently count an item as. */
export type Counted = 'none' | 'succeeded' | 'failed';

import type { ItemError } from '../delivery/outcomes.ts';

export type { ItemError };

export interface JobRecord {
  jobId: string;
  operation: string;
  workspace: string;
  /** Who may see the job (lib/auth/ownership.ts): the creating key's id, or the whole workspace. */
  ownerId: OwnerId;
  /** The name of the key (or rule) that created the job, for people reading it; never checked. */
  createdBy: string;
  createdAt: number;
  updatedAt: number;
  /** Accepted items over all chunks. */
  total: number;
  succeeded: number;
  failed: number;
  /** 1, then +1 per `retry-failed`. */
  attempt: number;
  /** No more chunks will come. */
  final: boolean;
  /** Where the next chunk must start. */
  nextOffset: number;
  /** The attempt whose final counts were verified item by item. */
  reconciledAttempt?: number;
  /**
   * Set while a `retry-failed` call queues the failed items of a new attempt (the job is running):
   * its holder, and when another call may take over (the holder died, or the queue refused).
   */
  retry?: { holder: string; leaseUntil: number };
  /** When a stuck job's items were last counted (at most one count per few minutes). */
  checkedAt?: number;
  /**
   * The latest chunk's signature, kept on the job in the job's own write: a replay of that chunk is
   * recognised even if its chunk record was never written (a crash between the two writes). Each
   * chunk has a record of its own (`chunkKey`), so the job record keeps one size however many chunks.
   */
  lastChunk?: LastChunk;
}

/** The latest chunk, as its record holds it (`accepted` is absent on jobs registered before it was kept). */
export interface LastChunk {
  offset: number;
  accepted?: number;
  size: number;
  final: boolean;
  hash: string;
}

/** What a registered chunk held, by offset, to recognise a replay of it, and whether it was queued. */
export interface ChunkRecord {
  offset: number;
  accepted: number;
  size: number;
  final: boolean;
  /** sha256 (base64url) of the JSON of the chunk's items. */
  hash: string;
  /** Every accepted item of the chunk is on the queue: a replay need not send them again. */
  queued?: boolean;
}

export interface ItemRecord {
  index: number;
  state: ItemState;
  attempt: number;
  counted: Counted;
  leaseUntil?: number;
  error?: ItemError;
  lastError?: ItemError;
  /** Kept for failed items only, so `retry-failed` can queue them again (stored as JSON text). */
  input?: Record<string, unknown>;
  operation?: string;
  workspace?: string;
  /** When the record last changed (a claim sets it before Intercom is called). */
  updatedAt?: number;
  /**
   * Set when an earlier try's answer was lost (or its holder died): before running again, look
   * whether it happened after this time. The earliest such try; cleared only when the item finishes.
   */
  verifySince?: number;
  /** No lookup before this time (Intercom may still be working on the lost call); a claim waits. */
  verifyAfter?: number;
  [tries: `tries_${number}`]: number | undefined;
}

export const jobKey = (jobId: string) => ({ pk: `job#${jobId}`, sk: 'job' });
export const itemKey = (jobId: string, index: number) => ({
  pk: `job#${jobId}`,
  sk: `item#${String(index).padStart(10, '0')}`,
});
export const ITEM_PREFIX = 'item#';

export const chunkKey = (jobId: string, offset: number) => ({
  pk: `job#${jobId}`,
  sk: `chunk#${String(offset).padStart(10, '0')}`,
});
export const CHUNK_PREFIX = 'chunk#';

/** A chunk's accepted items, kept so that pending items can be queued again when messages are lost. */
export const inputKey = (jobId: string, offset: number, part: number) => ({
  pk: `job#${jobId}`,
  sk: `input#${String(offset).padStart(10, '0')}#${String(part).padStart(4, '0')}`,
});
export const INPUT_PREFIX = 'input#';

/**
 * A job's entry in its owner's list (`GET /bulk/jobs`), written once with the job's first chunk and
 * never updated: the list is a Query on one partition per owner, newest first by sort key; a job's
 * status is read from its own record. Workspace and owner are escaped: neither may forge the other's
 * partition.
 */
export const jobListKey = (workspace: string, ownerId: string, createdAt: number, jobId: string) => ({
  pk: jobListPartition(workspace, ownerId),
  sk: jobListSortKey(createdAt, jobId),
});
export const jobListPartition = (workspace: string, ownerId: string) =>
  `jobs#${encodeURIComponent(workspace)}#${encodeURIComponent(ownerId)}`;
/** Creation time (ms, 15 digits: they sort as strings as they do as numbers), then the job id. */
export const jobListSortKey = (createdAt: number, jobId: string) =>
  `${String(createdAt).padStart(15, '0')}#${jobId}`;
export const JOB_LIST_SORT_KEY = /^\d{15}#job_[A-Za-z0-9_-]{8,64}$/;

/** One stored item input: its index in the job and its validated parameters. */
export interface StoredInput {
  index: number;
  input: Record<string, unknown>;
}

/**
 * That a job was made for an Idempotency-Key, kept without expiry in its own partition: when the
 * job's records are gone (expired), the key is refused instead of running every item again.
 */
export const idempotencyKey = (jobId: string) => ({ pk: `idem#${jobId}`, sk: 'idem' });
