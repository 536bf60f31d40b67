/** Next firings of Scheduler expressions: its cron dialect and time zones, daylight saving time included. */
import { describe, expect, it } from '@jest/globals';
import {
  nextFiring,
  parseScheduleExpression,
  type ScheduleExpression,
} from '../../lib/automations/schedule-expression.ts';

function expression(text: string): ScheduleExpression {
  const parsed = parseScheduleExpression(text);
  if ('problem' in parsed) throw new Error(parsed.problem);
  return parsed;
}

/** The next `n` firings after `from`, as ISO strings. */
function firings(text: string, timezone: string, from: string, n = 3): string[] {
  const schedule = expression(text);
  const out: string[] = [];
  let at = Date.parse(from);
  for (let i = 0; i < n; i++) {
    const next = nextFiring(schedule, timezone, at);
    if (next === undefined) break;
    out.push(new Date(next).toISOString());
    at = next;
  }
  return out;
}

describe('cron expressions', () => {
  it('fires daily at the time in the zone', () => {
    expect(firings('cron(0 9 * * ? *)', 'UTC', '2024-06-01T09:00:00Z')).toEqual([
      '2024-06-02T09:00:00.000Z',
      '2024-06-03T09:00:00.000Z',
      '2024-06-04T09:00:00.000Z',
    ]);
    expect(firings('cron(0 9 * * ? *)', 'Asia/Tokyo', '2024-06-01T00:00:00Z', 1)).toEqual([
      '2024-06-02T00:00:00.000Z',
    ]);
  });

  it('numbers weekdays from Sunday (1) and takes names', () => {
    // 2024-06-01 is a Saturday.
    expect(firings('cron(0 9 ? * 2-6 *)', 'UTC', '2024-06-01T10:00:00Z')).toEqual([
      '2024-06-03T09:00:00.000Z',
      '2024-06-04T09:00:00.000Z',
      '2024-06-05T09:00:00.000Z',
    ]);
    expect(firings('cron(0 9 ? * MON-FRI *)', 'UTC', '2024-06-07T10:00:00Z', 1)).toEqual([
      '2024-06-10T09:00:00.000Z',
    ]);
    expect(firings('cron(30 8 ? * 1 *)', 'UTC', '2024-06-01T10:00:00Z', 1)).toEqual([
      '2024-06-02T08:30:00.000Z',
    ]);
  });

  it('L, W and # as Scheduler means them', () => {
    // The last day of the month; the last Friday (6L); the weekday nearest the 15th; the first Monday.
    expect(firings('cron(0 9 L * ? *)', 'UTC', '2024-01-31T10:00:00Z', 2)).toEqual([
      '2024-02-29T09:00:00.000Z',
      '2024-03-31T09:00:00.000Z',
    ]);
    expect(firings('cron(0 9 ? * 6L *)', 'UTC', '2024-01-01T00:00:00Z', 2)).toEqual([
      '2024-01-26T09:00:00.000Z',
      '2024-02-23T09:00:00.000Z',
    ]);
    // 2024-06-15 is a Saturday: Friday the 14th.
    expect(firings('cron(0 9 15W * ? *)', 'UTC', '2024-06-01T00:00:00Z', 1)).toEqual([
      '2024-06-14T09:00:00.000Z',
    ]);
    expect(firings('cron(0 9 ? * MON#1 *)', 'UTC', '2024-01-02T00:00:00Z', 2)).toEqual([
      '2024-02-05T09:00:00.000Z',
      '2024-03-04T09:00:00.000Z',
    ]);
  });

  it('steps and the year field', () => {
    expect(firings('cron(0/20 9 * * ? *)', 'UTC', '2024-06-01T08:00:00Z')).toEqual([
      '2024-06-01T09:00:00.000Z',
      '2024-06-01T09:20:00.000Z',
      '2024-06-01T09:40:00.000Z',
    ]);
    expect(firings('cron(0 0 1 1 ? 2030)', 'UTC', '2024-06-01T00:00:00Z')).toEqual([
      '2030-01-01T00:00:00.000Z',
    ]);
    expect(firings('cron(0 0 1 1 ? 2020)', 'UTC', '2024-06-01T00:00:00Z')).toEqual([]);
  });

  it('skips a time that does not exist when clocks go forward', () => {
    // Paris, 2024-03-31: 02:00 becomes 03:00, so there is no 02:30 that day.
    expect(firings('cron(30 2 * * ? *)', 'Europe/Paris', '2024-03-29T12:00:00Z')).toEqual([
      '2024-03-30T01:30:00.000Z',
      '2024-04-01T00:30:00.000Z',
      '2024-04-02T00:30:00.000Z',
    ]);
  });

  it('fires a time that occurs twice once, when clocks go back', () => {
    // Paris, 2024-10-27: 03:00 becomes 02:00, so 02:00-02:59 happens twice (00:00Z-00:59Z, 01:00Z-01:59Z).
    expect(firings('cron(30 2 * * ? *)', 'Europe/Paris', '2024-10-26T12:00:00Z', 2)).toEqual([
      '2024-10-27T00:30:00.000Z',
      '2024-10-28T01:30:00.000Z',
    ]);
    expect(firings('cron(0/30 * * * ? *)', 'Europe/Paris', '2024-10-26T23:45:00Z', 5)).toEqual([
      '2024-10-27T00:00:00.000Z',
      '2024-10-27T00:30:00.000Z',
      // 02:00 and 02:30 again (01:00Z, 01:30Z) are skipped.
      '2024-10-27T02:00:00.000Z',
      '2024-10-27T02:30:00.000Z',
      '2024-10-27T03:00:00.000Z',
    ]);
  });

  it('keeps the local time across a change (New York, spring)', () => {
    expect(firings('cron(0 9 * * ? *)', 'America/New_York', '2024-03-09T15:00:00Z', 2)).toEqual([
      '2024-03-10T13:00:00.000Z',
      '2024-03-11T13:00:00.000Z',
    ]);
  });
});

describe('rate expressions', () => {
  it('fire every period from their start', () => {
    const schedule = expression('rate(15 minutes)');
    const start = Date.parse('2024-06-01T09:00:00Z');
    expect(nextFiring(schedule, 'UTC', start, start)).toBe(start + 15 * 60_000);
    expect(nextFiring(schedule, 'UTC', start + 15 * 60_000, start)).toBe(start + 30 * 60_000);
    expect(nextFiring(schedule, 'UTC', start + 16 * 60_000, start)).toBe(start + 30 * 60_000);
    expect(expression('rate(1 day)')).toEqual({
      kind: 'rate',
      expression: 'rate(1 day)',
      everyMs: 86_400_000,
    });
  });
});
