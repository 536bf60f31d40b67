/** Rules file text to a plain JSON tree, bounded: a file is read once, at start-up and in `cdk synth`. */
import yaml from 'js-yaml';
import { pointer, type Report } from './reader.ts';
import type { Json } from './types.ts';

export type RulesFormat = 'json' | 'yaml';

export const MAX_FILE_BYTES = 1024 * 1024;
/** YAML aliases can make a small file a huge tree ("billion laughs"): the copy counts every node. */
const MAX_NODES = 200_000;
const MAX_DEPTH = 64;

class TooLarge extends Error {}

/**
 * A copy made of plain objects, lists and JSON scalars only. Non-finite numbers (YAML `.inf`, `.nan`)
 * are reported; keys are copied as own data properties, so `__proto__` stays an ordinary (unknown) key.
 */
function toJson(value: unknown, at: string, report: Report, budget: { nodes: number }, depth: number): Json {
  if (--budget.nodes < 0 || depth > MAX_DEPTH) throw new TooLarge();
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) report(at, 'must be a finite number');
    return value;
  }
  if (Array.isArray(value)) return value.map((v, i) => toJson(v, pointer(at, i), report, budget, depth + 1));
  if (typeof value === 'object') {
    const out: { [key: string]: Json } = {};
    for (const [key, v] of Object.entries(value)) {
      Object.defineProperty(out, key, {
        value: toJson(v, pointer(at, key), report, budget, depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  report(at, `is not a JSON value (${typeof value})`);
  return null;
}

/** The document, or undefined when it is empty (no rules); problems go to `report`. */
export function parseDocument(text: string, format: RulesFormat, report: Report): Json | undefined {
  if (text.length > MAX_FILE_BYTES) {
    report('', `is larger than ${MAX_FILE_BYTES} bytes`);
    return undefined;
  }
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  if (body.trim() === '') return undefined;
  let value: unknown;
  try {
    // CORE_SCHEMA: YAML 1.2 scalars only, so dates stay strings and no `<<` merge keys.
    value = format === 'json' ? JSON.parse(body) : yaml.load(body, { schema: yaml.CORE_SCHEMA });
  } catch (error) {
    const reason =
      error instanceof yaml.YAMLException ? error.message.split('\n')[0] : (error as Error).message;
    report('', `is not valid ${format === 'json' ? 'JSON' : 'YAML'}: ${reason}`);
    return undefined;
  }
  if (value === undefined || value === null) return undefined;
  try {
    return toJson(value, '', report, { nodes: MAX_NODES }, 0);
  } catch (error) {
    if (!(error instanceof TooLarge)) throw error;
    report('', `has more than ${MAX_NODES} values or is nested deeper than ${MAX_DEPTH} levels`);
    return undefined;
  }
}
