/** Validation of `PUT /__sandbox/config` (and `Sandbox.configure`) input, merged onto the current config. */
import { isObject } from './input.ts';
import { FAULT_KINDS, type FaultConfig, type SandboxConfig, VERSIONS } from './types.ts';

export const DEFAULT_RATE_LIMIT = { perWindow: 1667, windowSeconds: 10 };
export const DEFAULT_STALL_MS = 1000;

export class SandboxConfigError extends Error {
  readonly problems: string[];

  constructor(problems: string[]) {
    super(`Invalid sandbox config: ${problems.join('; ')}`);
    this.name = 'SandboxConfigError';
    this.problems = problems;
  }
}

const isPositiveInteger = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

function rateLimit(value: unknown, problems: string[]) {
  if (!isObject(value)) return void problems.push('rateLimit must be an object');
  for (const key of Object.keys(value))
    if (key !== 'perWindow' && key !== 'windowSeconds') problems.push(`rateLimit.${key} is not a setting`);
  if (!isPositiveInteger(value.perWindow)) problems.push('rateLimit.perWindow must be a positive integer');
  if (!isPositiveInteger(value.windowSeconds))
    problems.push('rateLimit.windowSeconds must be a positive integer');
  return { perWindow: value.perWindow as number, windowSeconds: value.windowSeconds as number };
}

function faults(value: unknown, problems: string[]): FaultConfig | null {
  if (value === null) return null;
  if (!isObject(value)) {
    problems.push('faults must be an object or null');
    return null;
  }
  for (const key of Object.keys(value))
    if (!['rates', 'stallMs', 'seed'].includes(key)) problems.push(`faults.${key} is not a setting`);
  const rates = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as FaultConfig['rates'];
  if (value.rates !== undefined) {
    if (!isObject(value.rates)) problems.push('faults.rates must be an object');
    else
      for (const [kind, rate] of Object.entries(value.rates)) {
        if (!(FAULT_KINDS as readonly string[]).includes(kind))
          problems.push(`faults.rates.${kind} is not a fault (${FAULT_KINDS.join(', ')})`);
        else if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1))
          problems.push(`faults.rates.${kind} must be a number from 0 to 1`);
        else rates[kind as keyof typeof rates] = rate;
      }
  }
  const total = Object.values(rates).reduce((a, b) => a + b, 0);
  if (total > 1 + 1e-9) problems.push('faults.rates must add up to 1 or less');
  const stallMs = value.stallMs ?? DEFAULT_STALL_MS;
  if (typeof stallMs !== 'number' || !Number.isInteger(stallMs) || stallMs < 0 || stallMs > 600_000)
    problems.push('faults.stallMs must be an integer from 0 to 600000');
  const seed = value.seed ?? 1;
  if (typeof seed !== 'number' || !Number.isInteger(seed)) problems.push('faults.seed must be an integer');
  return { rates, stallMs: stallMs as number, seed: seed as number };
}

/** The current config with `input` applied; throws SandboxConfigError listing every problem. */
export function mergeConfig(current: SandboxConfig, input: unknown): SandboxConfig {
  const problems: string[] = [];
  if (!isObject(input)) throw new SandboxConfigError(['the config must be a JSON object']);
  const next: SandboxConfig = { ...current };
  for (const key of Object.keys(input))
    if (!['rateLimit', 'faults', 'defaultVersion'].includes(key)) problems.push(`${key} is not a setting`);
  if (input.rateLimit !== undefined)
    next.rateLimit = rateLimit(input.rateLimit, problems) ?? current.rateLimit;
  if (input.faults !== undefined) next.faults = faults(input.faults, problems);
  if (input.defaultVersion !== undefined) {
    if (!(VERSIONS as readonly unknown[]).includes(input.defaultVersion))
      problems.push(`defaultVersion must be one of ${VERSIONS.join(', ')}`);
    else next.defaultVersion = input.defaultVersion as SandboxConfig['defaultVersion'];
  }
  if (problems.length > 0) throw new SandboxConfigError(problems);
  return next;
}
