/**
 * How large an HTTP answer may grow. Behind API Gateway a Lambda answers with one JSON document, the
 * handler's return value (`statusCode`, `headers`, `body`, `isBase64Encoded`) as the runtime
 * serializes it, and Lambda refuses one over 6,291,556 bytes ("Response payload size exceeded maximum
 * allowed payload size (6291556 bytes)"), which the HTTP API turns into an opaque 500. The body is a
 * JSON string inside that document, so every `"` and `\` of the body's JSON counts twice.
 *
 * Lists therefore keep a running sum of what each item adds to that document and stop before the
 * budget, with a `next` cursor from the first item left out.
 */

/** Lambda's limit on a synchronous response: the serialized return value, in bytes. */
export const LAMBDA_RESPONSE_LIMIT_BYTES = 6_291_556;

/**
 * What a list response may fill, as counted by Lambda (envelope included): 5 MiB leaves ~1 MiB below
 * the limit for what cannot be cut to the byte. A scroll page cannot be read twice, so it is taken
 * whole even when it passes the budget (the page before it is stopped on an estimate); the margin
 * holds such a page, the headers added after the handler, and any error in the estimate.
 */
export const RESPONSE_BUDGET_BYTES = 5 * 1024 * 1024;

/**
 * Kept for a list response's envelope (status, headers, `next`, `requestId`, the field names): a
 * cursor and a request id are a few hundred bytes.
 */
export const ENVELOPE_RESERVE_BYTES = 16 * 1024;

/** What a list's items may add to a response. */
export const LIST_BUDGET_BYTES = RESPONSE_BUDGET_BYTES - ENVELOPE_RESERVE_BYTES;

function count(text: string, char: string): number {
  let n = 0;
  for (let i = text.indexOf(char); i !== -1; i = text.indexOf(char, i + 1)) n++;
  return n;
}

/**
 * Bytes a piece of a JSON body adds to the Lambda response document: its UTF-8 bytes, plus one for
 * each `"` and `\` escaped again when the body becomes a string. JSON.stringify leaves no control
 * character or lone surrogate unescaped, so nothing else grows.
 */
export function embeddedJsonBytes(json: string): number {
  return Buffer.byteLength(json, 'utf8') + count(json, '"') + count(json, '\\');
}

/** Bytes `item` adds to a response as an element of a JSON array in its body (with its comma). */
export function listItemBytes(item: unknown): number {
  return embeddedJsonBytes(JSON.stringify(item) ?? 'null') + 1;
}

/** The size Lambda counts for a handler's return value. */
export function lambdaResponseBytes(result: unknown): number {
  return Buffer.byteLength(JSON.stringify(result) ?? '', 'utf8');
}

/**
 * A running sum of list items against a byte budget. The first item is always taken, so a list
 * always moves on (an item too large for any response is the response guard's to refuse).
 */
export class ByteBudget {
  #used = 0;
  #taken = 0;
  readonly max: number;

  constructor(max: number = Number.POSITIVE_INFINITY) {
    this.max = max;
  }

  /** Counts `item` in and answers true if it fits (or is the first); false, counting nothing, if not. */
  take(item: unknown): boolean {
    if (this.max === Number.POSITIVE_INFINITY) {
      this.#taken++;
      return true;
    }
    const bytes = listItemBytes(item);
    if (this.#taken > 0 && this.#used + bytes > this.max) return false;
    this.#used += bytes;
    this.#taken++;
    return true;
  }

  /** Counts `item` in whether it fits or not (a scroll page, which is taken whole). */
  add(item: unknown): void {
    if (this.max !== Number.POSITIVE_INFINITY) this.#used += listItemBytes(item);
    this.#taken++;
  }

  /** Bytes counted so far. */
  get used(): number {
    return this.#used;
  }

  /** Whether `bytes` more would still fit. */
  fits(bytes: number): boolean {
    return this.#used + bytes <= this.max;
  }
}
