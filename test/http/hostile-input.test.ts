import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { operations } from '../../lib/catalog/index.ts';
import { type ActionStack, actionStack } from '../helpers/action-stack.ts';
import { JSON_HEADERS } from '../helpers/mock-intercom.ts';

let stack: ActionStack;
beforeAll(async () => {
  stack = await actionStack();
  // Whatever gets through validation meets an Intercom that says yes.
  stack.pool
    .intercept({ path: () => true, method: () => true })
    .reply(200, { type: 'thing', id: '1' }, { headers: JSON_HEADERS })
    .persist();
});
afterAll(async () => {
  await stack.agent.close();
});

const nasty = fc.oneof(
  fc.constantFrom(
    'a/../b?c#d',
    '..',
    '.',
    '%2e%2e',
    '/',
    '?',
    '#',
    '\u0000',
    'x'.repeat(20_000),
    '💥'.repeat(300),
    '__proto__',
    '{{x}}',
  ),
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
);

function hostileBody(paramNames: string[]) {
  const keys = fc.constantFrom(
    ...paramNames,
    'body',
    '$body',
    '__proto__',
    'constructor',
    'prototype',
    'resultsPath',
    'limit',
    'next',
  );
  return fc.oneof(
    fc.dictionary(keys, nasty, { maxKeys: 6 }).map((o) => JSON.stringify(o)),
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.constantFrom(
      '{"__proto__": {"polluted": true}}',
      '{"body": {"__proto__": {"admin": true}}}',
      '[]',
      'null',
      '"x"',
      '{',
      '\u0000',
    ),
  );
}

describe('hostile input across all 57 endpoints (property-based)', () => {
  it('never produces a 5xx, and every error has the contract shape', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .constantFrom(...operations)
          .chain((op) => fc.tuple(fc.constant(op), hostileBody(Object.keys(op.params)))),
        async ([op, body]) => {
          const res = await stack.invoke({
            path: `/actions/${op.name}`,
            body,
            headers: { 'content-type': 'application/json' },
          });
          expect(res.statusCode).toBeLessThan(500);
          if (res.statusCode! >= 400)
            expect(res.json.error).toMatchObject({ status: res.statusCode, code: expect.any(String) });
          expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        },
      ),
      { numRuns: 600, seed: 20261125 },
    );
  });

  it('treats hostile operation names as unknown operations', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 300 }), async (name) => {
        const res = await stack.invoke({ path: `/actions/${encodeURIComponent(name)}`, body: {} });
        expect(res.statusCode).toBeLessThan(500);
        if (!operations.some((op) => op.name === name)) expect(res.statusCode).toBe(404);
      }),
      { numRuns: 200, seed: 7 },
    );
  });
});
