/**
 * Compares the shape of a sandbox answer with a recorded Intercom answer (a fixture): field names and
 * JSON types, never values. The fixture leads: every field it has must be in the answer with the same
 * JSON type; fields only the answer has are not differences (each fixture shows a subset of Intercom's
 * fields).
 *
 * - A fixture `null` says nothing about the type: any answer value matches it.
 * - An answer `null` where the fixture has a value is a `null` difference: the sandbox had no value.
 * - An empty answer array where the fixture's has elements is an `empty` difference: nothing of the
 *   elements' shape could be checked.
 * - Array elements are matched by their `type` field, since a list may mix kinds (GET /admins lists
 *   `admin` and `team` entries). Every fixture element must meet an answer element of its type (a
 *   `missing` difference at `admins[type=team]` when none has it) and is compared with the closest one;
 *   every answer element is compared with the closest fixture element of its type, or with the untyped
 *   fixture elements when there is none of its type (elements of a type the fixture never shows are
 *   not compared). So a field no answer element has is a difference, while a field some lack, as some
 *   fixture element lacks it (1.x's bots have no avatar), is not. "Closest" is the fewest differences.
 *
 * Paths read `location_data.latitude`, `admins[type=team].admin_ids[]`, `tags.tags[].name` (`[]` for
 * elements without a type); the root is `(root)`.
 */

export type JsonType = 'string' | 'number' | 'boolean' | 'null' | 'object' | 'array';

export type DifferenceKind = 'missing' | 'type' | 'null' | 'empty';

export interface ShapeDifference {
  path: string;
  kind: DifferenceKind;
  /** The fixture's JSON type at `path`. */
  expected: JsonType;
  /** The answer's JSON type at `path`, `absent` when the field or element is missing. */
  actual: JsonType | 'absent';
}

/**
 * A difference the sandbox keeps on purpose: `path` matches itself and everything below it, for `kind`
 * only. `reason` says why, with its source.
 */
export interface ShapeException {
  path: string;
  kind: DifferenceKind;
  reason: string;
}

export function jsonType(value: unknown): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  const type = typeof value;
  if (type === 'string' || type === 'number' || type === 'boolean' || type === 'object') return type;
  throw new TypeError(`not a JSON value: ${type}`);
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** An element's `type` field, when it is an object with a string one. */
const typeOf = (value: unknown): string | undefined =>
  isRecord(value) && typeof value.type === 'string' ? value.type : undefined;

const child = (path: string, key: string) => (path ? `${path}.${key}` : key);

const elementPath = (path: string, type: string | undefined) =>
  type === undefined ? `${path}[]` : `${path}[type=${type}]`;

/** The differences of the closest candidate: the fewest, the first of equals. */
function closest(candidates: ShapeDifference[][]): ShapeDifference[] {
  return candidates.reduce((best, differences) => (differences.length < best.length ? differences : best));
}

function compareElements(actual: unknown[], expected: unknown[], path: string, out: ShapeDifference[]): void {
  if (expected.length === 0) return;
  if (actual.length === 0) {
    const element = expected.find((e) => e !== null) ?? null;
    out.push({ path: `${path}[]`, kind: 'empty', expected: jsonType(element), actual: 'array' });
    return;
  }
  // Each pair is compared at most once: answer element j against fixture element i.
  const pairs = new Map<string, ShapeDifference[]>();
  const pair = (i: number, j: number) => {
    const key = `${i} ${j}`;
    let differences = pairs.get(key);
    if (differences === undefined) {
      differences = [];
      walk(actual[j], expected[i], elementPath(path, typeOf(expected[i])), differences);
      pairs.set(key, differences);
    }
    return differences;
  };
  const indexes = (values: unknown[], keep: (value: unknown) => boolean) =>
    values.flatMap((value, index) => (keep(value) ? [index] : []));

  // Every fixture element meets an answer element of its type.
  expected.forEach((element, i) => {
    const type = typeOf(element);
    const candidates = indexes(actual, (a) => type === undefined || typeOf(a) === type);
    if (candidates.length === 0)
      out.push({
        path: elementPath(path, type),
        kind: 'missing',
        expected: jsonType(element),
        actual: 'absent',
      });
    else out.push(...closest(candidates.map((j) => pair(i, j))));
  });

  // Every answer element is shaped like a fixture element of its type (or an untyped one).
  const untyped = indexes(expected, (e) => typeOf(e) === undefined);
  actual.forEach((element, j) => {
    const type = typeOf(element);
    const sameType = type === undefined ? [] : indexes(expected, (e) => typeOf(e) === type);
    const models = sameType.length > 0 ? sameType : untyped;
    if (models.length > 0) out.push(...closest(models.map((i) => pair(i, j))));
  });
}

function walk(actual: unknown, expected: unknown, path: string, out: ShapeDifference[]): void {
  const want = jsonType(expected);
  const got = jsonType(actual);
  const here = path || '(root)';
  if (want === 'null') return;
  if (got === 'null') {
    out.push({ path: here, kind: 'null', expected: want, actual: got });
    return;
  }
  if (got !== want) {
    out.push({ path: here, kind: 'type', expected: want, actual: got });
    return;
  }
  if (isRecord(expected) && isRecord(actual)) {
    for (const [key, value] of Object.entries(expected)) {
      if (Object.hasOwn(actual, key)) walk(actual[key], value, child(path, key), out);
      else out.push({ path: child(path, key), kind: 'missing', expected: jsonType(value), actual: 'absent' });
    }
  } else if (Array.isArray(expected) && Array.isArray(actual)) compareElements(actual, expected, path, out);
}

/** Every path where `actual` (the sandbox's answer) lacks or mistypes what `expected` (the fixture) has, once. */
export function shapeDifferences(actual: unknown, expected: unknown): ShapeDifference[] {
  const out: ShapeDifference[] = [];
  walk(actual, expected, '', out);
  const seen = new Map<string, ShapeDifference>();
  for (const d of out) seen.set(`${d.kind} ${d.path} ${d.expected} ${d.actual}`, d);
  return [...seen.values()];
}

const covers = (exception: ShapeException, d: ShapeDifference) =>
  exception.kind === d.kind &&
  (d.path === exception.path ||
    d.path.startsWith(`${exception.path}.`) ||
    d.path.startsWith(`${exception.path}[`));

const aType = (type: JsonType) => (type === 'object' || type === 'array' ? `an ${type}` : `a ${type}`);

export function describeDifference(d: ShapeDifference): string {
  if (d.kind === 'missing') return `${d.path}: missing (the fixture has ${aType(d.expected)})`;
  if (d.kind === 'empty')
    return `${d.path}: the answer's array is empty (the fixture's holds ${d.expected}s)`;
  return `${d.path}: ${d.actual} where the fixture has ${aType(d.expected)}`;
}

/**
 * Throws, naming every path, when the answer's shape differs from the fixture's beyond `exceptions`,
 * or when an exception no longer matches anything (a fixed difference must leave the list).
 */
export function expectShapeOf(actual: unknown, fixture: unknown, exceptions: ShapeException[] = []): void {
  const differences = shapeDifferences(actual, fixture);
  const unexplained = differences.filter((d) => !exceptions.some((e) => covers(e, d)));
  const stale = exceptions.filter((e) => !differences.some((d) => covers(e, d)));
  const lines = [
    ...unexplained.map(describeDifference),
    ...stale.map((e) => `exception no longer needed: ${e.kind} ${e.path} (${e.reason})`),
  ];
  if (lines.length > 0)
    throw new Error(`The answer's shape differs from the fixture's:\n  ${lines.join('\n  ')}`);
}
