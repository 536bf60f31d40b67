/** Fault injection: one draw of the seeded PRNG per API request picks at most one fault. */
import { type Random, seededRandom } from './random.ts';
import { FAULT_KINDS, type FaultConfig, type FaultKind } from './types.ts';

export class FaultInjector {
  #config: FaultConfig | null = null;
  #random: Random = seededRandom(0);

  get config(): FaultConfig | null {
    return this.#config;
  }

  /** A new configuration restarts the PRNG from its seed, so a run can be replayed. */
  configure(config: FaultConfig | null): void {
    this.#config = config;
    this.#random = seededRandom(config?.seed ?? 0);
  }

  restart(): void {
    this.configure(this.#config);
  }

  draw(): FaultKind | null {
    if (!this.#config) return null;
    const u = this.#random();
    let cumulative = 0;
    for (const kind of FAULT_KINDS) {
      cumulative += this.#config.rates[kind];
      if (u < cumulative) return kind;
    }
    return null;
  }
}
