/**
 * Workers that die: mid-item (after Intercom answered, before the outcome is recorded), after a whole
 * batch, and before anything (messages dead-lettered, then redriven). No item is lost, none runs twice
 * unless the operation is idempotent, and the counts add up.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { ItemMessage } from '../../lib/bulk/messages.ts';
import type { SqsHandler } from '../../lib/local/sqs-event-source.ts';
import { type BulkTestStack, startBulkTestStack } from '../helpers/bulk-stack.ts';

const crashAfterCall = new Set<string>(); // "<operation>:<index>" to crash on once
const crashedOnce = new Set<string>();
let crashNextBatchOf: string | undefined; // operation whose next batch dies after processing
let brokenOperation: string | undefined; // operation whose batches die before processing

async function buildWorker(): Promise<SqsHandler> {
  const { bulkParts, bulkSettings } = await import('../../lib/bulk/index.ts');
  const { createBulkWorker } = await import('../../lib/bulk/worker.ts');
  const { workerClientFactory } = await import('../../lib/workspaces/worker-clients.ts');
  const { workspaceClients } = await import('../../lib/workspaces/clients.ts');
  const { loadConfig } = await import('../../lib/config/index.ts');
  const settings = bulkSettings(process.env);
  const worker = createBulkWorker({
    ...bulkParts(settings),
    clientFor: workspaceClients(
      await loadConfig(process.env, { requireApiKeys: false }),
      workerClientFactory,
    ),
    maxAttempts: settings.maxAttempts,
    maxReceiveCount: settings.maxReceiveCount,
    verifyDelayMs: settings.verifyDelaySeconds * 1000,
    // The 5 s function timeout below, less these, still leaves each call 2-4 s (the sandbox answers at once).
    endMarginMs: 1_000,
    minCallMs: 2_000,
    afterCall: (m: ItemMessage) => {
      const key = `${m.operation}:${m.index}`;
      if (crashAfterCall.has(key) && !crashedOnce.has(key)) {
        crashedOnce.add(key);
        throw new Error('simulated crash between the Intercom call and the record');
      }
    },
  });
  return async (event: SQSEvent, context) => {
    const operation = JSON.parse(event.Records[0]!.body).operation;
    if (operation === brokenOperation) throw new Error('simulated outage before any work');
    const result = (await worker(event, context)) as SQSBatchResponse;
    if (operation === crashNextBatchOf) {
      crashNextBatchOf = undefined;
      throw new Error('simulated crash after the batch, before SQS deletes it');
    }
    return result;
  };
}

let t: BulkTestStack;
beforeAll(async () => {
  t = await startBulkTestStack(
    {
      bulk: {
        // A dead worker's lease ends with its invocation's timeout: items it held are taken over after 5 s.
        workerTimeoutMs: 5_000,
        visibilityTimeoutSeconds: 2,
        maxReceiveCount: 6,
        maxConcurrency: 2,
        workerHandler: buildWorker,
      },
    },
    // A dead holder's write is looked up a second after its lease ends (the sandbox answers at once).
    { BULK_MAX_RECEIVE_COUNT: '6', BULK_VERIFY_DELAY_SECONDS: '1' },
  );
}, 30_000);
afterAll(async () => t?.close());

function posts(path: string, predicate: (body: any) => boolean): number {
  return t.stack
    .sandbox!.requests()
    .filter((r) => r.method === 'POST' && r.path === path && r.status === 200 && predicate(r.body)).length;
}

describe('a worker crash', () => {
  it('between the call and the record repeats an idempotent upsert after the lease, and counts it once', async () => {
    crashAfterCall.add('create_update_user:3');
    const items = Array.from({ length: 8 }, (_, i) => ({ body: { user_id: `crash-up-${i}` } }));
    const submitted = await t.request('POST', '/bulk/create_update_user', { items });
    const job = await t.waitForJob(submitted.json.jobId, 40_000);
    expect(job).toMatchObject({ status: 'completed', total: 8, succeeded: 8, failed: 0 });
    expect(crashedOnce.has('create_update_user:3')).toBe(true);
    expect(posts('/users', (b) => b?.user_id === 'crash-up-3')).toBe(2);
    expect(posts('/users', (b) => b?.user_id === 'crash-up-4')).toBe(1);
  }, 60_000);

  it('between the call and the record never repeats create_note: it looks the note up and counts it done', async () => {
    crashAfterCall.add('create_note:2');
    await t.request('POST', '/actions/create_user', { body: { user_id: 'crash-note-user' } });
    const items = Array.from({ length: 5 }, (_, i) => ({
      body: { body: `crash-note-${i}`, user: { user_id: 'crash-note-user' } },
    }));
    const submitted = await t.request('POST', '/bulk/create_note', { items });
    const job = await t.waitForJob(submitted.json.jobId, 40_000);
    expect(job).toMatchObject({ status: 'completed', total: 5, succeeded: 5, failed: 0 });
    expect(crashedOnce.has('create_note:2')).toBe(true);
    for (let i = 0; i < 5; i++) expect(posts('/notes', (b) => b?.body === `crash-note-${i}`)).toBe(1);
    // The lookup that found it:
    const lookups = t.stack.sandbox!.requests().filter((r) => r.method === 'GET' && r.path === '/notes');
    expect(lookups.length).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('between the call and the record never repeats a write it cannot look up: outcome_unknown', async () => {
    crashAfterCall.add('create_lead:1');
    const items = Array.from({ length: 3 }, (_, i) => ({ body: { name: `crash-lead-${i}` } }));
    const submitted = await t.request('POST', '/bulk/create_lead', { items });
    const job = await t.waitForJob(submitted.json.jobId, 40_000);
    expect(job).toMatchObject({ status: 'completed_with_errors', total: 3, succeeded: 2, failed: 1 });
    const failures = await t.request('GET', `/bulk/jobs/${job.jobId}/failures`);
    expect(failures.json.failures).toEqual([
      expect.objectContaining({ index: 1, error: expect.objectContaining({ code: 'outcome_unknown' }) }),
    ]);
    for (let i = 0; i < 3; i++) expect(posts('/contacts', (b) => b?.name === `crash-lead-${i}`)).toBe(1);
  }, 60_000);

  it('after a whole batch runs nothing again when SQS redelivers it', async () => {
    crashNextBatchOf = 'create_tag';
    const items = Array.from({ length: 6 }, (_, i) => ({ body: { name: `crash-tag-${i}` } }));
    const submitted = await t.request('POST', '/bulk/create_tag', { items });
    const job = await t.waitForJob(submitted.json.jobId, 40_000);
    expect(job).toMatchObject({ status: 'completed', total: 6, succeeded: 6 });
    expect(crashNextBatchOf).toBeUndefined();
    // The crashed batch's messages come back after their visibility timeout: wait until SQS is empty.
    await t.stack.bulk.workerSource!.drained(20_000);
    expect(t.stack.bulk.workerSource!.stats.failedInvocations).toBeGreaterThan(0);
    for (let i = 0; i < 6; i++) expect(posts('/tags', (b) => b?.name === `crash-tag-${i}`)).toBe(1);
  }, 60_000);
});

describe('the dead-letter queue', () => {
  it('holds messages no worker could take, and a redrive completes them exactly once', async () => {
    brokenOperation = 'create_company';
    const items = Array.from({ length: 4 }, (_, i) => ({
      body: { company_id: `dlq-${i}`, name: `DLQ ${i}` },
    }));
    const submitted = await t.request('POST', '/bulk/create_company', { items });
    const { GetQueueAttributesCommand } = await import('@aws-sdk/client-sqs');
    const { sqs } = t.stack.bulk.emulators;
    const dlq = t.stack.bulk.queue.deadLetterQueueUrl;
    const depth = async () =>
      Number(
        (
          await sqs.send(
            new GetQueueAttributesCommand({ QueueUrl: dlq, AttributeNames: ['ApproximateNumberOfMessages'] }),
          )
        ).Attributes?.ApproximateNumberOfMessages,
      );
    const until = Date.now() + 30_000;
    while ((await depth()) < 4 && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
    expect(await depth()).toBe(4);
    expect((await t.request('GET', `/bulk/jobs/${submitted.json.jobId}`)).json).toMatchObject({
      status: 'queued',
      pending: 4,
    });

    brokenOperation = undefined;
    const { redriveDeadLetters } = await import('../../lib/bulk/redrive.ts');
    expect(await redriveDeadLetters(sqs, dlq)).toMatchObject({ messages: 4 });
    const job = await t.waitForJob(submitted.json.jobId, 30_000);
    expect(job).toMatchObject({ status: 'completed', total: 4, succeeded: 4 });
    for (let i = 0; i < 4; i++) expect(posts('/companies', (b) => b?.company_id === `dlq-${i}`)).toBe(1);
  }, 60_000);
});
