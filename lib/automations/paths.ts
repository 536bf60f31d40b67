/**
 * Dot paths into a notification (`data.item.email`, `data.item.conversation_parts.conversation_parts.0.author.id`),
 * shared by conditions and templates. Only own properties are read, so a path never reaches a prototype.
 */
import { describe } from './reader.ts';
import { closest, didYouMean } from './suggest.ts';

/** The fields of a `notification_event`: a path starts with one of them. */
export const NOTIFICATION_FIELDS = [
  'type',
  'id',
  'topic',
  'app_id',
  'created_at',
  'data',
  'delivery_status',
  'delivery_attempts',
  'delivered_at',
  'first_sent_at',
  'links',
  'self',
] as const;

/** The fields a path may start with, and what they are the fields of (for messages). */
export interface PathRoots {
  what: string;
  fields: readonly string[];
}

export const NOTIFICATION_ROOTS: PathRoots = { what: 'the notification', fields: NOTIFICATION_FIELDS };

const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);
/** Objects whose keys the workspace defines: any key below them may exist. */
const OPEN_OBJECTS = new Set(['custom_attributes', 'metadata']);
const SEGMENT = /^[A-Za-z0-9_-]+$/;
const MAX_PATH_LENGTH = 256;
const MAX_SEGMENTS = 32;

export type PathResult = { ok: true; segments: string[] } | { ok: false; message: string };

/** `roots` null: any first field (rendering, where the rules file was validated already). */
export function parsePath(path: string, roots: PathRoots | null = NOTIFICATION_ROOTS): PathResult {
  const fail = (message: string): PathResult => ({ ok: false, message });
  if (path.length === 0) return fail('the path is empty');
  if (path.length > MAX_PATH_LENGTH) return fail(`the path is longer than ${MAX_PATH_LENGTH} characters`);
  const segments = path.split('.');
  if (segments.length > MAX_SEGMENTS) return fail(`the path has more than ${MAX_SEGMENTS} segments`);
  for (const segment of segments) {
    if (segment.length === 0) return fail(`"${path}" has an empty segment`);
    if (FORBIDDEN_SEGMENTS.has(segment)) return fail(`"${path}": "${segment}" is not allowed in a path`);
    if (!SEGMENT.test(segment)) {
      return fail(`"${path}": segments are letters, digits, "_" and "-" separated by dots`);
    }
  }
  const first = segments[0]!;
  if (roots && !roots.fields.includes(first)) {
    // The usual slip: the field inside the item (or the event's detail) without what holds it.
    const holder = roots.fields.includes('data')
      ? 'data'
      : roots.fields.includes('detail')
        ? 'detail'
        : undefined;
    const hint =
      holder === 'data' && first === 'item'
        ? `; did you mean "data.${path}"?`
        : holder !== 'data' && (NOTIFICATION_FIELDS as readonly string[]).includes(first)
          ? `; this rule reads ${roots.what} itself, not an Intercom notification`
          : holder === 'detail' && didYouMean(first, roots.fields) === ''
            ? `; did you mean "detail.${path}"?`
            : didYouMean(first, roots.fields);
    return fail(`"${path}" must start with a field of ${roots.what} (${roots.fields.join(', ')})${hint}`);
  }
  return { ok: true, segments };
}

function isIndex(segment: string): boolean {
  return /^(0|[1-9][0-9]{0,5})$/.test(segment);
}

/** The value at the path, or undefined when any step is missing. */
export function resolvePath(root: unknown, segments: readonly string[]): unknown {
  let current = root;
  for (const segment of segments) {
    if (Array.isArray(current)) {
      if (!isIndex(segment)) return undefined;
      current = current[Number(segment)];
    } else if (typeof current === 'object' && current !== null && Object.hasOwn(current, segment)) {
      current = (current as Record<string, unknown>)[segment];
    } else {
      return undefined;
    }
  }
  return current;
}

/** The path with segment `i` replaced, keeping the rest when the sample has it too. */
function repaired(sample: unknown, segments: readonly string[], i: number, near: string): string {
  const whole = [...segments.slice(0, i), near, ...segments.slice(i + 1)];
  return (pathProblem(sample, whole) === undefined ? whole : whole.slice(0, i + 1)).join('.');
}

export type PathProblem =
  /** The sample has no such field; `suggestion` is a whole path. */
  { kind: 'missing'; suggestion: string | undefined } | { kind: 'shape'; message: string };

/**
 * Why the path cannot exist in notifications shaped like `sample`, or undefined when it may. Below a
 * null, an index past a sample list's end or an open object (custom attributes, event metadata) the
 * sample proves nothing, so the path is accepted.
 */
export function pathProblem(sample: unknown, segments: readonly string[]): PathProblem | undefined {
  const whole = segments.join('.');
  let current = sample;
  for (const [i, segment] of segments.entries()) {
    const at = segments.slice(0, i).join('.');
    if (current === null || current === undefined) return undefined;
    if (Array.isArray(current)) {
      if (!isIndex(segment)) {
        return {
          kind: 'shape',
          message: `"${whole}": "${at}" is a list, so "${segment}" must be an index such as 0`,
        };
      }
      if (Number(segment) >= current.length) return undefined;
      current = current[Number(segment)];
      continue;
    }
    if (typeof current !== 'object') {
      return { kind: 'shape', message: `"${whole}": "${at}" is ${describe(current)}, not an object` };
    }
    if (i > 0 && OPEN_OBJECTS.has(segments[i - 1]!)) return undefined;
    if (!Object.hasOwn(current, segment)) {
      const near = closest(segment, Object.keys(current));
      return {
        kind: 'missing',
        suggestion: near === undefined ? undefined : repaired(sample, segments, i, near),
      };
    }
    current = (current as Record<string, unknown>)[segment];
  }
  return undefined;
}
