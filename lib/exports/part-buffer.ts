/**
 * The part an export gathers before uploading it: one buffer, reused for every part of an
 * invocation, that each page's lines are written into. No Buffer per page and no copy to join them:
 * an 8 MiB part is held once while it is sent, not twice.
 */
export class PartBuffer {
  #buffer: Buffer;
  #length = 0;

  /** `capacity`: the part size and room for the page that crosses it (it grows if a page needs more). */
  constructor(capacity: number) {
    this.#buffer = Buffer.allocUnsafe(capacity);
  }

  get length(): number {
    return this.#length;
  }

  write(text: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit: count exactly only when that might not fit.
    const room = this.#buffer.length - this.#length;
    if (text.length * 3 > room) this.#ensure(Buffer.byteLength(text));
    this.#length += this.#buffer.write(text, this.#length);
  }

  append(bytes: Uint8Array): void {
    this.#ensure(bytes.length);
    this.#buffer.set(bytes, this.#length);
    this.#length += bytes.length;
  }

  /** The bytes gathered: a view, valid until the next write after `clear`. */
  view(): Buffer {
    return this.#buffer.subarray(0, this.#length);
  }

  clear(): void {
    this.#length = 0;
  }

  #ensure(bytes: number): void {
    const needed = this.#length + bytes;
    if (needed <= this.#buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(needed, this.#buffer.length * 2));
    this.#buffer.copy(grown, 0, 0, this.#length);
    this.#buffer = grown;
  }
}
