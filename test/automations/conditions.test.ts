import { describe, expect, it } from '@jest/globals';
import {
  type Condition,
  conditionHolds,
  isWithinHours,
  localTime,
  type Notification,
  type OfficeHours,
  sampleNotification,
} from '../../lib/automations/index.ts';

const user = sampleNotification('user.created');

function at(iso: string, base: Notification = user): Notification {
  return { ...structuredClone(base), created_at: Date.parse(iso) / 1000 };
}

const holds = (condition: Condition, n: Notification = user) => conditionHolds(condition, n);

describe('equals', () => {
  it('compares JSON values deeply', () => {
    expect(holds({ path: 'data.item.email', equals: 'ada.lovelace@example.com' })).toBe(true);
    expect(holds({ path: 'data.item.email', equals: 'ADA.LOVELACE@EXAMPLE.COM' })).toBe(false);
    expect(holds({ path: 'data.item.session_count', equals: 3 })).toBe(true);
    expect(holds({ path: 'data.item.session_count', equals: '3' })).toBe(false);
    expect(holds({ path: 'data.item.custom_attributes', equals: { seats: 12, plan: 'pro' } })).toBe(true);
    expect(holds({ path: 'data.item.custom_attributes', equals: { plan: 'pro' } })).toBe(false);
    expect(holds({ path: 'data.item.pseudonym', equals: null })).toBe(true);
    expect(holds({ path: 'data.item.tags.tags.0.name', equals: 'vip' })).toBe(true);
  });

  it('a missing value equals nothing, not even null', () => {
    expect(holds({ path: 'data.item.nothing', equals: null })).toBe(false);
    expect(holds({ path: 'data.item.nothing', equals: '' })).toBe(false);
  });

  it('not negates', () => {
    expect(holds({ path: 'data.item.email', equals: 'x', not: true })).toBe(true);
    expect(holds({ path: 'data.item.nothing', equals: null, not: true })).toBe(true);
  });
});

describe('in', () => {
  it('holds when the value equals one of the list', () => {
    expect(holds({ path: 'topic', in: ['user.created', 'contact.created'] })).toBe(true);
    expect(holds({ path: 'data.item.session_count', in: [1, 2, 3] })).toBe(true);
    expect(holds({ path: 'data.item.type', in: ['contact'] })).toBe(false);
    expect(holds({ path: 'data.item.nothing', in: [null] })).toBe(false);
    expect(holds({ path: 'data.item.type', in: ['contact'], not: true })).toBe(true);
  });
});

describe('exists', () => {
  it('null counts as absent', () => {
    expect(holds({ path: 'data.item.email', exists: true })).toBe(true);
    expect(holds({ path: 'data.item.pseudonym', exists: true })).toBe(false);
    expect(holds({ path: 'data.item.pseudonym', exists: false })).toBe(true);
    expect(holds({ path: 'data.item.nothing', exists: false })).toBe(true);
    expect(holds({ path: 'data.item.nothing', exists: true, not: true })).toBe(true);
    expect(holds({ path: 'data.item.anonymous', exists: true })).toBe(true);
  });
});

describe('contains', () => {
  it('a substring of a string, case-sensitive', () => {
    expect(holds({ path: 'data.item.email', contains: '@example.com' })).toBe(true);
    expect(holds({ path: 'data.item.email', contains: '@EXAMPLE.com' })).toBe(false);
    expect(holds({ path: 'data.item.session_count', contains: '3' })).toBe(false);
    expect(holds({ path: 'data.item.email', contains: 3 })).toBe(false);
  });

  it('an element of a list; objects match by subset', () => {
    const n = sampleNotification('user.created');
    n.data.item.custom_attributes = { roles: ['admin', 'billing'], ids: [1, 2] };
    expect(holds({ path: 'data.item.custom_attributes.roles', contains: 'billing' }, n)).toBe(true);
    expect(holds({ path: 'data.item.custom_attributes.roles', contains: 'bill' }, n)).toBe(false);
    expect(holds({ path: 'data.item.custom_attributes.ids', contains: 2 }, n)).toBe(true);
    expect(holds({ path: 'data.item.tags.tags', contains: { name: 'vip' } }, n)).toBe(true);
    expect(holds({ path: 'data.item.tags.tags', contains: { name: 'vip', id: '1' } }, n)).toBe(false);
    expect(holds({ path: 'data.item.tags.tags', contains: { name: 'vip' }, not: true }, n)).toBe(false);
  });

  it('never holds on missing values, objects or numbers', () => {
    expect(holds({ path: 'data.item.nothing', contains: 'x' })).toBe(false);
    expect(holds({ path: 'data.item.custom_attributes', contains: 'pro' })).toBe(false);
    expect(holds({ path: 'data.item.nothing', contains: 'x', not: true })).toBe(true);
  });
});

