/**
 * An answer Lambda could not carry (over 6,291,556 bytes serialized) is refused by the function
 * itself with 502 `response_too_large` and the request id, where AWS would answer an opaque 500.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { LAMBDA_RESPONSE_LIMIT_BYTES, lambdaResponseBytes } from '../../lib/validation/response-size.ts';
import { type ActionStack, actionStack } from '../helpers/action-stack.ts';
import { JSON_HEADERS } from '../helpers/mock-intercom.ts';

let stack: ActionStack;
beforeAll(async () => {
  stack = await actionStack();
});
afterAll(async () => {
  await stack.agent.close();
});

/** A conversation of `parts` parts whose bodies hold `text`. */
function conversation(parts: number, text: string) {
  return {
    type: 'conversation',
    id: '77',
    conversation_parts: {
      type: 'conversation_part.list',
      conversation_parts: Array.from({ length: parts }, (_, i) => ({
        type: 'conversation_part',
        id: String(i),
        part_type: 'comment',
        body: text,
      })),
      total_count: parts,
    },
  };
}

async function getConversation(answer: object) {
  stack.pool
    .intercept({ path: '/conversations/77', method: 'GET' })
    .reply(200, answer, { headers: JSON_HEADERS });
  return stack.invoke({
    path: '/actions/get_conversation',
    body: { id: '77' },
    headers: { 'x-request-id': 'req-too-large' },
  });
}

describe('an answer too large for a Lambda response', () => {
  it('is 502 response_too_large with the request id, not an opaque 500 from API Gateway', async () => {
    const res = await getConversation(conversation(500, `<p>${'x'.repeat(14_000)}</p>`));
    expect(res.statusCode).toBe(502);
    expect(res.headers?.['x-request-id']).toBe('req-too-large');
    expect(res.json.error).toMatchObject({
      status: 502,
      code: 'response_too_large',
      requestId: 'req-too-large',
    });
    expect(res.json.error.message).toMatch(/more than the 6291556 bytes an AWS Lambda response can carry/);
  });

  it('counts the body as Lambda does: each quote of its JSON twice', async () => {
    // About 3.3 MB of body, over 6.5 MB once the body is a string in the Lambda response.
    const text = `"${'"'.repeat(1_640)}"`;
    const answer = conversation(1_000, text);
    expect(JSON.stringify({ data: answer }).length).toBeLessThan(LAMBDA_RESPONSE_LIMIT_BYTES);
    const res = await getConversation(answer);
    expect(res.statusCode).toBe(502);
    expect(res.json.error.code).toBe('response_too_large');
  });

  it('lets through an answer that fits, however close', async () => {
    const res = await getConversation(conversation(500, 'x'.repeat(12_200)));
    expect(res.statusCode).toBe(200);
    const { json: _json, ...result } = res;
    expect(lambdaResponseBytes(result)).toBeGreaterThan(6_000_000);
    expect(lambdaResponseBytes(result)).toBeLessThanOrEqual(LAMBDA_RESPONSE_LIMIT_BYTES);
  });
});
