/**
 * EventBridge event patterns, the subset rules may use: exact values (strings, numbers, true/false,
 * null) and lists of them, `prefix`, `exists`, `anything-but` and `numeric`. A validated pattern is
 * written in EventBridge's own form (every leaf a list), so the same object is matched here (locally,
 * and by the worker) and handed to the deployed EventBridge rule: one definition, one meaning.
 */
import { describe, isObject, pointer, type Report } from './reader.ts';
import type { EventPattern, PatternValue } from './types.ts';

const MATCHERS = ['prefix', 'exists', 'anything-but', 'numeric'] as const;
/** EventBridge's other matchers: refused by name, so the message says what to use instead. */
const UNSUPPORTED = ['suffix', 'equals-ignore-case', 'wildcard', 'cidr', '$or'];
const NUMERIC_OPERATORS = ['<', '<=', '=', '>', '>='];
const MAX_DEPTH = 10;
const MAX_VALUES = 100;

// ---------------------------------------------------------------------------------------------------
// Reading and validation

function readMatcher(raw: Record<string, unknown>, at: string, report: Report): PatternValue | undefined {
  const keys = Object.keys(raw);
  if (keys.length !== 1) {
    report(
      at,
      `must be a value or one matcher (${MATCHERS.join(', ')}), not an object of ${keys.length} keys`,
    );
    return undefined;
  }
  const key = keys[0]!;
  const value = raw[key];
  const where = pointer(at, key);
  if (UNSUPPORTED.includes(key)) {
    report(where, `the "${key}" matcher is not supported here (supported: ${MATCHERS.join(', ')})`);
    return undefined;
  }
  switch (key) {
    case 'prefix':
      if (typeof value === 'string' && value.length > 0) return { prefix: value };
      report(where, 'must be a non-empty string');
      return undefined;
    case 'exists':
      if (typeof value === 'boolean') return { exists: value };
      report(where, 'must be true or false');
      return undefined;
    case 'anything-but': {
      const exact = (v: unknown) => typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
      if (exact(value)) return { 'anything-but': value as string | number };
      if (Array.isArray(value) && value.length > 0 && value.length <= MAX_VALUES && value.every(exact))
        return { 'anything-but': value as (string | number)[] };
      if (
        isObject(value) &&
        Object.keys(value).length === 1 &&
        typeof value.prefix === 'string' &&
        value.prefix
      )
        return { 'anything-but': { prefix: value.prefix } };
      report(where, 'must be a string, a number, a list of them, or {prefix: "..."}');
      return undefined;
    }
    case 'numeric': {
      const problem = numericProblem(value);
      if (problem === undefined) return { numeric: value as (string | number)[] };
      report(where, problem);
      return undefined;
    }
    default:
      report(at, `"${key}" is not a matcher (supported: ${MATCHERS.join(', ')})`);
      return undefined;
  }
}

/** `["=", 5]`, or one or two bounds: `[">", 0]`, `[">=", 0, "<", 10]`. */
function numericProblem(value: unknown): string | undefined {
  const usage = 'must be ["=", n] or up to two bounds such as [">", 0, "<=", 100]';
  if (!Array.isArray(value) || value.length === 0 || value.length > 4 || value.length % 2 !== 0) return usage;
  let lower = 0;
  let upper = 0;
  for (let i = 0; i < value.length; i += 2) {
    const [op, n] = [value[i], value[i + 1]];
    if (typeof op !== 'string' || !NUMERIC_OPERATORS.includes(op)) return usage;
    if (typeof n !== 'number' || !Number.isFinite(n)) return `${usage}: "${op}" needs a number`;
    if (op === '=' && value.length > 2) return usage;
    if (op.startsWith('>')) lower++;
    if (op.startsWith('<')) upper++;
  }
  return lower > 1 || upper > 1 ? usage : undefined;
}

function readLeaf(raw: unknown, at: string, report: Report): PatternValue[] | undefined {
  // A single value is written as a list of one, as EventBridge wants it.
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.length === 0 || list.length > MAX_VALUES) {
    report(at, `must be a value or a list of 1 to ${MAX_VALUES} values`);
    return undefined;
  }
  const out: PatternValue[] = [];
  let ok = true;
  for (const [i, entry] of list.entries()) {
    const where = Array.isArray(raw) ? pointer(at, i) : at;
    if (entry === null || typeof entry === 'string' || typeof entry === 'boolean') out.push(entry);
    else if (typeof entry === 'number' && Number.isFinite(entry)) out.push(entry);
    else if (isObject(entry)) {
      const matcher = readMatcher(entry, where, report);
      if (matcher === undefined) ok = false;
      else out.push(matcher);
    } else {
      report(where, `must be a string, a number, true, false, null or a matcher, not ${describe(entry)}`);
      ok = false;
    }
  }
  return ok ? out : undefined;
}

