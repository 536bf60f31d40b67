/**
 * What the queue loses, the tables give back: `POST /bulk/jobs/{id}/recover` after lost messages,
 * and an Idempotency-Key whose job's records are gone. (The SIGKILL restart of a running job is in
 * restart.test.ts, notifications across a restart in notification-restart.test.ts.)
 */
import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type BulkTestStack, startBulkTestStack } from '../helpers/bulk-stack.ts';

describe('recovering lost messages', () => {
  let t: BulkTestStack;
  beforeAll(async () => {
    t = await startBulkTestStack({ bulk: { workerTimeoutMs: 15_000 } });
  }, 30_000);
  afterAll(async () => t?.close());

  const tagPosts = (name: string) =>
    t.stack
      .sandbox!.requests()
      .filter((r) => r.method === 'POST' && r.path === '/tags' && (r.body as any)?.name === name);

  it('queues again the pending items of a job whose messages were purged, each once', async () => {
    await t.stack.bulk.workerSource!.stop();
    const items = Array.from({ length: 12 }, (_, i) => ({ body: { name: `purged-${i}` } }));
    const submitted = await t.request('POST', '/bulk/create_tag', { items });
    expect(submitted.status).toBe(202);
    const { jobId } = submitted.json;
    // Lost messages (a purge, a redrive gone wrong): taken off the queue unprocessed.
    const { sqs } = t.stack.bulk.emulators;
    const QueueUrl = t.stack.bulk.queue.queueUrl;
    let lost = 0;
    while (lost < 12) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      for (const m of Messages)
        await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle }));
      lost += Messages.length;
    }
    await t.stack.bulk.startWorker();
    await t.stack.bulk.workerSource!.drained(10_000);
    expect((await t.request('GET', `/bulk/jobs/${jobId}`)).json).toMatchObject({
      status: 'queued',
      pending: 12,
    });

    const recovered = await t.request('POST', `/bulk/jobs/${jobId}/recover`);
    expect([recovered.status, recovered.json.requeued, recovered.json.attempt]).toEqual([202, 12, 1]);
    expect(await t.waitForJob(jobId)).toMatchObject({ status: 'completed', succeeded: 12 });
    // Again: nothing is pending any more, nothing runs again.
    const again = await t.request('POST', `/bulk/jobs/${jobId}/recover`);
    expect([again.status, again.json.requeued]).toEqual([202, 0]);
    await t.stack.bulk.workerSource!.drained(10_000);
    for (let i = 0; i < 12; i++)
      expect(tagPosts(`purged-${i}`).filter((r) => r.status === 200)).toHaveLength(1);
  }, 60_000);

  it('answers 404 for a job it cannot see', async () => {
    const res = await t.request('POST', '/bulk/jobs/job_doesnotexist0000/recover');
    expect([res.status, res.json.error.code]).toEqual([404, 'not_found']);
  });

  it('refuses an Idempotency-Key whose job records are gone (409 idempotency_key_expired), never re-running it', async () => {
    const body = { items: [{ body: { name: 'expired-key-tag' } }] };
    const headers = { 'idempotency-key': 'expiring-key' };
    const first = await t.request('POST', '/bulk/create_tag', body, headers);
    await t.waitForJob(first.json.jobId);
    // As DynamoDB's TTL would: the job's record expires.
    await t.stack.bulk.emulators.dynamodb.send(
      new DeleteItemCommand({
        TableName: process.env.BULK_JOBS_TABLE!,
        Key: { pk: { S: `job#${first.json.jobId}` }, sk: { S: 'job' } },
      }),
    );
    const again = await t.request('POST', '/bulk/create_tag', body, headers);
    expect([again.status, again.json.error.code]).toEqual([409, 'idempotency_key_expired']);
    expect(again.json.error.message).toContain(first.json.jobId);
    expect(tagPosts('expired-key-tag')).toHaveLength(1);
  }, 30_000);
});
