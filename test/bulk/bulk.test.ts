/** Bulk jobs end to end: HTTP intake -> SQS emulator -> worker -> sandbox, with job records in the DynamoDB emulator. */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type BulkTestStack, startBulkTestStack } from '../helpers/bulk-stack.ts';

let t: BulkTestStack;
beforeAll(async () => {
  t = await startBulkTestStack({ bulk: { workerTimeoutMs: 15_000, maxConcurrency: 4 } });
}, 30_000);
afterAll(async () => t?.close());

const users = (n: number, prefix: string) =>
  Array.from({ length: n }, (_, i) => ({
    body: { user_id: `${prefix}-${i}`, email: `${prefix}-${i}@example.com` },
  }));

/** Requests the sandbox answered (any status unless given) for a method and path whose body matches. */
function wireCount(method: string, path: string, predicate: (body: any) => boolean, status?: number): number {
  return t.stack
    .sandbox!.requests()
    .filter(
      (r) =>
        r.method === method &&
        r.path === path &&
        (status === undefined || r.status === status) &&
        predicate(r.body),
    ).length;
}

describe('bulk jobs', () => {
  it('runs each of 1,000 items exactly once and the counts add up', async () => {
    const stats = t.stack.sandbox!.stats();
    const before = { users: stats.objects.users, posts: stats.requests['POST /users'] };
    const submitted = await t.request('POST', '/bulk/create_update_user', { items: users(1000, 'k') });
    expect(submitted.status).toBe(202);
    expect(submitted.json).toMatchObject({
      total: 1000,
      accepted: 1000,
      rejected: [],
      offset: 0,
      final: true,
    });
    expect(submitted.json.jobId).toMatch(/^job_/);
    const job = await t.waitForJob(submitted.json.jobId, 120_000);
    expect(job).toMatchObject({
      status: 'completed',
      total: 1000,
      succeeded: 1000,
      failed: 0,
      pending: 0,
      attempt: 1,
    });
    // 1,000 distinct users: exactly 1,000 POSTs, each creating one user, proves each item ran once.
    const after = t.stack.sandbox!.stats();
    expect(after.objects.users - before.users).toBe(1000);
    expect((after.requests['POST /users'] ?? 0) - (before.posts ?? 0)).toBe(1000);
  }, 150_000);

  it('rejects invalid items by index and runs the valid ones', async () => {
    const items = [
      { body: { user_id: 'mix-0' } },
      { body: { nope: true } },
      'not an object',
      { body: { user_id: 'mix-3' }, limit: 5 },
      { body: { user_id: 'mix-4' } },
    ];
    const submitted = await t.request('POST', '/bulk/create_update_user', { items });
    expect(submitted.status).toBe(202);
    expect(submitted.json.accepted).toBe(2);
    expect(submitted.json.rejected.map((r: any) => r.index)).toEqual([1, 2, 3]);
    expect(submitted.json.rejected[0].error).toMatchObject({ code: 'validation_failed' });
    expect(submitted.json.rejected[1].error.details).toEqual([
      { path: '/', message: "must be an object of the operation's parameters" },
    ]);
    expect(submitted.json.rejected[2].error.details).toEqual([
      { path: '/limit', message: 'is not supported in bulk items' },
    ]);
    const job = await t.waitForJob(submitted.json.jobId);
    expect(job).toMatchObject({ status: 'completed', total: 2, succeeded: 2, failed: 0 });
  });

  it('accepts a job submitted twice with one Idempotency-Key once', async () => {
    const items = users(20, 'twice');
    const headers = { 'idempotency-key': 'import-2026-11-25' };
    const first = await t.request('POST', '/bulk/create_update_user', { items }, headers);
    const second = await t.request('POST', '/bulk/create_update_user', { items }, headers);
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.json.jobId).toBe(first.json.jobId);
    const job = await t.waitForJob(first.json.jobId);
    expect(job).toMatchObject({ status: 'completed', total: 20, succeeded: 20 });
    expect(wireCount('POST', '/users', (b) => String(b?.user_id).startsWith('twice-'))).toBe(20);
    const status = await t.request('GET', `/bulk/jobs/${first.json.jobId}`);
    expect(status.json).toMatchObject({ succeeded: 20, failed: 0, pending: 0 });
  });

  it('builds one job from ordered chunks and completes it only after the final one', async () => {
    const first = await t.request('POST', '/bulk/create_update_user', {
      items: users(5, 'chunk-a'),
      final: false,
    });
    expect(first.status).toBe(202);
    const { jobId } = first.json;
    await new Promise((r) => setTimeout(r, 500));
    const open = await t.request('GET', `/bulk/jobs/${jobId}`);
    // Never completed while open, however far the workers got.
    expect(open.json).toMatchObject({ final: false, total: 5 });
    expect(['queued', 'running']).toContain(open.json.status);
    const wrongOffset = await t.request('POST', '/bulk/create_update_user', {
      jobId,
      offset: 3,
      items: users(2, 'x'),
    });
    expect(wrongOffset.status).toBe(409);
    expect(wrongOffset.json.error.code).toBe('offset_mismatch');
    const otherOp = await t.request('POST', '/bulk/create_tag', {
      jobId,
      offset: 5,
      items: [{ body: { name: 'x' } }],
    });
    expect(otherOp.status).toBe(409);
    expect(otherOp.json.error.code).toBe('job_conflict');
    const last = await t.request('POST', '/bulk/create_update_user', {
      jobId,
      offset: 5,
      items: [...users(3, 'chunk-b'), { bad: 1 }],
    });
    expect(last.status).toBe(202);
    expect(last.json.rejected.map((r: any) => r.index)).toEqual([8]);
    const replay = await t.request('POST', '/bulk/create_update_user', {
      jobId,
      offset: 5,
      items: [...users(3, 'chunk-b'), { bad: 1 }],
    });
    expect(replay.status).toBe(202);
    const closed = await t.request('POST', '/bulk/create_update_user', {
      jobId,
      offset: 9,
      items: users(1, 'late'),
    });
    expect(closed.json.error.code).toBe('job_closed');
    const job = await t.waitForJob(jobId);
    expect(job).toMatchObject({ status: 'completed', total: 8, succeeded: 8, final: true });
  });

  it("records permanent failures with Intercom's code, pages them, and retries them as a new attempt", async () => {
    const items = Array.from({ length: 7 }, (_, i) => ({ id: `missing-${i}` }));
    const submitted = await t.request('POST', '/bulk/get_user', { items });
    const job = await t.waitForJob(submitted.json.jobId);
    expect(job).toMatchObject({ status: 'completed_with_errors', total: 7, succeeded: 0, failed: 7 });
    const page1 = await t.request('GET', `/bulk/jobs/${job.jobId}/failures?limit=4`);
    expect(page1.status).toBe(200);
    expect(page1.json.failures.map((f: any) => f.index)).toEqual([0, 1, 2, 3]);
    expect(page1.json.failures[0]).toMatchObject({
      attempt: 1,
      error: { status: 404, code: 'not_found' },
      input: { id: 'missing-0' },
    });
    const page2 = await t.request('GET', `/bulk/jobs/${job.jobId}/failures?limit=4&next=${page1.json.next}`);
    expect(page2.json.failures.map((f: any) => f.index)).toEqual([4, 5, 6]);
    expect(page2.json.next).toBeNull();

    const retried = await t.request('POST', `/bulk/jobs/${job.jobId}/retry-failed`);
    expect(retried.status).toBe(202);
    expect(retried.json).toMatchObject({ jobId: job.jobId, attempt: 2, requeued: 7 });
    const again = await t.waitForJob(job.jobId);
    expect(again).toMatchObject({
      status: 'completed_with_errors',
      total: 7,
      succeeded: 0,
      failed: 7,
      attempt: 2,
    });
    const failures = await t.request('GET', `/bulk/jobs/${job.jobId}/failures`);
    expect(failures.json.failures.every((f: any) => f.attempt === 2)).toBe(true);
    // One call per attempt, no more.
    expect(wireCount('GET', '/users/missing-3', () => true, 404)).toBe(2);
  });

  it("fails an item naming a user by an email several users share at once: Intercom's 409 conflict, sent once", async () => {
    // The seeded sandbox has two users with shared@example.com; retrying cannot make the email unique.
    const items = [
      { body: { email: 'shared@example.com', name: 'Which one?' } },
      { body: { user_id: 'conflict-ok', email: 'conflict-ok@example.com' } },
    ];
    const submitted = await t.request('POST', '/bulk/create_update_user', { items });
    const job = await t.waitForJob(submitted.json.jobId);
    expect(job).toMatchObject({ status: 'completed_with_errors', total: 2, succeeded: 1, failed: 1 });
    const failures = await t.request('GET', `/bulk/jobs/${job.jobId}/failures`);
    expect(failures.json.failures).toEqual([
      expect.objectContaining({
        index: 0,
        attempt: 1,
        error: expect.objectContaining({
          status: 409,
          code: 'conflict',
          message:
            'Multiple existing users match this email address shared@example.com - must be more specific using user_id',
        }),
      }),
    ]);
    expect(wireCount('POST', '/users', (body) => body?.name === 'Which one?')).toBe(1);
  });

  it('starts one new attempt when retry-failed is called twice at once', async () => {
    const items = Array.from({ length: 5 }, (_, i) => ({ id: `missing2-${i}` }));
    const submitted = await t.request('POST', '/bulk/get_user', { items });
    const job = await t.waitForJob(submitted.json.jobId);
    expect(job).toMatchObject({ status: 'completed_with_errors', failed: 5 });
    // No worker runs while the calls race: attempt 2 cannot end (and a late call start attempt 3)
    // before every call was answered.
    await t.stack.bulk.workerSource!.stop();
    const [a, b] = await Promise.all([
      t.request('POST', `/bulk/jobs/${job.jobId}/retry-failed`),
      t.request('POST', `/bulk/jobs/${job.jobId}/retry-failed`),
    ]);
    await t.stack.bulk.startWorker();
    expect([a.status, b.status]).toEqual([202, 202]);
    expect([a.json.attempt, b.json.attempt]).toEqual([2, 2]);
    const again = await t.waitForJob(job.jobId);
    expect(again).toMatchObject({
      status: 'completed_with_errors',
      total: 5,
      succeeded: 0,
      failed: 5,
      pending: 0,
      attempt: 2,
    });
    // Duplicate messages of the two calls are acknowledged without running: wait for them to go.
    await t.stack.bulk.workerSource!.drained(60_000);
    for (let i = 0; i < 5; i++) expect(wireCount('GET', `/users/missing2-${i}`, () => true, 404)).toBe(2);
  }, 90_000);

  it('starts exactly one attempt when 20 retry-failed calls race, and runs each item once in it', async () => {
    const items = Array.from({ length: 6 }, (_, i) => ({ id: `missing20-${i}` }));
    const submitted = await t.request('POST', '/bulk/get_user', { items });
    const job = await t.waitForJob(submitted.json.jobId);
    expect(job).toMatchObject({ status: 'completed_with_errors', failed: 6, attempt: 1 });
    const path = `/bulk/jobs/${job.jobId}`;
    // No worker runs while the calls race: attempt 2 cannot end (and a late call rightly start
    // attempt 3) before every call was answered.
    await t.stack.bulk.workerSource!.stop();
    const answers = await Promise.all([
      ...Array.from({ length: 20 }, () => t.request('POST', `${path}/retry-failed`)),
      // Readers in the race: once attempt 2 exists, the job is running until that attempt ends.
      ...Array.from({ length: 10 }, () => t.request('GET', path)),
    ]);
    await t.stack.bulk.startWorker();
    const retries = answers.slice(0, 20);
    expect(retries.map((r) => r.status)).toEqual(Array(20).fill(202));
    expect(new Set(retries.map((r) => r.json.attempt))).toEqual(new Set([2]));
    expect(retries.filter((r) => r.json.started)).toHaveLength(1);
    expect(retries.reduce((sum, r) => sum + r.json.requeued, 0)).toBe(6);
    for (const read of answers.slice(20)) {
      if (read.json.attempt === 2) expect(read.json.status).not.toBe('completed');
      if (read.json.attempt === 1) expect(read.json.status).toBe('completed_with_errors');
    }
    const again = await t.waitForJob(job.jobId);
    expect(again).toMatchObject({ status: 'completed_with_errors', failed: 6, pending: 0, attempt: 2 });
    await t.stack.bulk.workerSource!.drained(60_000);
    for (let i = 0; i < 6; i++) expect(wireCount('GET', `/users/missing20-${i}`, () => true, 404)).toBe(2);
  }, 90_000);

  // Written as JSON.stringify writes them: what reaches Intercom must be these very bytes on every
  // path. 5e-324 is below DynamoDB's number range: a failed item's input must survive the table anyway.
  const NUMBERS =
    '{"max":9007199254740991,"min":-9007199254740991,"tenth":0.1,"id":123456789012,"small":1.5e-7,"tiny":5e-324}';
  const rawBodies = (method: string, path: string, marker: string) =>
    t.stack
      .sandbox!.requests()
      .filter((r) => r.method === method && r.path === path && r.rawBody?.includes(marker));

  it('sends numbers byte-identical on the first run and on retries after Intercom failed', async () => {
    const item = `{"body":{"user_id":"wire-num","custom_attributes":${NUMBERS}}}`;
    t.stack.sandbox!.configure({ faults: { rates: { '503': 1 }, seed: 1 } });
    let jobId: string;
    try {
      const submitted = await t.request('POST', '/bulk/create_update_user', `{"items":[${item}]}`);
      expect(submitted.status).toBe(202);
      jobId = submitted.json.jobId;
      // Intercom fails the first try; the item goes back to the queue and runs again.
      for (let i = 0; i < 200 && rawBodies('POST', '/users', '"wire-num"').length === 0; i++)
        await new Promise((r) => setTimeout(r, 50));
    } finally {
      t.stack.sandbox!.configure({ faults: null });
    }
    const job = await t.waitForJob(jobId);
    expect(job).toMatchObject({ status: 'completed', succeeded: 1 });
    const sent = rawBodies('POST', '/users', '"wire-num"');
    expect(sent.map((r) => r.status)).toEqual([...sent.slice(0, -1).map(() => 503), 200]);
    expect(sent.length).toBeGreaterThanOrEqual(2);
    for (const r of sent) expect(r.rawBody).toBe(`{"user_id":"wire-num","custom_attributes":${NUMBERS}}`);
  });

  it('sends numbers byte-identical again on retry-failed, after the round trip through SQS and DynamoDB', async () => {
    const body = `{"event_name":"wire-num","created_at":1700000000,"user_id":"wire-event-user","metadata":${NUMBERS}}`;
    // No such user yet: Intercom answers 404 and the item fails; once the user exists it can succeed.
    const submitted = await t.request('POST', '/bulk/create_event', `{"items":[{"body":${body}}]}`);
    const job = await t.waitForJob(submitted.json.jobId);
    expect(job).toMatchObject({ status: 'completed_with_errors', failed: 1 });
    const failures = await t.request('GET', `/bulk/jobs/${job.jobId}/failures`);
    expect(failures.json.failures[0].input.body.metadata).toEqual(JSON.parse(NUMBERS));
    expect(
      (await t.request('POST', '/actions/create_user', { body: { user_id: 'wire-event-user' } })).status,
    ).toBe(200);
    expect((await t.request('POST', `/bulk/jobs/${job.jobId}/retry-failed`)).status).toBe(202);
    expect(await t.waitForJob(job.jobId)).toMatchObject({ status: 'completed', succeeded: 1, attempt: 2 });
    const sent = rawBodies('POST', '/events', '"wire-event-user"');
    expect(sent.map((r) => r.status)).toEqual([404, 202]);
    for (const r of sent) expect(r.rawBody).toBe(body);
  });

  it('estimates a dry run without queuing anything', async () => {
    const res = await t.request('POST', '/bulk/create_update_user', {
      items: [...users(300, 'dry'), { x: 1 }],
      dryRun: true,
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      dryRun: true,
      total: 301,
      accepted: 300,
      operation: 'create_update_user',
    });
    expect(res.json.rejected).toHaveLength(1);
    expect(res.json.estimate.requests).toBe(300);
    expect(res.json.estimate.seconds).toBeGreaterThan(0);
    expect(wireCount('POST', '/users', (b) => String(b?.user_id).startsWith('dry-'))).toBe(0);
  });
});
