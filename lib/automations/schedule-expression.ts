/**
 * EventBridge Scheduler's schedule expressions: `cron(minutes hours day-of-month month day-of-week
 * year)` and `rate(value unit)`, in a time zone. Validated as Scheduler validates them, so a rule that
 * starts locally also deploys; the next firing is computed as Scheduler computes it (croner does the
 * calendar), so `npm start` fires when AWS would.
 *
 * Daylight saving time, as Scheduler documents it: a time that does not exist on the day clocks go
 * forward is skipped, and a time that occurs twice when they go back fires once.
 */
import { Cron } from 'croner';

export type ScheduleExpression =
  | { kind: 'cron'; expression: string; fields: readonly string[] }
  | { kind: 'rate'; expression: string; everyMs: number };

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
/** Scheduler numbers weekdays from Sunday: 1 = SUN ... 7 = SAT. */
const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** Items of this field beyond numbers, ranges and steps. */
  special?: RegExp;
}

const FIELDS: readonly FieldSpec[] = [
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31, special: /^(L|LW|([1-9]|[12]\d|3[01])W)$/ },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  {
    name: 'day-of-week',
    min: 1,
    max: 7,
    names: WEEKDAYS,
    special: /^(L|[1-7]L|[1-7]#[1-5]|(SUN|MON|TUE|WED|THU|FRI|SAT)#[1-5])$/i,
  },
  { name: 'year', min: 1970, max: 2199 },
];

const UNITS: Record<string, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

function numberOf(text: string, spec: FieldSpec): number | undefined {
  if (/^\d{1,4}$/.test(text)) return Number(text);
  const index = spec.names?.indexOf(text.toUpperCase()) ?? -1;
  return index < 0 ? undefined : index + 1;
}

/** Why one comma-separated item of a field is not valid, or undefined. */
function itemProblem(item: string, spec: FieldSpec): string | undefined {
  if (spec.special?.test(item)) return undefined;
  const match = /^(\*|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:\/(\d{1,4}))?$/.exec(item);
  if (!match) return `"${item}" is not valid in the ${spec.name} field`;
  const [, base = '', step] = match;
  if (step !== undefined && Number(step) === 0) return `the step of "${item}" must be at least 1`;
  if (base === '*') return undefined;
  for (const bound of base.split('-')) {
    const n = numberOf(bound, spec);
    if (n === undefined || n < spec.min || n > spec.max) {
      return `"${bound}" is out of range in the ${spec.name} field (${spec.min}-${spec.max}${spec.names ? ` or ${spec.names[0]}-${spec.names.at(-1)}` : ''})`;
    }
  }
  return undefined;
}

/** The expression, or a message saying what is wrong with it. */
export function parseScheduleExpression(text: string): ScheduleExpression | { problem: string } {
  const rate = /^rate\((.*)\)$/s.exec(text);
  if (rate) {
    const parts = /^(\d{1,6}) ([a-z]+)$/.exec(rate[1]!);
    const usage =
      'a rate is "rate(value unit)": a whole number and minute(s), hour(s) or day(s), e.g. "rate(1 hour)", "rate(15 minutes)"';
    if (!parts) return { problem: usage };
    const value = Number(parts[1]);
    const unit = parts[2]!;
    const singular = unit.replace(/s$/, '');
    if (value < 1 || !(singular in UNITS)) return { problem: usage };
    // As EventBridge wants them: "rate(1 hour)", "rate(2 hours)".
    if ((value === 1) !== (unit === singular)) {
      return { problem: `write "rate(${value} ${value === 1 ? singular : `${singular}s`})"` };
    }
    return { kind: 'rate', expression: text, everyMs: value * UNITS[singular]! };
  }
  const cron = /^cron\((.*)\)$/s.exec(text);
  if (!cron) {
    if (text.startsWith('at('))
      return { problem: 'one-time "at(...)" schedules are not supported: use cron(...) or rate(...)' };
    return {
      problem: 'must be "cron(minutes hours day-of-month month day-of-week year)" or "rate(value unit)"',
    };
  }
  const fields = cron[1]!.trim().split(/\s+/);
  if (fields.length !== 6) {
    return {
      problem: `a cron expression has 6 fields (minutes hours day-of-month month day-of-week year), e.g. "cron(0 9 * * ? *)"; this one has ${fields.length}`,
    };
  }
  for (const [i, field] of fields.entries()) {
    const spec = FIELDS[i]!;
    if (field === '?') {
      if (i !== 2 && i !== 4)
        return { problem: `"?" is only allowed in the day-of-month and day-of-week fields` };
      continue;
    }
    for (const item of field.split(',')) {
      const problem = itemProblem(item, spec);
      if (problem) return { problem };
    }
  }
  if ((fields[2] === '?') === (fields[4] === '?')) {
    return {
      problem:
        'exactly one of day-of-month and day-of-week must be "?" (e.g. "cron(0 9 * * ? *)" every day, "cron(0 9 ? * MON-FRI *)" on weekdays)',
    };
  }
  return { kind: 'cron', expression: text, fields };
}

