/**
 * The ids already written to an export file, compact: what a restarted scroll checks each record
 * against. Intercom's ids of users, leads and companies are 24 hex digits (ObjectIds), so each is kept
 * as its 12 bytes in sorted runs of a packed Buffer (12 bytes an id, against about 70 for a string in a
 * Set): 1.2 MB per 100,000 ids. Runs are merged as in a binary counter (each run at least twice the
 * next), so there are at most log2(n / RUN) of them and a look-up is a binary search in each. Any
 * other id (upper-case hex, numeric, ...) is kept as it is in a Set, so membership is always exact.
 */

const BYTES = 12;
const OBJECT_ID = /^[0-9a-f]{24}$/;
/** Ids gathered unsorted before they are packed into a run. */
const RUN = 4096;

export class IdSet {
  /** Sorted packed runs, largest first. */
  #runs: Buffer[] = [];
  /** The newest ids, not packed yet (hex strings). */
  #recent = new Set<string>();
  /** Ids not shaped as ObjectIds. */
  readonly #others = new Set<string>();
  #size = 0;

  get size(): number {
    return this.#size;
  }

  /** Bytes the set holds (packed runs, plus an estimate for the strings). */
  get bytes(): number {
    return (
      this.#runs.reduce((sum, run) => sum + run.length, 0) + (this.#recent.size + this.#others.size) * 72
    );
  }

  has(id: string): boolean {
    if (!OBJECT_ID.test(id)) return this.#others.has(id);
    if (this.#recent.has(id)) return true;
    if (this.#runs.length === 0) return false;
    const key = Buffer.from(id, 'hex');
    return this.#runs.some((run) => contains(run, key));
  }

  /** Adds `id`; false when it was there already. */
  add(id: string): boolean {
    if (this.has(id)) return false;
    this.#size++;
    if (!OBJECT_ID.test(id)) {
      this.#others.add(id);
      return true;
    }
    this.#recent.add(id);
    if (this.#recent.size >= RUN) this.#pack();
    return true;
  }

  #pack(): void {
    const keys = [...this.#recent].sort();
    this.#recent.clear();
    // Lower-case hex sorts as its bytes do.
    let run: Buffer = Buffer.allocUnsafe(keys.length * BYTES);
    keys.forEach((key, i) => {
      run.write(key, i * BYTES, BYTES, 'hex');
    });
    while (this.#runs.length > 0 && this.#runs.at(-1)!.length <= run.length)
      run = merge(this.#runs.pop()!, run);
    this.#runs.push(run);
  }
}

function contains(run: Buffer, key: Buffer): boolean {
  let lo = 0;
  let hi = run.length / BYTES - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const c = run.compare(key, 0, BYTES, mid * BYTES, mid * BYTES + BYTES);
    if (c === 0) return true;
    // `run.compare(key, ...)` compares the run's slice with key: > 0 when the slice sorts after it.
    if (c > 0) hi = mid - 1;
    else lo = mid + 1;
  }
  return false;
}

function merge(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(a.length + b.length);
  let i = 0;
  let j = 0;
  let o = 0;
  while (i < a.length && j < b.length) {
    if (a.compare(b, j, j + BYTES, i, i + BYTES) <= 0) {
      a.copy(out, o, i, i + BYTES);
      i += BYTES;
    } else {
      b.copy(out, o, j, j + BYTES);
      j += BYTES;
    }
    o += BYTES;
  }
  a.copy(out, o, i);
  o += a.length - i;
  b.copy(out, o, j);
  return out;
}
