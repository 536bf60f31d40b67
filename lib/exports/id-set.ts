/**
 * The ids already written to an export file, compact: what a restarted scroll checks each record
 * against. Intercom's ids of users, leads and companies are 24 hex digits (ObjectIds), so each is kept
 * as its 12 bytes (three 32-bit words) in sorted runs of packed typed arrays: 12 bytes an id, against
 * about 70 for a string in a Set, so 1.2 MB per 100,000 ids. Runs are merged as in a binary counter
 * (equal sizes merge), so there are at most log2(n / RUN) + 1 of them and a look-up is a binary
 * search in each. Any
 * other id (upper-case hex, numeric, ...) is kept as it is in a Set, so membership is always exact.
 */

/** An ObjectId as three 32-bit words (8 hex digits each): compared in JS, no native call per step. */
const WORDS = 3;
const OBJECT_ID = /^[0-9a-f]{24}$/;
/** Ids gathered unsorted before they are packed into a run. */
const RUN = 4096;

export class IdSet {
  /** Sorted packed runs, largest first. */
  #runs: Uint32Array[] = [];
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
      this.#runs.reduce((sum, run) => sum + run.byteLength, 0) + (this.#recent.size + this.#others.size) * 72
    );
  }

  has(id: string): boolean {
    if (!OBJECT_ID.test(id)) return this.#others.has(id);
    if (this.#recent.has(id)) return true;
    if (this.#runs.length === 0) return false;
    const a = word(id, 0);
    const b = word(id, 1);
    const c = word(id, 2);
    for (const run of this.#runs) if (contains(run, a, b, c)) return true;
    return false;
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
    // Lower-case hex of equal length sorts as the words it spells.
    const keys = [...this.#recent].sort();
    this.#recent.clear();
    let run: Uint32Array = new Uint32Array(keys.length * WORDS);
    keys.forEach((key, i) => {
      for (let w = 0; w < WORDS; w++) run[i * WORDS + w] = word(key, w);
    });
    while (this.#runs.length > 0 && this.#runs.at(-1)!.length <= run.length)
      run = merge(this.#runs.pop()!, run);
    this.#runs.push(run);
  }
}

function word(hex: string, w: number): number {
  return Number.parseInt(hex.slice(w * 8, w * 8 + 8), 16);
}

/** Sign of the key at index i of `run` against (a, b, c). */
function compareAt(run: Uint32Array, i: number, a: number, b: number, c: number): number {
  const o = i * WORDS;
  return run[o]! - a || run[o + 1]! - b || run[o + 2]! - c;
}

function contains(run: Uint32Array, a: number, b: number, c: number): boolean {
  let lo = 0;
  let hi = run.length / WORDS - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const sign = compareAt(run, mid, a, b, c);
    if (sign === 0) return true;
    if (sign > 0) hi = mid - 1;
    else lo = mid + 1;
  }
  return false;
}

function merge(x: Uint32Array, y: Uint32Array): Uint32Array {
  const out = new Uint32Array(x.length + y.length);
  let i = 0;
  let j = 0;
  let o = 0;
  while (i < x.length && j < y.length) {
    if (compareAt(x, i / WORDS, y[j]!, y[j + 1]!, y[j + 2]!) <= 0) {
      out[o++] = x[i++]!;
      out[o++] = x[i++]!;
      out[o++] = x[i++]!;
    } else {
      out[o++] = y[j++]!;
      out[o++] = y[j++]!;
      out[o++] = y[j++]!;
    }
  }
  out.set(x.subarray(i), o);
  out.set(y.subarray(j), o + x.length - i);
  return out;
}
