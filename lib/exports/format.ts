/** Records as lines of the export file: JSON Lines, or CSV with the chosen columns (RFC 4180 quoting). */
import type { ExportFormat } from './request.ts';

function valueAt(record: unknown, path: string): unknown {
  let value: unknown = record;
  for (const part of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  const text = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export interface LineFormat {
  /** The first line of the file, if the format has one. */
  header: string;
  line(record: unknown): string;
}

export function lineFormat(format: ExportFormat, fields: readonly string[] | undefined): LineFormat {
  if (format === 'csv') {
    const columns = fields ?? ['id'];
    return {
      header: `${columns.map(csvCell).join(',')}\r\n`,
      line: (record) => `${columns.map((f) => csvCell(valueAt(record, f))).join(',')}\r\n`,
    };
  }
  return { header: '', line: (record) => `${JSON.stringify(record)}\n` };
}
