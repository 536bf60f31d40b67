/** Validation of `PUT /__sandbox/config` (and `Sandbox.configure`) input, merged onto the current config. */
import { isObject } from './input.ts';
import { apiRoutes } from './routes/index.ts';
import {
  FAULT_KINDS,
  type FaultConfig,
  type LatencyConfig,
  type LatencySpec,
  type SandboxConfig,
  VERSIONS,
} from './types.ts';

/**
 * Intercom's default budget today: 10,000 requests a minute per app, spread over 10-second windows
 * (1,667 each). The 1.x era documented less: 1,000 a minute in 10-second windows (R1.4 rate-limiting,
 * 167 per window) and, earlier, 500 a minute (83 per window, the limit in intercom-node 2.x's
 * test/errors.js). `PUT /__sandbox/config` sets either.
 */
export const DEFAULT_RATE_LIMIT = { perWindow: 1667, windowSeconds: 10 };
export const DEFAULT_STALL_MS = 1000;
/** The longest latency (base plus jitter) an answer may be given. */
export const MAX_LATENCY_MS = 60_000;

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

/** The route keys latency overrides accept: `"<METHOD> <template>"`, as the request counters are keyed. */
const ROUTE_KEYS: ReadonlySet<string> = new Set(apiRoutes.map((r) => `${r.method} ${r.template}`));

const isLatencyMs = (v: unknown): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= MAX_LATENCY_MS;

/**
 * One `{baseMs, jitterMs?}`; `names` are how problems name its two numbers (config paths, or the
 * environment variables they came from).
 */
export function latencySpec(
  value: unknown,
  problems: string[],
  names: { at: string; base: string; jitter: string },
  otherKeys: readonly string[] = [],
): LatencySpec {
  if (!isObject(value)) {
    problems.push(`${names.at} must be an object with baseMs and optionally jitterMs`);
    return { baseMs: 0, jitterMs: 0 };
  }
  const before = problems.length;
  for (const key of Object.keys(value))
    if (key !== 'baseMs' && key !== 'jitterMs' && !otherKeys.includes(key))
      problems.push(`${names.at}.${key} is not a setting`);
  const { baseMs, jitterMs = 0 } = value;
  if (baseMs === undefined) problems.push(`${names.base} is required`);
  else if (!isLatencyMs(baseMs))
    problems.push(`${names.base} must be an integer from 0 to ${MAX_LATENCY_MS}`);
  if (!isLatencyMs(jitterMs)) problems.push(`${names.jitter} must be an integer from 0 to ${MAX_LATENCY_MS}`);
  if (problems.length > before) return { baseMs: 0, jitterMs: 0 };
  const spec = { baseMs: baseMs as number, jitterMs: jitterMs as number };
  if (spec.jitterMs > spec.baseMs) problems.push(`${names.jitter} must not exceed ${names.base}`);
  if (spec.baseMs + spec.jitterMs > MAX_LATENCY_MS)
    problems.push(`${names.base} + ${names.jitter} must not exceed ${MAX_LATENCY_MS}`);
  return spec;
}

function latency(value: unknown, problems: string[]): LatencyConfig | null {
  if (value === null) return null;
  if (!isObject(value)) {
    problems.push('latency must be an object or null');
    return null;
  }
  const base = latencySpec(
    value,
    problems,
    { at: 'latency', base: 'latency.baseMs', jitter: 'latency.jitterMs' },
    ['routes'],
  );
  const routes: Record<string, LatencySpec> = {};
  if (value.routes !== undefined) {
    if (!isObject(value.routes)) problems.push('latency.routes must be an object');
    else
      for (const [key, spec] of Object.entries(value.routes)) {
        const at = `latency.routes[${JSON.stringify(key)}]`;
        if (!ROUTE_KEYS.has(key)) {
          problems.push(
            `${at} is not a route: use "<METHOD> <route template>" as GET /__sandbox/stats counts requests, e.g. "POST /users" or "GET /users/{id}"`,
          );
          continue;
        }
        routes[key] = latencySpec(spec, problems, {
          at,
          base: `${at}.baseMs`,
          jitter: `${at}.jitterMs`,
        });
      }
  }
  return { ...base, routes };
}

/** The current config with `input` applied; throws SandboxConfigError listing every problem. */
export function mergeConfig(current: SandboxConfig, input: unknown): SandboxConfig {
  const problems: string[] = [];
  if (!isObject(input)) throw new SandboxConfigError(['the config must be a JSON object']);
  const next: SandboxConfig = { ...current };
  for (const key of Object.keys(input))
    if (!['rateLimit', 'faults', 'defaultVersion', 'latency'].includes(key))
      problems.push(`${key} is not a setting`);
  if (input.rateLimit !== undefined)
    next.rateLimit = rateLimit(input.rateLimit, problems) ?? current.rateLimit;
  if (input.faults !== undefined) next.faults = faults(input.faults, problems);
  if (input.latency !== undefined) next.latency = latency(input.latency, problems);
  if (input.defaultVersion !== undefined) {
    if (!(VERSIONS as readonly unknown[]).includes(input.defaultVersion))
      problems.push(`defaultVersion must be one of ${VERSIONS.join(', ')}`);
    else next.defaultVersion = input.defaultVersion as SandboxConfig['defaultVersion'];
  }
  if (problems.length > 0) throw new SandboxConfigError(problems);
  return next;
}
