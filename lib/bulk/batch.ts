/**
 * What one SQS batch of the bulk worker shares, so that its bookkeeping costs a few writes per batch
 * instead of a few per item: the rate governor's slots for the batch's Intercom calls, taken in one
 * write, and the job counters of the items it finished, added in one write per job and attempt.
 */
import type { Acquired, RateGovernor } from '../governor/rate-governor.ts';
import type { JobStore } from './job-store.ts';

interface Ask {
  slots: number;
  jobId: string;
  resolve: (acquired: Acquired) => void;
  reject: (error: unknown) => void;
}

/**
 * The batch's items reach their governor call at about the same moment (each after its own claim):
 * their asks are gathered until every item has asked or gone its way without asking (only claims,
 * short DynamoDB writes, stand between), or `gatherMs` after the first ask, and each workspace's
 * are taken in one governor write. An item that asks again
 * (a second request of its own, a lookup's further page) asks the governor directly.
 */
export class BatchSlots {
  readonly #governor: Pick<RateGovernor, 'acquire' | 'windowMs'>;
  readonly #gatherMs: number;
  /** Items that have neither asked nor left. */
  #open: number;
  readonly #asks = new Map<string, Ask[]>();
  #deadline = Number.POSITIVE_INFINITY;
  #timer: NodeJS.Timeout | undefined;
  #gathering = true;

  /** `gatherMs`: a safety net; the round closes as soon as every item has asked or left. */
  constructor(governor: Pick<RateGovernor, 'acquire' | 'windowMs'>, items: number, gatherMs = 1_000) {
    this.#governor = governor;
    this.#open = items;
    this.#gatherMs = gatherMs;
  }

  /** A handle for one item of the batch: its first ask is gathered with the others'. */
  participant() {
    let asked = false;
    let left = false;
    return {
      acquire: (workspace: string, deadline: number, slots: number, jobId: string): Promise<Acquired> => {
        if (asked || left || !this.#gathering)
          return this.#governor.acquire(workspace, deadline, slots, { [jobId]: slots });
        asked = true;
        return this.#gather(workspace, deadline, slots, jobId);
      },
      /** The item is done with the first round (asked or not): nobody waits for it any more. */
      leave: () => {
        if (asked || left) return;
        left = true;
        this.#settle();
      },
    };
  }

  #gather(workspace: string, deadline: number, slots: number, jobId: string): Promise<Acquired> {
    return new Promise<Acquired>((resolve, reject) => {
      const asks = this.#asks.get(workspace) ?? [];
      asks.push({ slots, jobId, resolve, reject });
      this.#asks.set(workspace, asks);
      this.#deadline = Math.min(this.#deadline, deadline);
      this.#timer ??= setTimeout(() => this.#flush(), this.#gatherMs);
      this.#settle();
    });
  }

  #settle(): void {
    this.#open--;
    if (this.#open <= 0) this.#flush();
  }

  #flush(): void {
    if (!this.#gathering) return;
    this.#gathering = false;
    clearTimeout(this.#timer);
    for (const [workspace, asks] of this.#asks) {
      const byJob: Record<string, number> = {};
      for (const ask of asks) byJob[ask.jobId] = (byJob[ask.jobId] ?? 0) + ask.slots;
      const slots = asks.reduce((sum, ask) => sum + ask.slots, 0);
      this.#governor.acquire(workspace, this.#deadline, slots, byJob).then(
        (acquired) => {
          // A grant short of the asks (a budget smaller than the batch) runs the first asks it
          // covers; the others come back in the next window.
          let left = acquired.ok ? acquired.granted : 0;
          for (const ask of asks) {
            if (!acquired.ok || ask.slots <= left) {
              left -= ask.slots;
              ask.resolve(acquired);
            } else {
              ask.resolve({ ok: false, retryAt: acquired.windowStart + this.#governor.windowMs });
            }
          }
        },
        (error) => {
          for (const ask of asks) ask.reject(error);
        },
      );
    }
    this.#asks.clear();
  }
}

/** The batch's finished items, by job and attempt, added to the job counters at the batch's end. */
export class BatchTally {
  readonly #deltas = new Map<string, { jobId: string; attempt: number; succeeded: number; failed: number }>();

  add(jobId: string, attempt: number, state: 'succeeded' | 'failed'): void {
    const key = `${jobId}\u0000${attempt}`;
    let delta = this.#deltas.get(key);
    if (!delta) {
      delta = { jobId, attempt, succeeded: 0, failed: 0 };
      this.#deltas.set(key, delta);
    }
    delta[state]++;
  }

  /** One counter write per job and attempt; a refused one was counted item by item already. */
  async flush(store: Pick<JobStore, 'count'>, now: number): Promise<void> {
    const deltas = [...this.#deltas.values()];
    this.#deltas.clear();
    await Promise.all(deltas.map((d) => store.count(d.jobId, d.attempt, d, now)));
  }
}
