/** The filters of `GET /automations/runs`, read from the query string: each bad one is 400 `validation_failed` on its name. */
import { RUN_OUTCOMES, type RunFilter, type RunOutcome } from '../automations/run-records.ts';
import { HttpError } from './errors.ts';
import type { HttpEvent } from './types.ts';

/** RFC 3339 with a time zone: `2026-05-01T09:30:00Z`, `2026-05-01T11:30:00.250+02:00`. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:\d{2})$/;

function invalid(path: string, message: string): HttpError {
  return new HttpError(400, 'validation_failed', 'Invalid parameters', { details: [{ path, message }] });
}

function time(name: 'from' | 'to', raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const ms = DATE_TIME.test(raw) ? Date.parse(raw) : Number.NaN;
  if (!Number.isFinite(ms))
    throw invalid(`/${name}`, 'must be a date-time with a time zone, e.g. 2026-05-01T09:30:00Z');
  return ms;
}

export function runFilterOf(event: HttpEvent): RunFilter {
  const query = event.queryStringParameters ?? {};
  const { rule, outcome } = query;
  // Any rule name the rules file may hold (names are checked there): one that matches none lists nothing.
  if (rule !== undefined && !/^[\w-]{1,64}$/.test(rule)) throw invalid('/rule', 'must be a rule name');
  if (outcome !== undefined && !RUN_OUTCOMES.includes(outcome as RunOutcome))
    throw invalid('/outcome', `must be one of ${RUN_OUTCOMES.join(', ')}`);
  const from = time('from', query.from);
  const to = time('to', query.to);
  if (from !== undefined && to !== undefined && to < from) throw invalid('/to', 'must not be before from');
  return {
    ...(rule === undefined ? {} : { rule }),
    ...(outcome === undefined ? {} : { outcome: outcome as RunOutcome }),
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
  };
}
