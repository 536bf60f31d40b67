/** The JSONL file of items that did not succeed: created on the first record only, so a clean run leaves none. */
import { type FileHandle, open } from 'node:fs/promises';
import type { BulkApiClient } from '../api-client.ts';

export class FailuresFile {
  readonly path: string | undefined;
  #handle: FileHandle | undefined;
  #closed = false;
  #count = 0;

  /** Without a path records are only counted. */
  constructor(path: string | undefined) {
    this.path = path;
  }

  get count(): number {
    return this.#count;
  }

  /** The path when something was written to it. */
  get writtenPath(): string | null {
    return this.#handle ? (this.path ?? null) : null;
  }

  async append(records: readonly object[]): Promise<void> {
    if (records.length === 0) return;
    this.#count += records.length;
    if (!this.path) return;
    if (this.#closed) throw new Error(`${this.path} is already closed`);
    // 'w' on first use: a failures file left by an earlier run must not mix with this one.
    this.#handle ??= await open(this.path, 'w');
    await this.#handle.write(records.map((record) => `${JSON.stringify(record)}\n`).join(''));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#handle?.close();
  }
}

/** Pages through every failure of the job, handing each page over as it arrives. */
export async function forEachFailurePage(
  api: BulkApiClient,
  jobId: string,
  onPage: (failures: readonly object[]) => Promise<void>,
): Promise<void> {
  let next: string | null = null;
  do {
    const page = await api.failures(jobId, next);
    await onPage(page.failures);
    next = page.next;
  } while (next);
}
