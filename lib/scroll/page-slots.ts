/**
 * Governor slots for a serial enumerator (a scroll or a list, one page at a time), taken a few at a
 * time: one governor write per `batch` pages instead of one per page, the largest backend cost of a
 * page. Each page still spends one slot, and only within the rate window its slots were granted in,
 * so the budget and the even spread hold; a 429 drops what is left (Intercom asked every worker to stop).
 * At most `batch - 1` slots go unused when an invocation ends.
 */
import type { RateGovernor } from '../governor/rate-governor.ts';

export const PAGE_SLOT_BATCH = 5;

export class PageSlots {
  readonly #governor: RateGovernor;
  readonly #workspace: string;
  readonly #spender: string;
  readonly #batch: number;
  #left = 0;
  #windowEnd = 0;

  constructor(governor: RateGovernor, workspace: string, spender: string, batch = PAGE_SLOT_BATCH) {
    this.#governor = governor;
    this.#workspace = workspace;
    this.#spender = spender;
    this.#batch = batch;
  }

  /** One slot for the next page, before `deadline` (epoch ms), or when to ask again. */
  async take(deadline: number, now: number): Promise<{ ok: true } | { ok: false; retryAt: number }> {
    if (this.#left > 0 && now < this.#windowEnd) {
      this.#left--;
      return { ok: true };
    }
    const slot = await this.#governor.acquire(this.#workspace, deadline, this.#batch, {
      [this.#spender]: this.#batch,
    });
    if (!slot.ok) return slot;
    this.#left = slot.granted - 1;
    this.#windowEnd = slot.windowStart + this.#governor.windowMs;
    return { ok: true };
  }

  drop(): void {
    this.#left = 0;
  }
}
