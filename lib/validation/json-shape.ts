/**
 * What the operation schemas cannot say about parsed JSON: how deep it nests, whether its strings
 * are well-formed Unicode, and whether its numbers survive the trip to Intercom. Bodies pass through
 * to Intercom (schemas allow Intercom's extra fields), so a 10,000-deep object would overflow
 * `JSON.stringify` (a 500), a lone surrogate would make `encodeURIComponent` throw or
 * `URLSearchParams` silently swap it for U+FFFD (another value sent), and a number a double cannot
 * hold would be sent changed: `1e309` parses to Infinity (written `null`: the attribute cleared),
 * `9007199254740993` to ...992, and integers from 1e21 up are written in exponent form.
 */
import type { ValidationIssue } from './issue.ts';

/** Far deeper than any Intercom payload (custom attributes are flat; conversations nest ~6). */
export const MAX_JSON_DEPTH = 64;

export interface JsonShapeOptions {
  maxDepth?: number;
  /**
   * `exact` (the default, for what is sent on): finite, and integers within ±(2^53-1). `finite`: only
   * non-finite numbers, for data that is read rather than sent (a notification: a large integer in
   * it stays what it parsed to, and the number rule refuses it if a template copies it into an input).
   */
  numbers?: 'exact' | 'finite';
}

/**
 * Why a parsed number cannot be sent on as the value it was written as, or undefined. Every double of
 * magnitude 2^53 or more is an integer, so "integral beyond 2^53-1" is also every value too large to
 * be exact, however it was written (9007199254740993, 1e23, 1.5e300).
 */
export function numberProblem(value: number, numbers: 'exact' | 'finite' = 'exact'): string | undefined {
  if (!Number.isFinite(value)) return 'is a number too large for JSON (it would be sent as null)';
  if (numbers === 'exact' && Math.abs(value) > Number.MAX_SAFE_INTEGER) {
    return 'is a number beyond ±9007199254740991 (2^53-1), which cannot be sent exactly: send it as a string';
  }
  return undefined;
}

function pointer(segments: readonly (string | number)[]): string {
  return segments.map((s) => `/${String(s).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('') || '/';
}

/** The first problem found, as a validation issue (JSON Pointer path), or undefined. */
export function jsonShapeIssue(value: unknown, options: JsonShapeOptions = {}): ValidationIssue | undefined {
  const maxDepth = options.maxDepth ?? MAX_JSON_DEPTH;
  const numbers = options.numbers ?? 'exact';
  const segments: (string | number)[] = [];
  const visit = (node: unknown, depth: number): ValidationIssue | undefined => {
    if (typeof node === 'string') {
      return node.isWellFormed()
        ? undefined
        : { path: pointer(segments), message: 'contains a lone UTF-16 surrogate (not valid Unicode)' };
    }
    if (typeof node === 'number') {
      const message = numberProblem(node, numbers);
      return message === undefined ? undefined : { path: pointer(segments), message };
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
