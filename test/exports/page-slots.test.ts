/**
 * Page slots: one governor acquire per batch of pages, never a slot spent outside the window it was
 * granted in, and none kept after a 429.
 */
import { describe, expect, it } from '@jest/globals';
import type { RateGovernor } from '../../lib/governor/rate-governor.ts';
import { PageSlots } from '../../lib/scroll/page-slots.ts';

const WINDOW_MS = 10_000;

function fakeGovernor() {
  const calls: Array<{ slots: number; byJob: Record<string, number> }> = [];
  let windowStart = 0;
  const governor = {
    windowMs: WINDOW_MS,
    async acquire(_workspace: string, _deadline: number, slots: number, byJob: Record<string, number>) {
      calls.push({ slots, byJob });
      return { ok: true as const, windowStart, at: windowStart, granted: slots };
    },
  };
  return {
    governor: governor as unknown as RateGovernor,
    calls,
    moveTo(start: number) {
      windowStart = start;
    },
  };
}

describe('PageSlots', () => {
  it('takes five slots in one acquire and spends them on five pages', async () => {
    const g = fakeGovernor();
    const slots = new PageSlots(g.governor, 'ws', 'export_x', 5);
    for (let page = 0; page < 10; page++) expect((await slots.take(60_000, 1_000 + page)).ok).toBe(true);
    expect(g.calls).toEqual([
      { slots: 5, byJob: { export_x: 5 } },
      { slots: 5, byJob: { export_x: 5 } },
    ]);
  });

  it('spends no slot past the end of the window it was granted in', async () => {
    const g = fakeGovernor();
    const slots = new PageSlots(g.governor, 'ws', 'export_x', 5);
    await slots.take(60_000, 9_000);
    g.moveTo(WINDOW_MS);
    await slots.take(60_000, WINDOW_MS + 1);
    expect(g.calls).toHaveLength(2);
  });

  it('drops what is left after a 429', async () => {
    const g = fakeGovernor();
    const slots = new PageSlots(g.governor, 'ws', 'export_x', 5);
    await slots.take(60_000, 1_000);
    slots.drop();
    await slots.take(60_000, 1_001);
    expect(g.calls).toHaveLength(2);
  });

  it('hands back the governor’s refusal', async () => {
    const governor = {
      windowMs: WINDOW_MS,
      acquire: async () => ({ ok: false as const, retryAt: 42 }),
    } as unknown as RateGovernor;
    expect(await new PageSlots(governor, 'ws', 'export_x').take(60_000, 0)).toEqual({
      ok: false,
      retryAt: 42,
    });
  });
});
