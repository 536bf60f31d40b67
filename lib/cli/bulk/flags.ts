/** `--name value`, `--name=value` and switches among positional words, checked against what a command takes. */
import { UsageError } from '../arguments.ts';

export interface FlagSpec {
  values: readonly string[];
  switches: readonly string[];
}

export interface ParsedWords {
  positionals: string[];
  flags: Map<string, string | true>;
}

export function parseWords(words: readonly string[], spec: FlagSpec): ParsedWords {
  const positionals: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (word === '-h' || word === '--help') {
      flags.set('help', true);
      continue;
    }
    if (!word.startsWith('--') || word === '--') {
      positionals.push(word);
      continue;
    }
    const equals = word.indexOf('=');
    const name = word.slice(2, equals === -1 ? undefined : equals);
    if (spec.switches.includes(name)) {
      if (equals !== -1) throw new UsageError(`--${name} takes no value`);
      flags.set(name, true);
    } else if (spec.values.includes(name)) {
      const value = equals === -1 ? words[++i] : word.slice(equals + 1);
      if (value === undefined || value === '') throw new UsageError(`--${name} needs a value`);
      flags.set(name, value);
    } else {
      throw new UsageError(`Unknown option --${name}`);
    }
  }
  return { positionals, flags };
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
