/** The local stack's embedded sandbox takes its latency from SANDBOX_LATENCY_MS and SANDBOX_JITTER_MS. */
import { describe, expect, it } from '@jest/globals';
import { ConfigError } from '../../lib/config/parse.ts';
import { startBulkTestStack } from '../helpers/bulk-stack.ts';

describe('local stack sandbox latency', () => {
  it('starts its sandbox with the latency from the environment', async () => {
    const t = await startBulkTestStack({}, { SANDBOX_LATENCY_MS: '30', SANDBOX_JITTER_MS: '10' });
    try {
      expect(t.stack.sandbox!.config().latency).toEqual({ baseMs: 30, jitterMs: 10, routes: {} });
      const res = await t.request('POST', '/actions/list_tags', { resultsPath: 'tags' });
      expect(res.status).toBe(200);
      const held = t.stack.sandbox!.requests().filter((r) => r.path === '/tags');
      expect(held.length).toBeGreaterThan(0);
      for (const r of held) {
        expect(r.delayMs).toBeGreaterThanOrEqual(20);
        expect(r.delayMs).toBeLessThanOrEqual(40);
      }
    } finally {
      await t.close();
    }
  });

  it('refuses a bad value as a configuration error naming the variable', async () => {
    const started = startBulkTestStack({}, { SANDBOX_LATENCY_MS: '20', SANDBOX_JITTER_MS: '50' });
    await expect(started).rejects.toThrow(ConfigError);
    await expect(started).rejects.toThrow('SANDBOX_JITTER_MS must not exceed SANDBOX_LATENCY_MS');
  });
});
