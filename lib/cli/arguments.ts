/**
 * The command line: options through `node:util` `parseArgs` (strict: an unknown option, a switch given a
 * value or an option without one is a usage error; `--x=y` and `--` work as everywhere), and the
 * `key=value` / `key:=<json>` operation parameters, typed by the operation's schema.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { JsonSchema, Operation } from '../catalog/types.ts';

export class UsageError extends Error {
  override name = 'UsageError';
}

/** What a command takes: options with a value (`--file x`, `--file=x`) and switches (`--watch`). */
export interface FlagSpec {
  values: readonly string[];
  switches: readonly string[];
}

export interface ParsedWords {
  positionals: string[];
  /** The options given; `-h`/`--help` shows up as `help`, which every command takes. */
  flags: Map<string, string | true>;
}

function optionList(spec: FlagSpec): string {
  const names = [...spec.values.map((n) => `--${n} <value>`), ...spec.switches.map((n) => `--${n}`)];
  return names.length > 0 ? names.join(', ') : 'no options';
}

/** parseArgs' errors in this CLI's words; the option is quoted as the user wrote it. */
function usageErrorOf(error: unknown, spec: FlagSpec, command: string, positionals: boolean): UsageError {
  const { code, message } = error as { code?: string; message: string };
  const option = /'(-{1,2}[^' =<]+)/.exec(message)?.[1];
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return new UsageError(
        `Unknown option ${option ?? message} for ${command} (it takes ${optionList(spec)}${positionals ? '; a parameter that starts with "-" goes after --' : ''})`,
      );
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (option && spec.switches.includes(option.replace(/^-+/, '')))
        return new UsageError(`${option} takes no value`);
      if (/ambiguous/.test(message))
        return new UsageError(`${option} needs a value (one that starts with "-" is written ${option}=-...)`);
      return new UsageError(`${option ?? 'An option'} needs a value`);
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return new UsageError(`Unexpected "${/'([^']*)'/.exec(message)?.[1] ?? message}" for ${command}`);
    default:
      return new UsageError(message);
  }
}

/** Parses a command's words (after the command's own name) against what it takes. */
export function parseOptions(
  words: readonly string[],
  spec: FlagSpec,
  command: string,
  { positionals = true }: { positionals?: boolean } = {},
): ParsedWords {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const name of spec.values) options[name] = { type: 'string' };
  for (const name of spec.switches) options[name] = { type: 'boolean' };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...words], options, strict: true, allowPositionals: positionals });
  } catch (error) {
    if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS_'))
      throw usageErrorOf(error, spec, command, positionals);
    throw error;
  }
  const flags = new Map<string, string | true>();
  for (const [name, value] of Object.entries(parsed.values)) {
    if (value === undefined || value === false) continue;
    if (value === '') throw new UsageError(`--${name} needs a value`);
    flags.set(name, value === true ? true : String(value));
  }
  return { positionals: parsed.positionals, flags };
}

export function stringFlag(parsed: ParsedWords, name: string): string | undefined {
  const value = parsed.flags.get(name);
  return typeof value === 'string' ? value : undefined;
}

export function integerFlag(
  parsed: ParsedWords,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = stringFlag(parsed, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    throw new UsageError(`--${name} must be an integer from ${min} to ${max} (got "${raw}")`);
  }
  return value;
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

export const CALL_OPTIONS: FlagSpec = { values: ['body'], switches: [] };

/**
 * Operation input from the words after `call <operation>`: `--body` (also `--body=...`) and the
 * positional `key=value` / `key:=<json>` parameters (after `--` too).
 */
export function parseCallArguments(op: Operation, words: readonly string[]): Record<string, unknown> {
  const parsed = parseOptions(words, CALL_OPTIONS, `call ${op.name}`);
  const input: Record<string, unknown> = {};
  const body = stringFlag(parsed, 'body');
  if (body !== undefined) input.body = readJson(body, '--body');
  for (const word of parsed.positionals) {
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
