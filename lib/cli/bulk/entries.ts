/** What the readers of an items file produce, before items are numbered and chunked. */

/** One item of the file, or a line that could not become one (reported locally; the rest goes on). */
export type RawEntry =
  | { line: number; item: Record<string, unknown> }
  | { line: number; error: string; raw: string | undefined };

/** The file cannot be read on (unreadable CSV, bad header): nothing after this point is an item. */
export class ItemsFileError extends Error {
  override name = 'ItemsFileError';
  readonly line: number | undefined;

  constructor(message: string, line?: number) {
    super(line === undefined ? message : `line ${line}: ${message}`);
    this.line = line;
  }
}
