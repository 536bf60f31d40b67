/**
 * The port through which a feature other than bulk hands a list of writes to the bulk path, as a job
 * the workspace owns (a rule that enumerates a population, then acts on each match). The bulk feature
 * implements it (lib/bulk/workspace-jobs.ts) and the entry points wire it in: the caller never sees
 * the job store or the queue, and gets the bulk path's budget, exactly-once delivery, failures and
 * `retry-failed` for free.
 */

/** One chunk of a workspace-owned job: items `[offset, offset + items.length)`. */
export interface WorkspaceJobChunk {
  workspace: string;
  /** The operation every item runs. */
  operation: string;
  /** Names the job within its workspace: the same name is the same job (submissions are idempotent). */
  name: string;
  /** Shown as the job's creator (`createdBy`), e.g. `rule:<rule name>`. */
  createdBy: string;
  offset: number;
  items: Record<string, unknown>[];
  /** No chunk follows: the job is complete once its items are done. */
  final: boolean;
}

export interface WorkspaceJobs {
  /**
   * Registers and queues a chunk. The same chunk again (same offset and items) is a replay that
   * queues nothing twice; a different chunk at a registered offset is refused (`chunk_mismatch`).
   * Items that fail the operation's validation are recorded as failed, as in any bulk job.
   */
  submit(chunk: WorkspaceJobChunk): Promise<{ jobId: string; accepted: number; rejected: number }>;
}
