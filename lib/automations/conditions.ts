/**
 * Rule conditions: tests on values of the notification (equals, in, exists, contains) and on the time
 * it was created (outsideHours, withinHours). Every condition of a rule must hold; `not` negates one.
 */
import { type PathRoots, parsePath, resolvePath } from './paths.ts';
import { describe, isObject, pointer, type Report, rejectUnknownKeys } from './reader.ts';
import { closest } from './suggest.ts';
import {
  type Condition,
  type ConditionOperator,
  type Json,
  type Notification,
  type OfficeHours,
  WEEKDAYS,
  type Weekday,
} from './types.ts';

export const OPERATORS: readonly ConditionOperator[] = [
  'equals',
  'in',
  'exists',
  'contains',
  'outsideHours',
  'withinHours',
];
const HOURS_OPERATORS = ['outsideHours', 'withinHours'] as const;
const MAX_IN_VALUES = 100;

// ---------------------------------------------------------------------------------------------------
// Evaluation

function jsonEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    return Array.isArray(b) && a.length === b.length && a.every((v, i) => jsonEquals(v, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length &&
      keys.every((k) => Object.hasOwn(b, k) && jsonEquals(a[k], b[k]))
    );
  }
  return false;
}

/** A list element matches an object by subset (`{name: "vip"}` matches a whole tag), anything else by equality. */
function elementMatches(element: unknown, expected: Json): boolean {
  if (isObject(expected)) {
    return (
      isObject(element) &&
      Object.entries(expected).every(([k, v]) => Object.hasOwn(element, k) && elementMatches(element[k], v))
    );
  }
  return jsonEquals(element, expected);
}

function contains(value: unknown, expected: Json): boolean {
  if (typeof value === 'string') return typeof expected === 'string' && value.includes(expected);
  if (Array.isArray(value)) return value.some((element) => elementMatches(element, expected));
  return false;
}

const clocks = new Map<string, Intl.DateTimeFormat>();

function clockOf(timezone: string): Intl.DateTimeFormat {
  let clock = clocks.get(timezone);
  if (!clock) {
    clock = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      weekday: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    clocks.set(timezone, clock);
  }
  return clock;
}

/** The weekday and minutes since midnight at that instant in the zone. */
export function localTime(epochSeconds: number, timezone: string): { day: Weekday; minutes: number } {
  const parts = clockOf(timezone).formatToParts(new Date(epochSeconds * 1000));
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  const day = part('weekday').toLowerCase().slice(0, 3) as Weekday;
  return { day, minutes: Number(part('hour')) * 60 + Number(part('minute')) };
}

function minutesOf(hhmm: string): number {
  return Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
}

function previousDay(day: Weekday): Weekday {
  return WEEKDAYS[(WEEKDAYS.indexOf(day) + 6) % 7]!;
}

/** An overnight window (`to` before `from`) belongs to the day it starts on. */
export function isWithinHours(hours: OfficeHours, epochSeconds: number): boolean {
  const { day, minutes } = localTime(epochSeconds, hours.timezone);
  const from = minutesOf(hours.from);
  const to = minutesOf(hours.to);
  if (from < to) return hours.days.includes(day) && minutes >= from && minutes < to;
  return (
    (hours.days.includes(day) && minutes >= from) || (hours.days.includes(previousDay(day)) && minutes < to)
  );
}

/** `created_at`, else `first_sent_at`: the time the change happened, not when it reached us. */
function notificationTime(notification: Notification): number | undefined {
  for (const value of [notification.created_at, notification.first_sent_at]) {
    if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value;
  }
  return undefined;
}

function holds(condition: Condition, notification: Notification, root: unknown): boolean {
  if ('outsideHours' in condition || 'withinHours' in condition) {
    const time = notificationTime(notification);
    // Without a time the hours are unknown: the condition fails rather than guess.
    if (time === undefined) return false;
    if ('outsideHours' in condition) return !isWithinHours(condition.outsideHours, time);
    return isWithinHours(condition.withinHours, time);
  }
  const value = resolvePath(root, condition.path.split('.'));
  if ('equals' in condition) return value !== undefined && jsonEquals(value, condition.equals);
  if ('in' in condition) return value !== undefined && condition.in.some((v) => jsonEquals(value, v));
  if ('exists' in condition) return (value !== undefined && value !== null) === condition.exists;
  return contains(value, condition.contains);
}

/**
 * `root` is what paths read: the notification itself for webhook rules, the event (or the firing)
 * for event and scheduled rules; hours always read the notification's time.
 */
export function conditionHolds(
  condition: Condition,
  notification: Notification,
  root: unknown = notification,
): boolean {
  return holds(condition, notification, root) !== (condition.not === true);
}

// ---------------------------------------------------------------------------------------------------
// Reading and validation

/** Checks a condition's path against the rule's sample notifications (rules.ts supplies it). */
export type PathCheck = (at: string, segments: readonly string[]) => void;

export function timezoneProblem(timezone: string): string | undefined {
  // Offsets (`+01:00`) are valid to Intl but ignore daylight saving time: office hours need a zone.
  if (!/^[A-Za-z]/.test(timezone))
    return `"${timezone}" is not an IANA time zone name such as "Europe/Paris"`;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return undefined;
  } catch {
    const near = closest(timezone, Intl.supportedValuesOf('timeZone'));
    const hint = near === undefined ? '' : `; did you mean "${near}"?`;
    return `"${timezone}" is not a time zone this runtime knows (an IANA name such as "Europe/Paris")${hint}`;
  }
}

