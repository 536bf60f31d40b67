/** The body of `POST /exports/{operation}`: the list's filter, output format, CSV fields, gzip; checked before anything is stored. */
import type { Operation } from '../catalog/index.ts';
import { DomainError } from '../errors.ts';
import type { ValidationIssue } from '../validation/validate.ts';
import { type ExportMode, exportParams } from './exportable.ts';

export type ExportFormat = 'jsonl' | 'csv';

export interface ExportRequest {
  /** The list's filter (`{tag_id}` or `{segment_id}`); empty for a scroll. */
  params: Record<string, string>;
  format: ExportFormat;
  /** CSV columns: top-level fields or dotted paths (`location_data.city`, `custom_attributes.plan`). */
  fields: string[] | undefined;
  gzip: boolean;
}

const KNOWN = new Set(['params', 'format', 'fields', 'gzip']);
export const EXPORT_ID_PATTERN = /^exp_[0-9a-z]{10}[0-9a-f]{16}$/;
const FIELD_PATTERN = /^[A-Za-z0-9_$-]+(\.[A-Za-z0-9_$-]+)*$/;
export const MAX_FIELDS = 100;

export function parseExportRequest(op: Operation, mode: ExportMode, body: unknown): ExportRequest {
  const b = (body ?? {}) as Record<string, unknown>;
  if (typeof b !== 'object' || Array.isArray(b)) {
    throw new DomainError('validation_failed', 'Invalid parameters', {
      details: [{ path: '/', message: 'must be an object' }],
    });
  }
  const issues: ValidationIssue[] = [];
  for (const key of Object.keys(b))
    if (!KNOWN.has(key)) issues.push({ path: `/${key}`, message: 'is not a known parameter' });
  const checked = exportParams(op, mode, b.params);
  issues.push(...checked.issues);
  const format = b.format ?? 'jsonl';
  if (format !== 'jsonl' && format !== 'csv')
    issues.push({ path: '/format', message: 'must be "jsonl" or "csv"' });
  if (b.gzip !== undefined && typeof b.gzip !== 'boolean')
    issues.push({ path: '/gzip', message: 'must be boolean' });
  let fields: string[] | undefined;
  if (b.fields !== undefined) {
    if (
      !Array.isArray(b.fields) ||
      b.fields.length === 0 ||
      b.fields.length > MAX_FIELDS ||
      !b.fields.every((f) => typeof f === 'string' && FIELD_PATTERN.test(f))
    ) {
      issues.push({
        path: '/fields',
        message: `must be 1 to ${MAX_FIELDS} field names (letters, digits, _ $ -; dotted for nested fields)`,
      });
    } else if (new Set(b.fields).size !== b.fields.length) {
      issues.push({ path: '/fields', message: 'must not repeat a field' });
    } else fields = b.fields as string[];
  }
  if (format === 'csv' && b.fields === undefined)
    issues.push({ path: '/fields', message: 'is required with format "csv" (the columns, in order)' });
  if (format === 'jsonl' && b.fields !== undefined)
    issues.push({ path: '/fields', message: 'applies to format "csv" only' });
  if (issues.length > 0)
    throw new DomainError('validation_failed', 'Invalid parameters', { details: issues });
  return { params: checked.params, format: format as ExportFormat, fields, gzip: b.gzip === true };
}