describe('office hours', () => {
  const paris: OfficeHours = {
    timezone: 'Europe/Paris',
    days: ['mon', 'tue', 'wed', 'thu', 'fri'],
    from: '09:00',
    to: '18:00',
  };
  const outside: Condition = { outsideHours: paris };
  const within: Condition = { withinHours: paris };

  it.each([
    // Winter, Paris is UTC+1.
    ['2024-01-05T07:59:00Z', 'fri 08:59', false],
    ['2024-01-05T08:00:00Z', 'fri 09:00', true],
    ['2024-01-05T16:59:00Z', 'fri 17:59', true],
    ['2024-01-05T17:00:00Z', 'fri 18:00 (to is exclusive)', false],
    // Summer, Paris is UTC+2: the same UTC time is an hour later there.
    ['2024-07-05T07:00:00Z', 'fri 09:00', true],
    ['2024-07-05T16:00:00Z', 'fri 18:00', false],
    // The weekend, in Paris time.
    ['2024-01-06T10:00:00Z', 'sat 11:00', false],
    ['2024-01-07T23:30:00Z', 'mon 00:30', false],
    ['2024-01-08T08:30:00Z', 'mon 09:30', true],
    // Friday evening UTC is already Saturday in Paris.
    ['2024-07-05T22:30:00Z', 'sat 00:30', false],
  ])('%s is %s in Paris: within=%s', (iso, _label, inside) => {
    const n = at(iso);
    expect(holds(within, n)).toBe(inside);
    expect(holds(outside, n)).toBe(!inside);
    expect(holds({ ...outside, not: true }, n)).toBe(inside);
  });

  it('reads local days and times across zones and the date line', () => {
    const sunday2000Utc = Date.parse('2024-01-07T20:00:00Z') / 1000;
    expect(localTime(sunday2000Utc, 'UTC')).toEqual({ day: 'sun', minutes: 1200 });
    expect(localTime(sunday2000Utc, 'Asia/Tokyo')).toEqual({ day: 'mon', minutes: 300 });
    expect(localTime(sunday2000Utc, 'America/New_York')).toEqual({ day: 'sun', minutes: 900 });
    expect(localTime(sunday2000Utc, 'Pacific/Kiritimati')).toEqual({ day: 'mon', minutes: 600 });
    const tokyo: OfficeHours = { timezone: 'Asia/Tokyo', days: ['mon'], from: '09:00', to: '17:00' };
    expect(isWithinHours(tokyo, sunday2000Utc)).toBe(false);
    expect(isWithinHours(tokyo, sunday2000Utc + 4 * 3600)).toBe(true);
    const newYork: OfficeHours = { ...tokyo, timezone: 'America/New_York', days: ['sun'] };
    expect(isWithinHours(newYork, sunday2000Utc)).toBe(true);
  });

  it('follows daylight saving time on the night it changes', () => {
    // 31 March 2024: Paris goes from UTC+1 to UTC+2 at 01:00 UTC.
    const hours: OfficeHours = { timezone: 'Europe/Paris', days: ['sun'], from: '02:30', to: '03:30' };
    expect(localTime(Date.parse('2024-03-31T00:59:00Z') / 1000, 'Europe/Paris')).toEqual({
      day: 'sun',
      minutes: 119,
    });
    expect(localTime(Date.parse('2024-03-31T01:00:00Z') / 1000, 'Europe/Paris')).toEqual({
      day: 'sun',
      minutes: 180,
    });
    expect(isWithinHours(hours, Date.parse('2024-03-31T01:15:00Z') / 1000)).toBe(true);
  });

  it('an overnight window belongs to the day it starts on', () => {
    const night: OfficeHours = { timezone: 'UTC', days: ['fri'], from: '22:00', to: '06:00' };
    expect(isWithinHours(night, Date.parse('2024-01-05T21:59:00Z') / 1000)).toBe(false);
    expect(isWithinHours(night, Date.parse('2024-01-05T22:00:00Z') / 1000)).toBe(true);
    expect(isWithinHours(night, Date.parse('2024-01-06T05:59:00Z') / 1000)).toBe(true);
    expect(isWithinHours(night, Date.parse('2024-01-06T06:00:00Z') / 1000)).toBe(false);
    // Thursday night does not count: only Friday is listed.
    expect(isWithinHours(night, Date.parse('2024-01-05T03:00:00Z') / 1000)).toBe(false);
  });

  it('"24:00" closes at midnight', () => {
    const late: OfficeHours = { timezone: 'UTC', days: ['mon'], from: '20:00', to: '24:00' };
    expect(isWithinHours(late, Date.parse('2024-01-08T23:59:00Z') / 1000)).toBe(true);
    expect(isWithinHours(late, Date.parse('2024-01-09T00:00:00Z') / 1000)).toBe(false);
  });

  it('uses first_sent_at without created_at, and fails without either', () => {
    const n = at('2024-01-06T10:00:00Z');
    delete n.created_at;
    n.first_sent_at = Date.parse('2024-01-05T10:00:00Z') / 1000;
    expect(holds(within, n)).toBe(true);
    delete n.first_sent_at;
    expect(holds(within, n)).toBe(false);
    expect(holds(outside, n)).toBe(false);
    n.created_at = Number.NaN;
    expect(holds(outside, n)).toBe(false);
  });
});
