/** Small helpers for reading the rules document field by field and reporting every problem. */
import { didYouMean } from './suggest.ts';

/** Records a problem at a JSON Pointer of the document. */
export type Report = (path: string, message: string) => void;

export function pointer(base: string, key: string | number): string {
  return `${base}/${String(key).replaceAll('~', '~0').replaceAll('/', '~1')}`;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

/** Reports every key outside `known`, with the nearest known key as a suggestion. */
export function rejectUnknownKeys(
  object: Record<string, unknown>,
  known: readonly string[],
  at: string,
  report: Report,
): void {
  for (const key of Object.keys(object)) {
    if (!known.includes(key)) {
      report(pointer(at, key), `is not a known field${didYouMean(key, known)} (known: ${known.join(', ')})`);
    }
  }
}
