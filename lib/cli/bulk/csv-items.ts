/**
 * CSV rows as operation input: the header names the parameters, `a.b` nests into `{a: {b}}`, cells are
 * typed by the operation's input schema, and object/array columns (or a header ending in `:=`) hold JSON.
 */
import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import { inputSchemaOf, type JsonSchema, type Operation } from '../../catalog/index.ts';
import { typedValue } from '../arguments.ts';
import { ItemsFileError, type RawEntry } from './entries.ts';

interface Column {
  header: string;
  path: string[];
  json: boolean;
  schema: JsonSchema | undefined;
}

function types(schema: JsonSchema | undefined): string[] {
  const type = schema?.type;
  return Array.isArray(type) ? (type as string[]) : typeof type === 'string' ? [type] : [];
}

function schemaAt(root: JsonSchema, path: readonly string[]): JsonSchema | undefined {
  let schema: JsonSchema | undefined = root;
  for (const key of path) {
    const properties = schema?.properties as Record<string, JsonSchema> | undefined;
    schema = properties?.[key];
  }
  return schema;
}

export function csvColumns(header: readonly string[], op: Operation, line = 1): Column[] {
  const root = inputSchemaOf(op);
  const seen = new Set<string>();
  return header.map((raw, position) => {
    const explicitJson = raw.endsWith(':=');
    const name = (explicitJson ? raw.slice(0, -2) : raw).trim();
    const path = name.split('.');
    if (name === '' || path.some((key) => key === '')) {
      throw new ItemsFileError(`column ${position + 1} of the header has no usable name ("${raw}")`, line);
    }
    if (seen.has(name)) throw new ItemsFileError(`column "${name}" appears twice in the header`, line);
    seen.add(name);
    const schema = schemaAt(root, path);
    const accepted = types(schema);
    const json =
      explicitJson ||
      ((accepted.includes('object') || accepted.includes('array')) && !accepted.includes('string'));
    return { header: name, path, json, schema };
  });
}

function assignPath(item: Record<string, unknown>, path: readonly string[], value: unknown): boolean {
  let target = item;
  for (const key of path.slice(0, -1)) {
    const existing = target[key];
    if (existing === undefined) target[key] = {};
    else if (existing === null || typeof existing !== 'object' || Array.isArray(existing)) return false;
    target = target[key] as Record<string, unknown>;
  }
  const last = path.at(-1)!;
  if (target[last] !== undefined) return false;
  target[last] = value;
  return true;
}

/** The item of one row, or why the row cannot be one. */
export function csvRowToItem(
  columns: readonly Column[],
  cells: readonly string[],
): { item: Record<string, unknown> } | { error: string } {
  if (cells.length !== columns.length) {
    return { error: `expected ${columns.length} fields as in the header, got ${cells.length}` };
  }
  const item: Record<string, unknown> = {};
  for (const [position, column] of columns.entries()) {
    const cell = cells[position]!;
    if (cell === '') continue;
    let value: unknown;
    if (column.json) {
      try {
        value = JSON.parse(cell);
      } catch (error) {
        return { error: `column "${column.header}" is not valid JSON (${(error as Error).message})` };
      }
    } else {
      value = typedValue(column.schema, cell);
    }
    if (!assignPath(item, column.path, value)) {
      return { error: `column "${column.header}" collides with another column that sets the same field` };
    }
  }
  return { item };
}

/** The line a record starts on: csv-parse reports where it ends, and quoted cells may span lines. */
function startLine(endLine: number, raw: string | undefined): number {
  if (!raw) return endLine;
  const body = raw.replace(/^[\r\n]+/, '').replace(/\r?\n$/, '');
  return endLine - (body.match(/\n/g)?.length ?? 0);
}

interface CsvRecord {
  record: string[];
  raw?: string;
  info: { lines: number };
}

export async function* readCsvEntries(path: string, op: Operation): AsyncGenerator<RawEntry> {
  const parser = createReadStream(path).pipe(
    parse({
      bom: true,
      info: true,
      raw: true,
      relax_column_count: true,
      skip_empty_lines: true,
      skip_records_with_empty_values: true,
    }),
  );
  let columns: Column[] | undefined;
  try {
    for await (const { record, raw, info } of parser as AsyncIterable<CsvRecord>) {
      const line = startLine(info.lines, raw);
      if (!columns) {
        columns = csvColumns(record, op, line);
        continue;
      }
      const row = csvRowToItem(columns, record);
      yield 'item' in row ? { line, item: row.item } : { line, error: row.error, raw: raw?.trimEnd() };
    }
  } catch (error) {
    if (error instanceof ItemsFileError) throw error;
    const at = (error as { lines?: unknown }).lines;
    throw new ItemsFileError(`not readable as CSV: ${(error as Error).message}`, Number(at) || undefined);
  }
}