function readOfficeHours(raw: unknown, at: string, report: Report): OfficeHours | undefined {
  if (!isObject(raw)) {
    report(at, `must be an object with timezone, days, from and to, not ${describe(raw)}`);
    return undefined;
  }
  const before = problems(report);
  rejectUnknownKeys(raw, ['timezone', 'days', 'from', 'to'], at, before.report);
  const { timezone, days, from, to } = raw;
  if (typeof timezone !== 'string')
    before.report(pointer(at, 'timezone'), 'must be a string, e.g. "Europe/Paris"');
  else {
    const problem = timezoneProblem(timezone);
    if (problem) before.report(pointer(at, 'timezone'), problem);
  }
  if (!Array.isArray(days) || days.length === 0) {
    before.report(pointer(at, 'days'), `must be a non-empty list of ${WEEKDAYS.join(', ')}`);
  } else {
    const seen = new Set<unknown>();
    for (const [i, day] of days.entries()) {
      if (!(WEEKDAYS as readonly unknown[]).includes(day)) {
        before.report(pointer(pointer(at, 'days'), i), `must be one of ${WEEKDAYS.join(', ')}`);
      } else if (seen.has(day)) before.report(pointer(pointer(at, 'days'), i), `repeats "${day}"`);
      seen.add(day);
    }
  }
  const clock = (value: unknown, name: 'from' | 'to') => {
    const valid = name === 'to' ? /^(([01]\d|2[0-3]):[0-5]\d|24:00)$/ : /^([01]\d|2[0-3]):[0-5]\d$/;
    if (typeof value !== 'string' || !valid.test(value)) {
      before.report(
        pointer(at, name),
        `must be a 24-hour time "HH:MM"${name === 'to' ? ' (or "24:00")' : ''}`,
      );
      return false;
    }
    return true;
  };
  const clocksValid = [clock(from, 'from'), clock(to, 'to')].every(Boolean);
  if (clocksValid && minutesOf(from as string) === minutesOf(to as string) % 1440) {
    before.report(
      pointer(at, 'to'),
      'is the same time as "from": the window would be empty or the whole day',
    );
  }
  if (before.count() > 0) return undefined;
  return { timezone: timezone as string, days: days as Weekday[], from: from as string, to: to as string };
}

/** Counts what a nested reader reported, so the caller knows whether the part is usable. */
function problems(report: Report): { report: Report; count: () => number } {
  let n = 0;
  return {
    report: (path, message) => {
      n++;
      report(path, message);
    },
    count: () => n,
  };
}

export function readCondition(
  raw: unknown,
  at: string,
  report: Report,
  checkPath: PathCheck,
  /** The fields paths start with: a notification's by default; null: any (the trigger is in error). */
  roots?: PathRoots | null,
): Condition | undefined {
  if (!isObject(raw)) {
    report(at, `must be an object such as {path: "data.item.email", exists: true}, not ${describe(raw)}`);
    return undefined;
  }
  const counted = problems(report);
  const operators = OPERATORS.filter((op) => Object.hasOwn(raw, op));
  rejectUnknownKeys(raw, ['path', 'not', ...OPERATORS], at, counted.report);
  if (operators.length === 0) {
    counted.report(at, `needs one operator: ${OPERATORS.join(', ')}`);
    return undefined;
  }
  if (operators.length > 1) {
    counted.report(at, `has several operators (${operators.join(', ')}): write one condition for each`);
    return undefined;
  }
  const operator = operators[0]!;
  const value = raw[operator];
  if (raw.not !== undefined && typeof raw.not !== 'boolean')
    counted.report(pointer(at, 'not'), 'must be true or false');
  const not = raw.not === true ? { not: true } : {};

  if ((HOURS_OPERATORS as readonly string[]).includes(operator)) {
    if (raw.path !== undefined) {
      counted.report(
        pointer(at, 'path'),
        `is not used by ${operator}, which reads the notification's created_at`,
      );
    }
    const hours = readOfficeHours(value, pointer(at, operator), counted.report);
    if (!hours || counted.count() > 0) return undefined;
    return operator === 'outsideHours' ? { outsideHours: hours, ...not } : { withinHours: hours, ...not };
  }

  let path: string | undefined;
  if (typeof raw.path !== 'string')
    counted.report(pointer(at, 'path'), 'must be a dot path such as "data.item.email"');
  else {
    const parsed = roots === undefined ? parsePath(raw.path) : parsePath(raw.path, roots);
    if (!parsed.ok) counted.report(pointer(at, 'path'), parsed.message);
    // `exists` is how a rule tests for optional fields, so only the other operators need the path to be known.
    else if (operator !== 'exists') checkPath(pointer(at, 'path'), parsed.segments);
    path = raw.path;
  }
  const where = pointer(at, operator);
  if (operator === 'in' && (!Array.isArray(value) || value.length === 0 || value.length > MAX_IN_VALUES)) {
    counted.report(where, `must be a list of 1 to ${MAX_IN_VALUES} values`);
  }
  if (operator === 'exists' && typeof value !== 'boolean') counted.report(where, 'must be true or false');
  if (counted.count() > 0 || path === undefined) return undefined;
  return { path, [operator]: value, ...not } as Condition;
}
