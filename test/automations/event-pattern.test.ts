/** EventBridge pattern matching, the supported subset, as EventBridge documents it. */
import { describe, expect, it } from '@jest/globals';
import { matchesPattern } from '../../lib/automations/event-pattern.ts';
import type { EventPattern } from '../../lib/automations/types.ts';

const EVENT = {
  source: 'com.example.shop',
  'detail-type': 'OrderPlaced',
  detail: {
    orderId: 'o-1',
    total: 120,
    status: 'paid',
    tags: ['new', 'gift'],
    customer: { email: 'ada@example.com', vip: true, note: null },
  },
};

const matches = (pattern: EventPattern, event: unknown = EVENT) => matchesPattern(pattern, event);

describe('event patterns', () => {
  it('matches exact values and lists of values, strings only to strings', () => {
    expect(matches({ source: ['com.example.shop'] })).toBe(true);
    expect(matches({ source: ['a', 'com.example.shop'] })).toBe(true);
    expect(matches({ source: ['com.example'] })).toBe(false);
    expect(matches({ detail: { total: [120] } })).toBe(true);
    expect(matches({ detail: { total: ['120'] } })).toBe(false);
    expect(matches({ detail: { customer: { vip: [true], note: [null] } } })).toBe(true);
  });

  it('matches a list in the event when any element matches', () => {
    expect(matches({ detail: { tags: ['gift'] } })).toBe(true);
    expect(matches({ detail: { tags: ['old', 'vip'] } })).toBe(false);
  });

  it('needs every field of the pattern, nested ones included', () => {
    expect(matches({ source: ['com.example.shop'], detail: { status: ['paid'], total: [1] } })).toBe(false);
    expect(matches({ detail: { customer: { email: [{ prefix: 'ada@' }] } } })).toBe(true);
    expect(matches({ detail: { missing: { deeper: ['x'] } } })).toBe(false);
  });

  it('prefix: strings that start with it', () => {
    expect(matches({ source: [{ prefix: 'com.example.' }] })).toBe(true);
    expect(matches({ source: [{ prefix: 'org.' }] })).toBe(false);
    expect(matches({ detail: { total: [{ prefix: '1' }] } })).toBe(false);
  });

  it('exists: present or absent (null is present), also below a missing parent', () => {
    expect(matches({ detail: { orderId: [{ exists: true }] } })).toBe(true);
    expect(matches({ detail: { coupon: [{ exists: true }] } })).toBe(false);
    expect(matches({ detail: { coupon: [{ exists: false }] } })).toBe(true);
    expect(matches({ detail: { customer: { note: [{ exists: true }] } } })).toBe(true);
    expect(matches({ detail: { nothing: { here: [{ exists: false }] } } })).toBe(true);
  });

  it('anything-but: present values of the same kind that differ', () => {
    expect(matches({ detail: { status: [{ 'anything-but': 'cancelled' }] } })).toBe(true);
    expect(matches({ detail: { status: [{ 'anything-but': ['paid', 'cancelled'] }] } })).toBe(false);
    expect(matches({ detail: { total: [{ 'anything-but': 100 }] } })).toBe(true);
    expect(matches({ detail: { total: [{ 'anything-but': 'x' }] } })).toBe(false);
    expect(matches({ detail: { coupon: [{ 'anything-but': 'x' }] } })).toBe(false);
    expect(matches({ source: [{ 'anything-but': { prefix: 'com.' } }] })).toBe(false);
    expect(matches({ source: [{ 'anything-but': { prefix: 'org.' } }] })).toBe(true);
  });

  it('numeric: numbers within every bound', () => {
    expect(matches({ detail: { total: [{ numeric: ['>', 100] }] } })).toBe(true);
    expect(matches({ detail: { total: [{ numeric: ['>', 100, '<=', 120] }] } })).toBe(true);
    expect(matches({ detail: { total: [{ numeric: ['>=', 0, '<', 120] }] } })).toBe(false);
    expect(matches({ detail: { total: [{ numeric: ['=', 120] }] } })).toBe(true);
    expect(matches({ detail: { status: [{ numeric: ['>', 0] }] } })).toBe(false);
  });

  it('matches nothing in what is not an event object', () => {
    expect(matches({ source: ['a'] }, null)).toBe(false);
    expect(matches({ source: [{ exists: false }] }, 'text')).toBe(true);
  });
});
