/**
 * Streams the items of a bulk input file (JSON Lines or CSV) in chunks, so a file of millions of items
 * never sits in memory. A line that cannot become an item is yielded as a local rejection in its place:
 * aborting would leave a huge file half-submitted, and skipping it silently would lose it.
 */
import { createReadStream } from 'node:fs';
import { extname } from 'node:path';
import { createInterface } from 'node:readline';
import type { Operation } from '../catalog/index.ts';
import { jsonShapeIssue } from '../validation/json-shape.ts';
import { readCsvEntries } from './bulk/csv-items.ts';
import { ItemsFileError, type RawEntry } from './bulk/entries.ts';

export { ItemsFileError };

export type ItemsFormat = 'jsonl' | 'csv';

export const DEFAULT_CHUNK_SIZE = 500;
export const MAX_CHUNK_SIZE = 1000;
/** Enough of a bad line to recognise it in the failures file, without copying a runaway line whole. */
const MAX_RAW_CHARS = 2000;

/** `index` numbers the items of the file from 0 (bad lines included, blank lines not). */
export interface FileItem {
  index: number;
  line: number;
  item: Record<string, unknown>;
}

export interface LocalRejection {
  index: number;
  line: number;
  error: { code: 'invalid_line'; message: string };
  raw?: string;
}

export type ItemEntry = FileItem | LocalRejection;

export function isFileItem(entry: ItemEntry): entry is FileItem {
  return 'item' in entry;
}

const FORMATS: Readonly<Record<string, ItemsFormat>> = {
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.csv': 'csv',
};

export function itemsFormatOf(path: string): ItemsFormat | undefined {
  return FORMATS[extname(path).toLowerCase()];
}

function jsonLineEntry(text: string, line: number): RawEntry {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { line, error: `not valid JSON (${(error as Error).message})`, raw: text };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { line, error: 'not a JSON object of parameters', raw: text };
  }
  return { line, item: value as Record<string, unknown> };
}

async function* readJsonLines(path: string): AsyncGenerator<RawEntry> {
  const lines = createInterface({
    input: createReadStream(path, 'utf8'),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let line = 0;
  for await (const text of lines) {
    line++;
    const content = (line === 1 ? text.replace(/^\uFEFF/, '') : text).trim();
    if (content !== '') yield jsonLineEntry(content, line);
  }
}

/** Every item of the file in order, numbered. */
export async function* readItems(path: string, op: Operation): AsyncGenerator<ItemEntry> {
  const format = itemsFormatOf(path);
  if (!format) throw new ItemsFileError(`${path}: unknown file type (use .jsonl, .ndjson or .csv)`);
  const entries = format === 'csv' ? readCsvEntries(path, op) : readJsonLines(path);
  let index = 0;
  for await (const entry of entries) {
    let reason: string;
    if ('item' in entry) {
      // Checked here, not only by the API: once parsed, 1e309 is Infinity, which JSON.stringify
      // would send as null (the API could not tell it from a real null).
      const issue = jsonShapeIssue(entry.item);
      if (!issue) {
        yield { index: index++, line: entry.line, item: entry.item };
        continue;
      }
      reason = `${issue.path} ${issue.message}`;
    } else reason = entry.error;
    const rejection: LocalRejection = {
      index: index++,
      line: entry.line,
      error: { code: 'invalid_line', message: `line ${entry.line}: ${reason}` },
    };
    if ('raw' in entry && entry.raw !== undefined) rejection.raw = entry.raw.slice(0, MAX_RAW_CHARS);
    yield rejection;
  }
}

/** The file's entries in chunks of `size` (the last one shorter); only one chunk is held at a time. */
export async function* readItemChunks(
  path: string,
  op: Operation,
  size = DEFAULT_CHUNK_SIZE,
): AsyncGenerator<ItemEntry[]> {
  if (!Number.isSafeInteger(size) || size < 1 || size > MAX_CHUNK_SIZE) {
    throw new RangeError(`chunk size must be an integer from 1 to ${MAX_CHUNK_SIZE}`);
  }
  let chunk: ItemEntry[] = [];
  for await (const entry of readItems(path, op)) {
    chunk.push(entry);
    if (chunk.length === size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}