/** Croner's form: a seconds field first, `?` as `*`, Scheduler's lone `L` weekday (Saturday) as 7. */
function cronerPattern(fields: readonly string[]): string {
  const [minutes, hours, dom, month, dow, year] = fields as [string, string, string, string, string, string];
  const weekday = dow === '?' ? '*' : dow === 'L' ? '7' : dow;
  return `0 ${minutes} ${hours} ${dom === '?' ? '*' : dom} ${month} ${weekday} ${year}`;
}

const crons = new Map<string, Cron>();

function cronOf(fields: readonly string[], timezone: string): Cron {
  const pattern = cronerPattern(fields);
  const key = `${timezone} ${pattern}`;
  let cron = crons.get(key);
  if (!cron) {
    cron = new Cron(pattern, {
      timezone,
      mode: '7-part',
      // Scheduler's weekday numbers (1 = Sunday) and steps such as 0/15.
      alternativeWeekdays: true,
      sloppyRanges: true,
      paused: true,
    });
    crons.set(key, cron);
  }
  return cron;
}

const wallClocks = new Map<string, Intl.DateTimeFormat>();

/** The local date and time at that instant, to the minute. */
function wallTime(ms: number, timezone: string): string {
  let clock = wallClocks.get(timezone);
  if (!clock) {
    clock = new Intl.DateTimeFormat('en-CA', {
      timeZone: timezone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    wallClocks.set(timezone, clock);
  }
  return clock.format(new Date(ms));
}

/** The same local time already happened earlier (clocks went back within the last few hours). */
function isRepeatedWallTime(ms: number, timezone: string): boolean {
  const wall = wallTime(ms, timezone);
  // Time zones go back by at most 2 hours (most by one, Lord Howe by 30 minutes).
  for (let back = 15; back <= 120; back += 15) {
    if (wallTime(ms - back * 60_000, timezone) === wall) return true;
  }
  return false;
}

/**
 * The first firing strictly after `afterMs`, or undefined when there is none (a year in the past).
 * `anchorMs` is when a rate schedule started: it fires at anchor + n * rate.
 */
export function nextFiring(
  schedule: ScheduleExpression,
  timezone: string,
  afterMs: number,
  anchorMs = afterMs,
): number | undefined {
  if (schedule.kind === 'rate') {
    const periods = Math.max(1, Math.floor((afterMs - anchorMs) / schedule.everyMs) + 1);
    return anchorMs + periods * schedule.everyMs;
  }
  const cron = cronOf(schedule.fields, timezone);
  let from = new Date(afterMs);
  // Bounded: a DST gap or a repeated hour skips a handful of candidates at most.
  for (let i = 0; i < 1000; i++) {
    const next = cron.nextRun(from);
    if (!next) return undefined;
    const ms = next.getTime();
    // Croner moves a time that falls in the gap to after it, and fires a repeated time twice:
    // Scheduler does neither.
    if (cron.match(next) && !isRepeatedWallTime(ms, timezone)) return ms;
    from = next;
  }
  return undefined;
}
