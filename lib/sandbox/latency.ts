/**
 * The latency model: how long each API answer waits before it leaves, as if Intercom were across the
 * internet. The request has its effect (rate window, changes) when it arrives; only the answer is held,
 * on a timer, so held answers never block other requests. Draws come from a seeded PRNG, restarted by
 * a new configuration or a reset, so a sequential run gets the same delays again.
 */
import { latencySpec, SandboxConfigError } from './config.ts';
import { type Random, seededRandom } from './random.ts';
import type { LatencyConfig, LatencyConfigInput } from './types.ts';

const LATENCY_SEED = 0x1a7e;

interface Held {
  timer: NodeJS.Timeout;
  release: () => void;
}

export class LatencyModel {
  #config: LatencyConfig | null = null;
  #random: Random = seededRandom(LATENCY_SEED);
  readonly #held = new Set<Held>();
  #closed = false;

  configure(config: LatencyConfig | null): void {
    this.#config = config;
    this.restart();
  }

  restart(): void {
    this.#random = seededRandom(LATENCY_SEED);
  }

  /** Whole ms, uniform over `baseMs - jitterMs` .. `baseMs + jitterMs` of the route's spec (else the default). */
  draw(routeKey: string): number {
    if (!this.#config) return 0;
    const { baseMs, jitterMs } = this.#config.routes[routeKey] ?? this.#config;
    if (jitterMs === 0) return baseMs;
    return baseMs - jitterMs + Math.floor(this.#random() * (2 * jitterMs + 1));
  }

  /** Resolves after `ms` on a timer; at once for 0 or once the model is closed. */
  hold(ms: number): Promise<void> {
    if (ms <= 0 || this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const held: Held = {
        timer: setTimeout(() => held.release(), ms),
        release: () => {
          clearTimeout(held.timer);
          this.#held.delete(held);
          resolve();
        },
      };
      this.#held.add(held);
    });
  }

  /** Answers being held now. */
  get pending(): number {
    return this.#held.size;
  }

  /** Lets every held answer leave now, and holds none from then on (the server is closing); returns how many were held. */
  close(): number {
    this.#closed = true;
    const count = this.#held.size;
    for (const held of [...this.#held]) held.release();
    return count;
  }
}

/**
 * `SANDBOX_LATENCY_MS` and `SANDBOX_JITTER_MS` as a latency configuration for `startSandbox`, or
 * undefined when neither is set. Throws SandboxConfigError naming the variable when a value is not a
 * whole number of ms from 0 to 60000, or the jitter exceeds the latency.
 */
export function latencyFromEnv(env: NodeJS.ProcessEnv = process.env): LatencyConfigInput | undefined {
  const base = env.SANDBOX_LATENCY_MS?.trim() || undefined;
  const jitter = env.SANDBOX_JITTER_MS?.trim() || undefined;
  if (base === undefined && jitter === undefined) return undefined;
  const problems: string[] = [];
  const number = (name: string, text: string | undefined) => {
    if (text === undefined) return 0;
    if (/^\d+$/.test(text)) return Number(text);
    problems.push(`${name} must be a whole number of milliseconds, not ${JSON.stringify(text)}`);
    return 0;
  };
  const baseMs = number('SANDBOX_LATENCY_MS', base);
  const jitterMs = number('SANDBOX_JITTER_MS', jitter);
  if (problems.length === 0)
    latencySpec({ baseMs, jitterMs }, problems, {
      at: 'the environment',
      base: 'SANDBOX_LATENCY_MS',
      jitter: 'SANDBOX_JITTER_MS',
    });
  if (problems.length > 0) throw new SandboxConfigError(problems);
  return { baseMs, jitterMs };
}
