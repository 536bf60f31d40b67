import { describe, expect, it } from '@jest/globals';
import { jsonResponse } from '../../lib/http/response.ts';
import {
  ByteBudget,
  LAMBDA_RESPONSE_LIMIT_BYTES,
  LIST_BUDGET_BYTES,
  lambdaResponseBytes,
  listItemBytes,
  RESPONSE_BUDGET_BYTES,
} from '../../lib/validation/response-size.ts';

/** Items whose JSON grows when the body becomes a string, and items whose bytes are not their length. */
const ITEMS: unknown[] = [
  { type: 'user', id: '1', name: 'Ada "the first" Lovelace', path: 'C:\\Users\\ada' },
  { name: 'Zoë 日本 🎉', note: 'tab\there\nnew line\u0001bell' },
  { lone: 'x\ud800y', back: '\\\\"' },
  'a "string" item',
  12345.5,
  null,
  true,
  [],
  { nested: { deeper: [{ q: '"' }, { b: '\\' }] } },
];

describe('the size of a list item in a Lambda response', () => {
  it('is exactly what the item adds to the serialized response (quotes and backslashes count twice)', () => {
    const envelope = (data: unknown[]) =>
      lambdaResponseBytes(
        jsonResponse(200, { data, next: 'cursor', requestId: 'req-1' }, { 'x-request-id': 'r' }),
      );
    const empty = envelope([]);
    const all = envelope(ITEMS);
    const counted = ITEMS.reduce<number>((sum, item) => sum + listItemBytes(item), 0);
    // The last item has no comma after it.
    expect(all - empty).toBe(counted - 1);
    for (const item of ITEMS) expect(envelope([item]) - empty).toBe(listItemBytes(item) - 1);
  });

  it('counts what Lambda counts: the UTF-8 bytes of the serialized return value', () => {
    const result = { statusCode: 200, body: '"é"' };
    expect(lambdaResponseBytes(result)).toBe(Buffer.byteLength('{"statusCode":200,"body":"\\"é\\""}'));
  });

  it('keeps the list budget inside the response budget, inside the limit', () => {
    expect(LAMBDA_RESPONSE_LIMIT_BYTES).toBe(6_291_556);
    expect(LIST_BUDGET_BYTES).toBeLessThan(RESPONSE_BUDGET_BYTES);
    expect(RESPONSE_BUDGET_BYTES).toBeLessThan(LAMBDA_RESPONSE_LIMIT_BYTES - 1024 * 1024 + 1);
  });
});

describe('a byte budget', () => {
  it('takes items while they fit and refuses the first that does not, counting nothing for it', () => {
    const item = { id: 'x'.repeat(98) };
    const size = listItemBytes(item);
    const budget = new ByteBudget(size * 2 + size - 1);
    expect([budget.take(item), budget.take(item), budget.take(item)]).toEqual([true, true, false]);
    expect(budget.used).toBe(size * 2);
    expect(budget.fits(size - 1)).toBe(true);
    expect(budget.fits(size)).toBe(false);
  });

  it('always takes the first item, so a list always moves on', () => {
    const budget = new ByteBudget(10);
    expect(budget.take({ big: 'x'.repeat(1000) })).toBe(true);
    expect(budget.take({})).toBe(false);
  });

  it('adds a whole page past the budget when told to (a scroll page)', () => {
    const budget = new ByteBudget(10);
    budget.add({ a: 1 });
    budget.add({ b: 2 });
    expect(budget.used).toBe(listItemBytes({ a: 1 }) + listItemBytes({ b: 2 }));
    expect(budget.fits(0)).toBe(false);
  });

  it('without a maximum takes everything', () => {
    const budget = new ByteBudget();
    for (let i = 0; i < 1000; i++) expect(budget.take({ i, pad: 'x'.repeat(10_000) })).toBe(true);
  });
});
