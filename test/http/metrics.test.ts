import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type ActionStack, actionStack } from '../helpers/action-stack.ts';
import { rateHeaders } from '../helpers/mock-intercom.ts';

let stack: ActionStack;
const lines: string[] = [];
const originalWrite = process.stdout.write.bind(process.stdout);

beforeAll(async () => {
  delete process.env.POWERTOOLS_DEV;
  process.stdout.write = ((chunk: unknown) => {
    lines.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  stack = await actionStack({ metrics: true });
});
afterAll(async () => {
  process.stdout.write = originalWrite;
  await stack.agent.close();
});

function emf(): Array<{ names: string[]; record: Record<string, unknown> }> {
  return lines
    .join('')
    .split('\n')
    .filter((l) => l.includes('"_aws"'))
    .map((l) => JSON.parse(l))
    .map((record) => ({
      names: record._aws.CloudWatchMetrics[0].Metrics.map((m: { Name: string }) => m.Name),
      record,
    }));
}

describe('EMF metrics', () => {
  it('publish requests, Intercom latency, rate-limit headroom and errors by code, once per invocation', async () => {
    const reset = Math.floor(Date.now() / 1000) + 10;
    stack.pool
      .intercept({ path: '/tags', method: 'GET' })
      .reply(200, { type: 'tag.list', tags: [] }, { headers: rateHeaders(150, reset) });
    await stack.invoke({ path: '/actions/list_tags' });
    await stack.invoke({ path: '/actions/list_tags', key: null });
    const records = emf();
    const main = records.filter((r) => r.names.includes('Requests'));
    expect(main).toHaveLength(2);
    expect(main[0]!.names).toEqual(
      expect.arrayContaining(['Requests', 'IntercomLatency', 'IntercomRateLimitRemaining']),
    );
    expect(main[0]!.record.IntercomRateLimitRemaining).toBe(150);
    const errors = records.find((r) => r.names.includes('Errors'));
    expect(errors?.record.ErrorCode).toBe('unauthorized');
  });
});
