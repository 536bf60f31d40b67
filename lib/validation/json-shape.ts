/**
 * What the operation schemas cannot say about parsed JSON: how deep it nests, and whether its strings
 * are well-formed Unicode. Bodies pass through to Intercom (schemas allow Intercom's extra fields),
 * so a 10,000-deep object would overflow `JSON.stringify` (a 500), and a lone surrogate would make
 * `encodeURIComponent` throw or `URLSearchParams` silently swap it for U+FFFD (another value sent).
 */
import type { ValidationIssue } from './validate.ts';

/** Far deeper than any Intercom payload (custom attributes are flat; conversations nest ~6). */
export const MAX_JSON_DEPTH = 64;

function pointer(segments: readonly (string | number)[]): string {
  return segments.map((s) => `/${String(s).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('') || '/';
}

/** The first problem found, as a validation issue (JSON Pointer path), or undefined. */
export function jsonShapeIssue(value: unknown, maxDepth = MAX_JSON_DEPTH): ValidationIssue | undefined {
  const segments: (string | number)[] = [];
  const visit = (node: unknown, depth: number): ValidationIssue | undefined => {
    if (typeof node === 'string') {
      return node.isWellFormed()
        ? undefined
        : { path: pointer(segments), message: 'contains a lone UTF-16 surrogate (not valid Unicode)' };
    }
    if (node === null || typeof node !== 'object') return undefined;
    if (depth >= maxDepth)
      return { path: pointer(segments), message: `nests deeper than ${maxDepth} levels` };
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        segments.push(i);
        const issue = visit(node[i], depth + 1);
        segments.pop();
        if (issue) return issue;
      }
      return undefined;
    }
    for (const key of Object.keys(node)) {
      if (!key.isWellFormed()) {
        return {
          path: pointer(segments),
          message: 'has a key with a lone UTF-16 surrogate (not valid Unicode)',
        };
      }
      segments.push(key);
      const issue = visit((node as Record<string, unknown>)[key], depth + 1);
      segments.pop();
      if (issue) return issue;
    }
    return undefined;
  };
  return visit(value, 0);
}
