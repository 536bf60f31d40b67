/**
 * Governor slots for a serial enumerator (a scroll or a list, one page at a time), taken a few at a
 * time: one governor write per `batch` pages instead of one per page, the largest backend cost of a
 * page. Each page still spends one slot, and only within the rate window its slots were granted in,
 * so the budget and the even spread hold; a 429 drops what is left (Intercom asked every worker to stop).
 *
 * The next batch is asked for as soon as the last slot of one is handed out, so the page after it
 * does not wait for the governor's round trip (its request, a page's length later, finds the batch
 * there). A batch taken ahead is spent only if its window is still open when a page needs it. At
 * most `batch` slots go unused when an enumeration stops.
 */
import type { Acquired, RateGovernor } from '../governor/rate-governor.ts';

export const PAGE_SLOT_BATCH = 5;
/**
 * How long a batch asked for ahead may wait for the governor: past it the governor answers when to
 * ask again instead, so a request ahead never outlasts the enumeration by more than this.
 */
const AHEAD_WAIT_MS = 1_000;

export class PageSlots {
  readonly #governor: RateGovernor;
  readonly #workspace: string;
  readonly #spender: string;
  readonly #batch: number;
  #left = 0;
  #windowEnd = 0;
  /** The next batch, asked for when the last slot of the current one went. */
  #ahead: Promise<Acquired> | undefined;

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
      if (this.#left === 0) this.#askAhead(Math.min(deadline, now + AHEAD_WAIT_MS));
      return { ok: true };
    }
    const ahead = this.#ahead;
    this.#ahead = undefined;
    let slot = ahead && (await ahead);
    // Taken ahead in a window that has ended, or a refusal whose time has come: ask again now.
    if (!slot || (slot.ok ? now >= slot.windowStart + this.#governor.windowMs : now >= slot.retryAt))
      slot = await this.#acquire(deadline);
    if (!slot.ok) return slot;
    this.#left = slot.granted - 1;
    this.#windowEnd = slot.windowStart + this.#governor.windowMs;
    if (this.#left === 0) this.#askAhead(Math.min(deadline, now + AHEAD_WAIT_MS));
    return { ok: true };
  }

  /** After a 429: neither what is left nor the batch asked for ahead is spent. */
  drop(): void {
    this.#left = 0;
    this.#ahead = undefined;
  }

  /** Waits for a batch still being asked for (an enumeration that stops leaves no request behind). */
  async settle(): Promise<void> {
    await this.#ahead?.catch(() => undefined);
  }

  #acquire(deadline: number): Promise<Acquired> {
    return this.#governor.acquire(this.#workspace, deadline, this.#batch, { [this.#spender]: this.#batch });
  }

  #askAhead(deadline: number): void {
    const ahead = this.#acquire(deadline);
    // Its failure is the next take's to report, as if asked for then.
    ahead.catch(() => undefined);
    this.#ahead = ahead;
  }
}