/**
 * A pattern over an object: objects are fields, anything else is a leaf (a value, a matcher in a
 * list, or a list). `{prefix: "a"}` written directly under a field would be a field named prefix in
 * EventBridge; it is refused as ambiguous, so a matcher always sits in a list.
 */
export function readPatternObject(
  raw: unknown,
  at: string,
  report: Report,
  depth = 0,
): EventPattern | undefined {
  if (!isObject(raw) || Object.keys(raw).length === 0) {
    report(
      at,
      `must be an object of fields to match, not ${isObject(raw) ? 'an empty object' : describe(raw)}`,
    );
    return undefined;
  }
  if (depth >= MAX_DEPTH) {
    report(at, `nests deeper than ${MAX_DEPTH} levels`);
    return undefined;
  }
  const out: EventPattern = {};
  let ok = true;
  for (const [key, value] of Object.entries(raw)) {
    const where = pointer(at, key);
    if (key === '__proto__' || key === 'constructor' || key === 'prototype' || key.length === 0) {
      report(where, 'is not allowed as a field name');
      ok = false;
      continue;
    }
    if (isObject(value) && [...MATCHERS, ...UNSUPPORTED].some((m) => Object.hasOwn(value, m))) {
      const name = Object.keys(value)[0];
      report(where, `a matcher goes in a list: write [{${name}: ...}]`);
      ok = false;
      continue;
    }
    const part = isObject(value)
      ? readPatternObject(value, where, report, depth + 1)
      : readLeaf(value, where, report);
    if (part === undefined) ok = false;
    else
      Object.defineProperty(out, key, { value: part, enumerable: true, writable: true, configurable: true });
  }
  return ok ? out : undefined;
}

// ---------------------------------------------------------------------------------------------------
// Matching

function numericHolds(spec: readonly (string | number)[], n: number): boolean {
  for (let i = 0; i < spec.length; i += 2) {
    const bound = spec[i + 1] as number;
    const holds =
      spec[i] === '<'
        ? n < bound
        : spec[i] === '<='
          ? n <= bound
          : spec[i] === '='
            ? n === bound
            : spec[i] === '>'
              ? n > bound
              : n >= bound;
    if (!holds) return false;
  }
  return true;
}

/** One value of the event (never a list) against one pattern value; `exists` is handled by the caller. */
function valueMatches(expected: PatternValue, value: unknown): boolean {
  if (expected === null || typeof expected !== 'object') return value === expected;
  if ('prefix' in expected) return typeof value === 'string' && value.startsWith(expected.prefix);
  if ('numeric' in expected) return typeof value === 'number' && numericHolds(expected.numeric, value);
  if ('anything-but' in expected) {
    const but = expected['anything-but'];
    if (isObject(but)) return typeof value === 'string' && !value.startsWith(but.prefix as string);
    // Only a value of the same kind can differ: anything-but "a" does not match 5 or null.
    const list = Array.isArray(but) ? but : [but];
    const kind = typeof list[0];
    return typeof value === kind && !list.includes(value as never);
  }
  return false;
}

/** A field of the event against its leaf: a list value matches when any of its elements does. */
function leafMatches(leaf: readonly PatternValue[], present: boolean, value: unknown): boolean {
  const values = Array.isArray(value) ? value : [value];
  return leaf.some((expected) => {
    if (isObject(expected) && 'exists' in expected) return expected.exists === present;
    return present && values.some((v) => valueMatches(expected, v));
  });
}

/** Whether the event matches the pattern, as EventBridge decides it. */
export function matchesPattern(pattern: EventPattern, event: unknown): boolean {
  const object = isObject(event) ? event : {};
  return Object.entries(pattern).every(([key, part]) => {
    const present = Object.hasOwn(object, key);
    const value = present ? object[key] : undefined;
    if (Array.isArray(part)) return leafMatches(part, present && value !== undefined, value);
    // A nested pattern needs an object there (an `exists: false` below it matches a missing one).
    return matchesPattern(part, isObject(value) ? value : {});
  });
}
