/**
 * The local EventBridge Scheduler: each scheduled rule fires on a timer while `npm start` runs, at the
 * times Scheduler would (its cron dialect, the rule's time zone, daylight saving time), handing the
 * same `{schedule, time}` input to the same intake handler. A rate schedule fires one period after the
 * stack starts (Scheduler fires a new one right away; a restart of `npm start` would then fire every
 * rate rule each time). The clock is injectable: tests move time on without waiting.
 */
import { nextFiring, parseScheduleExpression } from '../automations/schedule-expression.ts';
import type { RuleSet } from '../automations/types.ts';

export interface Clock {
  now(): number;
  setTimer(run: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer: (run, ms) => setTimeout(run, ms).unref(),
  clearTimer: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** Node's timers take at most 2^31-1 ms (about 24.8 days); a later firing is re-armed on the way. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Scheduler's `<aws.scheduler.scheduled-time>`: ISO 8601 to the second. */
export function scheduledTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

export interface LocalSchedules {
  /** The next firing of each scheduled rule (epoch ms), for the banner and tests. */
  next(): ReadonlyMap<string, number>;
  /** Resolves when every firing started so far has been handed over. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export function startLocalSchedules(options: {
  rules: RuleSet;
  deliver: (firing: { schedule: string; time: string }) => Promise<unknown>;
  clock?: Clock;
}): LocalSchedules {
  const clock = options.clock ?? systemClock;
  const startedAt = clock.now();
  const timers = new Map<string, unknown>();
  const upcoming = new Map<string, number>();
  const pending = new Set<Promise<void>>();
  let stopped = false;

  const arm = (rule: string, fire: () => void, at: number) => {
    const wait = at - clock.now();
    timers.set(
      rule,
      clock.setTimer(
        () => (wait > MAX_TIMER_MS ? arm(rule, fire, at) : fire()),
        Math.max(0, Math.min(wait, MAX_TIMER_MS)),
      ),
    );
  };

  for (const rule of options.rules.rules) {
    const trigger = rule.trigger;
    if (trigger?.kind !== 'schedule') continue;
    const schedule = parseScheduleExpression(trigger.expression);
    if ('problem' in schedule) continue;
    const plan = (after: number) => {
      const at = nextFiring(schedule, trigger.timezone, after, startedAt);
      if (at === undefined || stopped) {
        upcoming.delete(rule.name);
        return;
      }
      upcoming.set(rule.name, at);
      arm(
        rule.name,
        () => {
          const delivery = options.deliver({ schedule: rule.name, time: scheduledTime(at) }).then(
            () => undefined,
            // Deployed, Scheduler retries and then sends the firing to the schedule's dead-letter queue.
            (error: unknown) =>
              console.error(`Schedule ${rule.name}: the firing of ${scheduledTime(at)} failed:`, error),
          );
          pending.add(delivery);
          void delivery.finally(() => pending.delete(delivery));
          plan(at);
        },
        at,
      );
    };
    plan(startedAt);
  }

  return {
    next: () => upcoming,
    async idle() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    async stop() {
      stopped = true;
      for (const handle of timers.values()) clock.clearTimer(handle);
      timers.clear();
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}
