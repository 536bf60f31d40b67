/**
 * Compares the shape of a sandbox answer with a recorded Intercom answer: field names and JSON types,
 * never values. The fixture leads: every field it has must be in the answer with the same JSON type;
 * fields only the answer has are not differences (each fixture shows a subset of Intercom's fields).
 *
 * - A fixture `null` says nothing about the type: any answer value matches it.
 * - An answer `null` where the fixture has a value is a `null` difference: the sandbox had no value.
 * - Arrays: every element of the answer is compared with the fixture's elements merged into one shape
 *   (the first non-null type of each field wins); an empty answer array where the fixture's has
 *   elements is an `empty` difference, since nothing of the elements' shape could be checked.
 *
 * Paths read `location_data.latitude`, `users[].tags.tags[].name`; the root is `(root)`.
 */

export type JsonType = 'string' | 'number' | 'boolean' | 'null' | 'object' | 'array';

export type DifferenceKind = 'missing' | 'type' | 'null' | 'empty';

export interface ShapeDifference {
  path: string;
  kind: DifferenceKind;
  /** The fixture's JSON type at `path`. */
  expected: JsonType;
  /** The answer's JSON type at `path`, `absent` when the field is missing. */
  actual: JsonType | 'absent';
}

/** A difference the sandbox keeps on purpose: `path` matches itself and everything below it. */
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
  throw new Error(`not a JSON value: ${type}`);
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

const child = (path: string, key: string) => (path ? `${path}.${key}` : key);

/** The fixture's array elements as one shape: objects merged, the first non-null value of each field kept. */
function mergedElement(elements: unknown[]): unknown {
  const first = elements.find((e) => e !== null);
  if (!isRecord(first)) return first ?? null;
  const merged: Record<string, unknown> = {};
  for (const element of elements) {
    if (!isRecord(element)) continue;
    for (const [key, value] of Object.entries(element)) {
      const known = merged[key];
      if (known === undefined || known === null) merged[key] = value;
      else if (isRecord(known) && isRecord(value)) merged[key] = mergedElement([known, value]);
      else if (Array.isArray(known) && Array.isArray(value)) merged[key] = [...known, ...value];
    }
  }
  return merged;
}

/** Every path where `actual` (the sandbox's answer) lacks or mistypes what `expected` (the fixture) has. */
export function shapeDifferences(actual: unknown, expected: unknown, path = ''): ShapeDifference[] {
  const want = jsonType(expected);
  const got = jsonType(actual);
  const here = path || '(root)';
  if (want === 'null') return [];
  if (got === 'null') return [{ path: here, kind: 'null', expected: want, actual: got }];
  if (got !== want) return [{ path: here, kind: 'type', expected: want, actual: got }];
  if (isRecord(expected) && isRecord(actual)) {
    return Object.entries(expected).flatMap(([key, value]) =>
      key in actual
        ? shapeDifferences(actual[key], value, child(path, key))
        : [
            {
              path: child(path, key),
              kind: 'missing' as const,
              expected: jsonType(value),
              actual: 'absent' as const,
            },
          ],
    );
  }
  if (Array.isArray(expected) && Array.isArray(actual)) {
    if (expected.length === 0) return [];
    const element = mergedElement(expected);
    const elementPath = `${path}[]`;
    if (actual.length === 0)
      return [{ path: elementPath, kind: 'empty', expected: jsonType(element), actual: 'array' }];
    const seen = new Map<string, ShapeDifference>();
    for (const item of actual)
      for (const d of shapeDifferences(item, element, elementPath)) seen.set(`${d.kind} ${d.path}`, d);
    return [...seen.values()];
  }
  return [];
}

const covers = (exception: ShapeException, d: ShapeDifference) =>
  exception.kind === d.kind &&
  (d.path === exception.path ||
    d.path.startsWith(`${exception.path}.`) ||
    d.path.startsWith(`${exception.path}[`));

export function describeDifference(d: ShapeDifference): string {
  if (d.kind === 'missing') return `${d.path}: missing (the fixture has a ${d.expected})`;
  if (d.kind === 'empty')
    return `${d.path}: the answer's array is empty (the fixture's holds ${d.expected}s)`;
  return `${d.path}: ${d.actual} where the fixture has a ${d.expected}`;
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
