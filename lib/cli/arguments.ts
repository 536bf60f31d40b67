/** Turns `key=value` and `key:=<json>` words into operation input, typed by the operation's schema. */
import { readFileSync } from 'node:fs';
import type { JsonSchema, Operation } from '../catalog/types.ts';

export class UsageError extends Error {
  override name = 'UsageError';
}

function types(schema: JsonSchema | undefined): string[] {
  const type = schema?.type;
  return Array.isArray(type) ? (type as string[]) : typeof type === 'string' ? [type] : [];
}

/** `count=5` is a number where the schema takes one, `open=true` a boolean; otherwise a string. */
export function typedValue(schema: JsonSchema | undefined, raw: string): unknown {
  const accepted = types(schema);
  if (
    (accepted.includes('integer') || accepted.includes('number')) &&
    /^-?\d+(\.\d+)?$/.test(raw) &&
    !accepted.includes('string')
  ) {
    return Number(raw);
  }
  if (accepted.includes('boolean') && (raw === 'true' || raw === 'false')) return raw === 'true';
  return raw;
}

function readJson(text: string, what: string): unknown {
  let source = text;
  if (text.startsWith('@')) {
    try {
      source = readFileSync(text.slice(1), 'utf8');
    } catch (error) {
      const reason = (error as { code?: string }).code ?? 'unreadable';
      throw new UsageError(`${what}: cannot read ${text.slice(1)} (${reason})`);
    }
  }
  try {
    return JSON.parse(source);
  } catch {
    throw new UsageError(`${what} is not valid JSON`);
  }
}

/** Operation input from the words after `call <operation>`. */
export function parseCallArguments(op: Operation, words: readonly string[]): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (word === '--body') {
      const value = words[++i];
      if (value === undefined) throw new UsageError('--body needs a value: @file.json or a JSON object');
      input.body = readJson(value, '--body');
      continue;
    }
    if (word.startsWith('--body=')) {
      input.body = readJson(word.slice('--body='.length), '--body');
      continue;
    }
    const json = /^([^=:]+):=(.*)$/s.exec(word);
    if (json) {
      input[json[1]!] = readJson(json[2]!, json[1]!);
      continue;
    }
    const pair = /^([^=]+)=(.*)$/s.exec(word);
    if (!pair) throw new UsageError(`Expected key=value, key:=<json> or --body, got "${word}"`);
    const [, key, value] = pair as unknown as [string, string, string];
    const schema = op.params[key]?.schema ?? (key === 'limit' ? { type: 'integer' } : undefined);
    input[key] = typedValue(schema, value);
  }
  return input;
}
