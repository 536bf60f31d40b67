/**
 * Page slots: one governor acquire per batch of pages, the next batch asked for ahead, never a slot
 * spent outside the window it was granted in, and none kept after a 429.
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
      // The window is read when the governor answers, as the real one does.
      await Promise.resolve();
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
    for (let page = 0; page < 4; page++) expect((await slots.take(60_000, 1_000 + page)).ok).toBe(true);
    expect(g.calls).toEqual([{ slots: 5, byJob: { export_x: 5 } }]);
  });

  it('asks for the next batch when it hands out the last slot of one, and spends that batch next', async () => {
    const g = fakeGovernor();
    const slots = new PageSlots(g.governor, 'ws', 'export_x', 5);
    for (let page = 0; page < 5; page++) await slots.take(60_000, 1_000 + page);
    // The fifth page's slot was the batch's last: the next batch is on its way before page six asks.
    expect(g.calls).toHaveLength(2);
    for (let page = 5; page < 9; page++) expect((await slots.take(60_000, 1_000 + page)).ok).toBe(true);
    expect(g.calls).toHaveLength(2);
    await slots.take(60_000, 1_009);
    expect(g.calls).toHaveLength(3);
    expect(g.calls.every((c) => c.slots === 5 && c.byJob.export_x === 5)).toBe(true);
    await slots.settle();
  });

  it('spends no slot past the end of the window it was granted in', async () => {
    const g = fakeGovernor();
    const slots = new PageSlots(g.governor, 'ws', 'export_x', 5);
    await slots.take(60_000, 9_000);
    g.moveTo(WINDOW_MS);
    await slots.take(60_000, WINDOW_MS + 1);
    expect(g.calls).toHaveLength(2);
  });

  it('spends no batch taken ahead once its window has ended: it asks again', async () => {
    const g = fakeGovernor();
    const slots = new PageSlots(g.governor, 'ws', 'export_x', 5);
    for (let page = 0; page < 5; page++) await slots.take(60_000, 9_000 + page);
    // The batch asked for ahead was granted in the window ending at 10,000; the next page comes after.
    expect(g.calls).toHaveLength(2);
    g.moveTo(WINDOW_MS);
    expect((await slots.take(60_000, WINDOW_MS + 1)).ok).toBe(true);
    expect(g.calls).toHaveLength(3);
    // That fresh batch (window 10,000) is the one being spent: four more pages need no acquire.
    for (let page = 0; page < 4; page++) await slots.take(60_000, WINDOW_MS + 2 + page);
    expect(g.calls).toHaveLength(4);
    await slots.settle();
  });

  it('drops what is left after a 429, the batch taken ahead included', async () => {
    const g = fakeGovernor();
    const slots = new PageSlots(g.governor, 'ws', 'export_x', 5);
    await slots.take(60_000, 1_000);
    slots.drop();
    await slots.take(60_000, 1_001);
    expect(g.calls).toHaveLength(2);
    for (let page = 0; page < 4; page++) await slots.take(60_000, 1_002 + page);
    expect(g.calls).toHaveLength(3);
    slots.drop();
    await slots.take(60_000, 1_010);
    expect(g.calls).toHaveLength(4);
  });

  it('hands back a refusal of the batch asked ahead until its time, then asks again', async () => {
    const granted = { ok: true as const, windowStart: 0, at: 0, granted: 1 };
    const answers = [
      granted,
      { ok: false as const, retryAt: 500 },
      granted,
      { ok: false as const, retryAt: 700 },
      granted,
      granted,
    ];
    let calls = 0;
    const governor = {
      windowMs: WINDOW_MS,
      acquire: async () => answers[calls++],
    } as unknown as RateGovernor;
    // Batches of one: every take hands out a batch's last slot, so the next is asked for at once.
    const slots = new PageSlots(governor, 'ws', 'export_x', 1);
    expect(await slots.take(60_000, 0)).toEqual({ ok: true });
    expect(await slots.take(60_000, 100)).toEqual({ ok: false, retryAt: 500 });
    expect(calls).toBe(2);
    expect(await slots.take(60_000, 600)).toEqual({ ok: true });
    expect(calls).toBe(4);
    // The refusal asked ahead (retry at 700) is past by 800: asked again, granted.
    expect(await slots.take(60_000, 800)).toEqual({ ok: true });
    expect(calls).toBe(6);
    await slots.settle();
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
