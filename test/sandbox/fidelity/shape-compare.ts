/**
 * Compares the shape of a recorded Intercom 1.x response (a fixture) with the sandbox's answer: field
 * names and JSON types, never values. Fixtures are partial, so a field the sandbox adds is not a
 * difference; a field the fixture has and the sandbox lacks is, and so is a field of another type.
 *
 * `null` matches any type: a nullable field is null in one recording and a string in another, and that
 * is a value, not a shape. Arrays are compared element by element: each fixture element against the
 * sandbox element of the same `type` (admin lists mix `admin` and `team`) whose shape is closest.
 * Paths read like `admins[type=team].admin_ids[]`.
 */
import { readFileSync } from 'node:fs';

export type JsonType = 'null' | 'boolean' | 'number' | 'string' | 'array' | 'object';

export interface ShapeDifference {
  path: string;
  /** `missing`: in the fixture, not in the sandbox's answer (or an array the sandbox left empty). */
  kind: 'missing' | 'type';
  expected: JsonType;
  actual: JsonType | 'absent';
}

/** Paths the sandbox deliberately does not model, each with the reason. */
export type Exceptions = Readonly<Record<string, string>>;

export interface ShapeCheck {
  differences: ShapeDifference[];
  /** Differences an exception explained. */
  excused: ShapeDifference[];
  /** Exceptions that explained nothing: stale, so a test should fail on them. */
  unusedExceptions: string[];
}

export function jsonType(value: unknown): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  const type = typeof value;
  if (type === 'boolean' || type === 'number' || type === 'string' || type === 'object') return type;
  throw new TypeError(`not a JSON value: ${type}`);
}

const discriminator = (value: unknown): string | undefined => {
  if (jsonType(value) !== 'object') return undefined;
  const type = (value as Record<string, unknown>).type;
  return typeof type === 'string' ? type : undefined;
};

/**
 * The sandbox element a fixture element is compared with: among those of the same `type` (all, when
 * the element has none), the one whose shape differs least, so a custom data attribute is compared with
 * a custom one rather than with whichever comes first.
 */
function counterpart(expected: unknown, actual: unknown[]): unknown {
  const type = discriminator(expected);
  const candidates = type === undefined ? actual : actual.filter((a) => discriminator(a) === type);
  let best: unknown;
  let fewest = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const differences: ShapeDifference[] = [];
    walk(expected, candidate, '', differences);
    if (differences.length < fewest) {
      best = candidate;
      fewest = differences.length;
    }
  }
  return best;
}

function walk(expected: unknown, actual: unknown, path: string, out: ShapeDifference[]): void {
  const want = jsonType(expected);
  const got = jsonType(actual);
  if (want === 'null' || got === 'null') return;
  if (want !== got) {
    out.push({ path, kind: 'type', expected: want, actual: got });
    return;
  }
  if (want === 'object') {
    const e = expected as Record<string, unknown>;
    const a = actual as Record<string, unknown>;
    for (const key of Object.keys(e)) {
      const child = path === '' ? key : `${path}.${key}`;
      if (!Object.hasOwn(a, key))
        out.push({ path: child, kind: 'missing', expected: jsonType(e[key]), actual: 'absent' });
      else walk(e[key], a[key], child, out);
    }
    return;
  }
  if (want === 'array') {
    const a = actual as unknown[];
    for (const item of expected as unknown[]) {
      const type = discriminator(item);
      const itemPath = type === undefined ? `${path}[]` : `${path}[type=${type}]`;
      const match = counterpart(item, a);
      if (match === undefined)
        out.push({ path: itemPath, kind: 'missing', expected: jsonType(item), actual: 'absent' });
      else walk(item, match, itemPath, out);
    }
  }
}

/** Every path whose name or JSON type differs; the same path is reported once. */
export function compareShapes(expected: unknown, actual: unknown): ShapeDifference[] {
  const out: ShapeDifference[] = [];
  walk(expected, actual, '', out);
  const seen = new Set<string>();
  return out.filter((d) => {
    const key = `${d.kind} ${d.path} ${d.expected} ${d.actual}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** An exception covers its path and everything below it. */
const covers = (exception: string, path: string) =>
  path === exception || path.startsWith(`${exception}.`) || path.startsWith(`${exception}[`);

export function checkShape(expected: unknown, actual: unknown, exceptions: Exceptions = {}): ShapeCheck {
  const all = compareShapes(expected, actual);
  const used = new Set<string>();
  const differences: ShapeDifference[] = [];
  const excused: ShapeDifference[] = [];
  for (const d of all) {
    const exception = Object.keys(exceptions).find((e) => covers(e, d.path));
    if (exception === undefined) differences.push(d);
    else {
      used.add(exception);
      excused.push(d);
    }
  }
  return { differences, excused, unusedExceptions: Object.keys(exceptions).filter((e) => !used.has(e)) };
}

/** One line per difference, for a failing test's message. */
export function describeDifferences(differences: ShapeDifference[]): string {
  return differences
    .map((d) =>
      d.kind === 'missing'
        ? `${d.path}: missing (fixture has ${d.expected})`
        : `${d.path}: fixture has ${d.expected}, sandbox has ${d.actual}`,
    )
    .join('\n');
}

const FIXTURES = new URL('../../fixtures/intercom-v1/', import.meta.url);

/** A recorded fixture: `fixture('intercom-java/admin.json')`. */
export function fixture(name: string): any {
  return JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8'));
}
