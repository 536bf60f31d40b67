/**
 * Which operations an export walks, and with which parameters, derived from the catalog: every
 * scroll (the whole population, no parameter), and every paged list that declares a filter narrowing
 * it to a tag's or a segment's members (then the list is the right tool: it needs no scroll lock, and
 * such a population mostly fits under Intercom's cap on paged lists). One declaration, read by the
 * intake's validation, the HTTP routing, the OpenAPI document, the CLI's help and docs/exports.md.
 */
import { type Operation, operations } from '../catalog/index.ts';
import type { ValidationIssue } from '../validation/validate.ts';

/** The filters that make a paged list worth exporting; exactly one is given. */
export const LIST_EXPORT_FILTERS = ['tag_id', 'segment_id'] as const;

/** Intercom stops paged lists at 10,000 records ("page limit reached, please use scroll API"). */
export const LIST_CAP = 10_000;

/** Records asked for per list page: Intercom's default for users and companies (users take 60 at most). */
export const LIST_PER_PAGE = 50;

export type ExportMode = { kind: 'scroll' } | { kind: 'list'; filters: readonly string[] };

/** How an operation is exported, or undefined when it is not exportable. */
export function exportMode(op: Operation): ExportMode | undefined {
  if (op.pagination === 'scroll') return { kind: 'scroll' };
  if (op.pagination !== 'pages') return undefined;
  const filters = LIST_EXPORT_FILTERS.filter((f) => op.params[f]?.in === 'query');
  return filters.length > 0 ? { kind: 'list', filters } : undefined;
}

/** Every exportable operation with its mode, in catalog order. */
export const exportableOperations: ReadonlyArray<{ op: Operation; mode: ExportMode }> = operations.flatMap(
  (op) => {
    const mode = exportMode(op);
    return mode ? [{ op, mode }] : [];
  },
);

/**
 * The export's parameters (`params` of the request body) checked against its mode: none for a
 * scroll; exactly one of the list's filters, as a non-empty string or a number (sent as a string),
 * for a list. Returns the issues, or the parameters as they go on the wire.
 */
export function exportParams(
  op: Operation,
  mode: ExportMode,
  params: unknown,
): { issues: ValidationIssue[]; params: Record<string, string> } {
  const issues: ValidationIssue[] = [];
  const out: Record<string, string> = {};
  if (params !== undefined && (typeof params !== 'object' || params === null || Array.isArray(params))) {
    return { issues: [{ path: '/params', message: 'must be an object' }], params: out };
  }
  const given = (params ?? {}) as Record<string, unknown>;
  if (mode.kind === 'scroll') {
    for (const key of Object.keys(given))
      issues.push({
        path: `/params/${key}`,
        message: `is not a parameter of a ${op.name} export (it takes none)`,
      });
    return { issues, params: out };
  }
  const allowed = mode.filters.join(', ');
  for (const [key, value] of Object.entries(given)) {
    if (!mode.filters.includes(key)) {
      issues.push({
        path: `/params/${key}`,
        message: `is not a filter a ${op.name} export takes (one of: ${allowed})`,
      });
      continue;
    }
    const maxLength = Number(op.params[key]?.schema.maxLength ?? 255);
    const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
    if (typeof text !== 'string' || text.length === 0 || text.length > maxLength)
      issues.push({
        path: `/params/${key}`,
        message: `must be a non-empty string (at most ${maxLength}) or a number`,
      });
    else out[key] = text;
  }
  const present = mode.filters.filter((f) => Object.hasOwn(given, f));
  if (present.length !== 1)
    issues.push({
      path: '/params',
      message: `needs exactly one of: ${allowed} (a ${op.name} export is a tag's or a segment's members, up to Intercom's ${LIST_CAP.toLocaleString('en-US')}-record cap${scrollFor(op) ? `; ${scrollFor(op)} exports everyone` : ''})`,
    });
  return { issues, params: out };
}

/** The scroll of the same population as a list (`list_users` -> `scroll_users`), if the catalog has one. */
export function scrollFor(op: Operation): string | undefined {
  return operations.find((o) => o.pagination === 'scroll' && o.group === op.group)?.name;
}
