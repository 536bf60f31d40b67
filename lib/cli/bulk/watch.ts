/** Polls a job until it completes, showing progress: a live bar on a terminal, periodic lines otherwise. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { BulkApiClient } from '../api-client.ts';
import { type ProgressSnapshot, RateMeter, renderProgressLine, renderProgressLog } from '../progress.ts';
import { type BulkJob, isFinished } from './types.ts';

/** Where the live bar goes (process.stderr in a real run; a pty without a size reports 0 columns). */
export interface Terminal {
  isTTY?: boolean;
  columns?: number;
  write(text: string): unknown;
}

export interface WatchOptions {
  intervalMs: number;
  terminal: Terminal;
  /** Lines for a non-terminal stderr. */
  log: (line: string) => void;
  signal: AbortSignal;
  /** How often a non-terminal gets a line (also whenever the status changes). */
  logEveryMs?: number;
}

export function snapshotOf(job: BulkJob, itemsPerSecond: number | undefined): ProgressSnapshot {
  return {
    status: job.status,
    done: job.succeeded + job.failed,
    total: job.total,
    failed: job.failed,
    itemsPerSecond,
    rateLimit: job.rateLimit,
  };
}

class ProgressDisplay {
  readonly #options: WatchOptions;
  #drawn = false;
  #lastLogAt = Number.NEGATIVE_INFINITY;
  #lastStatus: string | undefined;

  constructor(options: WatchOptions) {
    this.#options = options;
  }

  show(snapshot: ProgressSnapshot, final: boolean): void {
    const { terminal } = this.#options;
    if (terminal.isTTY) {
      terminal.write(`\r${renderProgressLine(snapshot, terminal.columns || 80)}\x1b[K`);
      this.#drawn = true;
      return;
    }
    const now = Date.now();
    const due = now - this.#lastLogAt >= (this.#options.logEveryMs ?? 10_000);
    if (final || due || snapshot.status !== this.#lastStatus) {
      this.#options.log(renderProgressLog(snapshot));
      this.#lastLogAt = now;
      this.#lastStatus = snapshot.status;
    }
  }

  /** Ends the live line so what follows starts on a fresh one. */
  end(): void {
    if (this.#drawn) this.#options.terminal.write('\n');
    this.#drawn = false;
  }
}

/** The finished job, or undefined when watching was interrupted (the job itself keeps running). */
export async function watchJob(
  api: BulkApiClient,
  jobId: string,
  options: WatchOptions,
): Promise<BulkJob | undefined> {
  const meter = new RateMeter();
  const display = new ProgressDisplay(options);
  try {
    for (;;) {
      const job = await api.job(jobId, options.signal);
      meter.add(Date.now(), job.succeeded + job.failed);
      const finished = isFinished(job);
      display.show(snapshotOf(job, meter.itemsPerSecond()), finished);
      if (finished) return job;
      await sleep(options.intervalMs, undefined, { signal: options.signal });
    }
  } catch (error) {
    if (options.signal.aborted) return undefined;
    throw error;
  } finally {
    display.end();
  }
}
