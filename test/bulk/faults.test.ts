/**
 * Bulk jobs through Intercom's bad minutes: the sandbox injects 500s, 503s, 429s, connection resets
 * and stalls while a non-idempotent operation (create_note) runs. Every item must end succeeded or
 * failed with a reason, none lost, and no note created twice.
 */
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import { type BulkTestStack, startBulkTestStack } from '../helpers/bulk-stack.ts';

let t: BulkTestStack;
beforeAll(async () => {
  // One-second windows keep the pauses after injected 429s short.
  t = await startBulkTestStack(
    { bulk: { workerTimeoutMs: 15_000, maxConcurrency: 4 } },
    // Lost answers are looked up a second later instead of a minute (the sandbox answers at once).
    { RATE_LIMIT_WINDOW_SECONDS: '1', RATE_LIMIT_DEFAULT_PER_WINDOW: '100', BULK_VERIFY_DELAY_SECONDS: '1' },
  );
  t.stack.sandbox!.configure({ rateLimit: { perWindow: 100, windowSeconds: 1 } });
}, 30_000);
afterAll(async () => t?.close());

it('ends every create_note succeeded or failed with a reason, none lost, none duplicated', async () => {
  const user = await t.request('POST', '/actions/create_user', {
    body: { user_id: 'fault-user', email: 'fault@example.com' },
  });
  expect(user.status).toBe(200);
  const notesBefore = t.stack.sandbox!.stats().objects.notes;
  t.stack.sandbox!.configure({
    faults: {
      rates: { '500': 0.1, '503': 0.03, '429': 0.05, reset: 0.02, stall: 0.01 },
      stallMs: 500,
      seed: 7,
    },
  });
  const items = Array.from({ length: 300 }, (_, i) => ({
    body: { body: `note-${i}`, user: { user_id: 'fault-user' } },
  }));
  const submitted = await t.request('POST', '/bulk/create_note', { items });
  expect(submitted.status).toBe(202);
  const job = await t.waitForJob(submitted.json.jobId, 150_000);
  t.stack.sandbox!.configure({ faults: null });

  expect(job.total).toBe(300);
  expect(job.succeeded + job.failed).toBe(300);
  expect(job.pending).toBe(0);
  const stats = t.stack.sandbox!.stats();
  expect(stats.faults['500']).toBeGreaterThan(0);
  expect(stats.faults['429']).toBeGreaterThan(0);
  expect(stats.faults.reset).toBeGreaterThan(0);

  // Each success is exactly one note; no body was created twice.
  const created = new Map<string, number>();
  for (const r of t.stack.sandbox!.requests()) {
    if (r.method === 'POST' && r.path === '/notes' && r.status === 200) {
      const body = String((r.body as any)?.body);
      created.set(body, (created.get(body) ?? 0) + 1);
    }
  }
  expect([...created.values()].every((n) => n === 1)).toBe(true);
  expect(created.size).toBe(job.succeeded);
  expect(stats.objects.notes - notesBefore).toBe(job.succeeded);

  // Every failure (if any: an item out of attempts) carries a reason, and its note does not exist.
  const failures: any[] = [];
  let next: string | null = null;
  do {
    const page = await t.request(
      'GET',
      `/bulk/jobs/${job.jobId}/failures?limit=100${next ? `&next=${next}` : ''}`,
    );
    failures.push(...page.json.failures);
    next = page.json.next;
  } while (next);
  expect(failures).toHaveLength(job.failed);
  for (const failure of failures) {
    expect(typeof failure.error.code).toBe('string');
    expect(failure.error.message.length).toBeGreaterThan(0);
    expect(created.has(failure.input.body.body)).toBe(false);
  }
  // Dropped connections were looked up (GET /notes) instead of failing as outcome_unknown or running twice.
  const lookups = t.stack.sandbox!.requests().filter((r) => r.method === 'GET' && r.path === '/notes');
  expect(lookups.length).toBeGreaterThan(0);
  expect(job.succeeded).toBeGreaterThanOrEqual(295);
}, 180_000);
