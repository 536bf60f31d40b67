/**
 * The bulk worker's item rules, one delivery at a time on a fake clock: the real job store on the
 * DynamoDB emulator, a real Intercom client on the sandbox (same clock) that can lose answers, and a
 * governor and queue that only record what they are asked.
 */
import { DeleteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { Context, SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { JobStore } from '../../lib/bulk/job-store.ts';
import type { ItemMessage } from '../../lib/bulk/messages.ts';
import { BulkService } from '../../lib/bulk/service.ts';
import { createBulkWorker } from '../../lib/bulk/worker.ts';
import type { Operation } from '../../lib/catalog/types.ts';
import { type CallOptions, IntercomClient } from '../../lib/intercom/client.ts';
import { IntercomConnectionError, IntercomHttpError } from '../../lib/intercom/errors.ts';
import { createTables, type Emulators, startEmulators } from '../../lib/local/emulators.ts';
import { type Sandbox, startSandbox } from '../../lib/sandbox/server.ts';
import { createTableInput, JOBS_TABLE } from '../../lib/tables/definitions.ts';
import { recordingGovernor, registerTestJob, sqsRecord } from '../helpers/bulk-records.ts';

const clock = { now: Date.UTC(2026, 10, 25, 12) };
const now = () => clock.now;
const TOKEN = 'tok_worker_test';

/** A real client whose answers can be lost (the call reached the sandbox) or replaced by an error. */
class TestClient extends IntercomClient {
  /** Operations whose next call is applied by the sandbox and then answered with a dropped connection. */
  readonly loseNext = new Set<string>();
  /** An error instead of the call (nothing reaches the sandbox). */
  refuse: ((operation: string, input: Record<string, unknown>) => Error | undefined) | undefined;
  readonly calls: string[] = [];

  override async call(
    operation: string | Operation,
    input: Record<string, unknown> = {},
    options?: CallOptions,
  ) {
    const name = typeof operation === 'string' ? operation : operation.name;
    this.calls.push(name);
    const refused = this.refuse?.(name, input);
    if (refused) throw refused;
    const result = await super.call(operation, input, options);
    if (this.loseNext.delete(name)) {
      throw new IntercomConnectionError('socket hang up after the request was sent', true, undefined);
    }
    return result;
  }
}

let emulators: Emulators;
let sandbox: Sandbox;
let store: JobStore;
let client: TestClient;
const delays: number[] = [];
const sent: ItemMessage[] = [];
const governor = recordingGovernor(now);
const slots = governor.slots;
const slotsByJob = governor.slotsByJob;
const queue = {
  async delay(_receiptHandle: string, seconds: number) {
    delays.push(seconds);
  },
  async sendAll(messages: Array<{ body: string }>) {
    sent.push(...messages.map((m) => JSON.parse(m.body) as ItemMessage));
  },
};

beforeAll(async () => {
  Object.assign(process.env, { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' });
  emulators = await startEmulators();
  await createTables(emulators.dynamodb, [createTableInput(JOBS_TABLE, 'jobs')]);
  store = new JobStore(DynamoDBDocumentClient.from(emulators.dynamodb), 'jobs', 14);
  sandbox = await startSandbox({ token: TOKEN, seed: false, quiet: true, now });
}, 30_000);
afterAll(async () => {
  await sandbox?.close();
  await emulators?.close();
});
beforeEach(() => {
  client = new TestClient({ token: TOKEN, baseUrl: sandbox.url, now, retry: { maxRetries: 0 } });
  delays.length = 0;
  sent.length = 0;
  slots.length = 0;
  slotsByJob.length = 0;
  governor.fails = false;
});

const worker = () =>
  createBulkWorker({
    store,
    governor: governor as never,
    queue: queue as never,
    clientFor: () => client,
    maxAttempts: 5,
    maxReceiveCount: 20,
    verifyDelayMs: 60_000,
    now,
  });
const context = { getRemainingTimeInMillis: () => 60_000 } as Context;

const record = sqsRecord;
async function deliver(...records: SQSRecord[]): Promise<string[]> {
  const result = (await worker()({ Records: records } as never, context)) as SQSBatchResponse;
  return result.batchItemFailures.map((f) => f.itemIdentifier);
}

function wire(method: string, path: string, predicate: (body: any) => boolean = () => true): number {
  return sandbox.requests().filter((r) => r.method === method && r.path === path && predicate(r.body)).length;
}

async function newUser(userId: string): Promise<void> {
  await client.call('create_user', { body: { user_id: userId } });
}

/** The job service on the test's store, queue and governor, and a key that may retry its jobs. */
const newService = () =>
  new BulkService({ store, queue: queue as never, governor: governor as never, validators: {}, now });
const KEY = { id: 'k1', name: 'k1', workspace: 'default', scopes: ['bulk', 'write'] } as never;

let jobs = 0;
const jobId = () => `job_workertest${String(++jobs).padStart(6, '0')}`;

/** The message of a new job's only item: a create_note for that user. */
const noteMessage = (userId: string, text: string) => ({
  jobId: jobId(),
  index: 0,
  attempt: 1,
  operation: 'create_note',
  workspace: 'default',
  input: { body: { user: { user_id: userId }, body: text } },
});

describe('a create_note whose answer was lost', () => {
  it('is found by its lookup even after the verifying delivery died and its lease ran out', async () => {
    await newUser('lost-1');
    const m = noteMessage('lost-1', 'the lost note');
    client.loseNext.add('create_note');
    const first = record(m);
    expect(await deliver(first)).toEqual([first.messageId]);
    expect(await store.getItem(m.jobId, 0)).toMatchObject({ state: 'queued', verifySince: clock.now });

    // The next delivery claims it to look the note up, and dies before it can (DynamoDB throttling).
    clock.now += 61_000;
    governor.fails = true;
    expect(await deliver(record(m, 2))).toHaveLength(1);
    expect(await store.getItem(m.jobId, 0)).toMatchObject({ state: 'in_progress' });

    // After that lease (and the lookup delay) the note written at the first try is found.
    governor.fails = false;
    clock.now += 60_000 + 60_000;
    expect(await deliver(record(m, 3))).toEqual([]);
    expect(await store.getItem(m.jobId, 0)).toMatchObject({ state: 'succeeded' });
    expect(wire('POST', '/notes', (b) => b?.body === 'the lost note')).toBe(1);
    expect(wire('GET', '/notes')).toBeGreaterThanOrEqual(1);
  });

  it('is not looked up early by a duplicate message: the duplicate comes back after the lookup delay', async () => {
    await newUser('lost-2');
    const m = noteMessage('lost-2', 'note seen late');
    client.loseNext.add('create_note');
    const calledAt = clock.now;
    await deliver(record(m));
    const lookupsBefore = wire('GET', '/notes');

    // A duplicate (a re-sent chunk, SQS at-least-once) 3 s later: no lookup, no second write.
    clock.now += 3_000;
    const duplicate = record(m);
    delays.length = 0;
    expect(await deliver(duplicate)).toEqual([duplicate.messageId]);
    expect(delays).toEqual([Math.ceil((calledAt + 60_000 - clock.now) / 1000)]);
    expect(wire('GET', '/notes')).toBe(lookupsBefore);
    expect(client.calls.filter((c) => c === 'create_note')).toHaveLength(1);
    expect(await store.getItem(m.jobId, 0)).toMatchObject({ state: 'queued' });

    clock.now = calledAt + 60_000;
    expect(await deliver(record(m, 2))).toEqual([]);
    expect(await store.getItem(m.jobId, 0)).toMatchObject({ state: 'succeeded' });
    expect(wire('POST', '/notes', (b) => b?.body === 'note seen late')).toBe(1);
  });

  it('waits for the lookup delay after a lease runs out before taking the item over', async () => {
    await newUser('lost-3');
    const m = noteMessage('lost-3', 'note of a dead worker');
    // A worker claims it and dies mid-call, after the note was written.
    const lease = clock.now + 60_000;
    await store.claim(m.jobId, 0, 1, lease, clock.now, { operation: m.operation, workspace: 'default' });
    await client.call('create_note', m.input);
    clock.now = lease + 1_000;
    delays.length = 0;
    const early = record(m, 2);
    expect(await deliver(early)).toEqual([early.messageId]);
    // Its call was cut 3 s before the lease's end at the latest: the lookup waits 60 s from then.
    expect(delays).toEqual([56]);
    expect(await store.getItem(m.jobId, 0)).toMatchObject({ state: 'in_progress', leaseUntil: lease });

    clock.now = lease + 57_000;
    expect(await deliver(record(m, 3))).toEqual([]);
    expect(await store.getItem(m.jobId, 0)).toMatchObject({ state: 'succeeded' });
    expect(wire('POST', '/notes', (b) => b?.body === 'note of a dead worker')).toBe(1);
  });
});

/** A one-chunk create_update_user job of `size` items, created by the key `k1`. */
const registerJob = (id: string, size: number) => registerTestJob(store, id, size, clock.now);

describe('attempts', () => {
  it('never re-runs a succeeded item for a newer attempt, nor counts an item a newer attempt re-runs', async () => {
    const id = jobId();
    await registerJob(id, 2);
    const service = newService();
    const key = KEY;
    const m = (index: number, attempt: number) => ({
      jobId: id,
      index,
      attempt,
      operation: 'create_update_user',
      workspace: 'default',
      input: { body: { user_id: `overlap-${index}` } },
    });
    client.refuse = () =>
      new IntercomHttpError({
        status: 400,
        intercomCode: 'parameter_invalid',
        message: 'bad',
        retryable: false,
      });
    await deliver(record(m(0, 1)), record(m(1, 1)));
    expect(await service.status(id, key)).toMatchObject({ status: 'completed_with_errors', failed: 2 });
    client.refuse = undefined;
    expect(await service.retryFailed(id, key)).toMatchObject({ attempt: 2, requeued: 2 });

    // Item 0's attempt 2 runs; a stale attempt-1 duplicate of item 1 comes before item 1's attempt 2.
    await deliver(record(m(0, 2)));
    await deliver(record(m(1, 1), 2));
    expect(await store.getItem(id, 1)).toMatchObject({ state: 'failed', attempt: 1, counted: 'none' });
    expect(await service.status(id, key)).toMatchObject({
      status: 'running',
      succeeded: 1,
      failed: 0,
      pending: 1,
    });
    // Retry-failed answers with the running attempt and queues nothing (a lost message is recover's).
    await expect(service.retryFailed(id, key)).resolves.toMatchObject({
      attempt: 2,
      requeued: 0,
      started: false,
    });

    await deliver(record(m(1, 2)));
    // A message of a newer attempt than the item's (a retry-failed raced with it) finds it succeeded.
    const before = (await store.getJob(id))!;
    expect(await store.startRetry(id, before, 'raced', clock.now + 60_000, clock.now)).toBe(true);
    expect(await store.endRetry(id, 'raced', clock.now)).toBe(true);
    await deliver(record(m(1, 3)));
    expect(wire('POST', '/users', (b) => b?.user_id === 'overlap-1')).toBe(1);
    expect(wire('POST', '/users', (b) => b?.user_id === 'overlap-0')).toBe(1);
    expect(await store.getItem(id, 1)).toMatchObject({
      state: 'succeeded',
      attempt: 2,
      counted: 'succeeded',
    });
    const job = await store.getJob(id);
    expect(job).toMatchObject({ succeeded: 2, failed: 0 });
  });
});

describe('the retry lease', () => {
  it('lets one call start an attempt, answers racers with it, and lets a later call resume a lapsed lease', async () => {
    const id = jobId();
    await registerJob(id, 2);
    const service = newService();
    const key = KEY;
    const m = (index: number) => ({
      jobId: id,
      index,
      attempt: 1,
      operation: 'create_update_user',
      workspace: 'default',
      input: { body: { user_id: `lease-${index}` } },
    });
    client.refuse = () =>
      new IntercomHttpError({
        status: 400,
        intercomCode: 'parameter_invalid',
        message: 'bad',
        retryable: false,
      });
    await deliver(record(m(0)), record(m(1)));
    client.refuse = undefined;
    const seen = await store.getJob(id);
    expect(await service.status(id, key)).toMatchObject({ status: 'completed_with_errors', failed: 2 });

    // Counters that moved since the caller read them: the transition is refused.
    expect(await store.startRetry(id, { ...seen!, failed: 1 }, 'stale', clock.now + 60_000, clock.now)).toBe(
      false,
    );
    // A holder that dies after starting the attempt, before queueing anything.
    expect(await store.startRetry(id, seen!, 'dies', clock.now + 60_000, clock.now)).toBe(true);
    expect(await service.status(id, key)).toMatchObject({ status: 'running', attempt: 2 });
    sent.length = 0;
    expect(await service.retryFailed(id, key)).toEqual({
      jobId: id,
      attempt: 2,
      requeued: 0,
      started: false,
    });
    expect(sent).toHaveLength(0);

    clock.now += 61_000;
    // Resumed, not started: the dead holder started attempt 2.
    expect(await service.retryFailed(id, key)).toEqual({
      jobId: id,
      attempt: 2,
      requeued: 2,
      started: false,
    });
    expect(sent.map((s) => [s.index, s.attempt])).toEqual([
      [0, 2],
      [1, 2],
    ]);
    expect((await store.getJob(id))?.retry).toBeUndefined();
  });
});

/** A job of `size` create_update_user items whose every item failed in attempt 1 (inputs stored). */
async function failedJob(prefix: string, size: number) {
  const id = jobId();
  await registerJob(id, size);
  const m = (index: number, attempt = 1) => ({
    jobId: id,
    index,
    attempt,
    operation: 'create_update_user',
    workspace: 'default',
    input: { body: { user_id: `${prefix}-${index}` } },
  });
  const indexes = Array.from({ length: size }, (_, i) => i);
  await store.putInputs(
    id,
    0,
    indexes.map((index) => ({ index, input: m(index).input })),
    store.expiresAt(clock.now),
  );
  client.refuse = () =>
    new IntercomHttpError({
      status: 400,
      intercomCode: 'parameter_invalid',
      message: 'bad',
      retryable: false,
    });
  await deliver(...indexes.map((index) => record(m(index))));
  client.refuse = undefined;
  const service = newService();
  const key = KEY;
  return { id, m, service, key };
}

describe('a retry-failed whose caller died', () => {
  it('is finished by recover once its lease lapses, and by a restart at once: the job ends, each item runs once more', async () => {
    const { id, m, service, key } = await failedJob('orphan', 2);
    const seen = (await store.getJob(id))!;
    // The caller starts attempt 2 and dies before queueing anything.
    expect(await store.startRetry(id, seen, 'dies', clock.now + 60_000, clock.now)).toBe(true);
    sent.length = 0;
    // While its lease lives, recover leaves the retry to it.
    expect(await service.recover(id, key)).toMatchObject({ attempt: 2, requeued: 0 });
    expect((await store.getJob(id))?.retry?.holder).toBe('dies');

    // A restart knows the holder is gone: it finishes the retry without waiting for the lease.
    expect(await service.recoverAll()).toMatchObject({ requeued: 2 });
    expect(sent.filter((s) => s.jobId === id).map((s) => [s.index, s.attempt])).toEqual([
      [0, 2],
      [1, 2],
    ]);
    expect((await store.getJob(id))?.retry).toBeUndefined();
    expect(await service.status(id, key)).toMatchObject({ status: 'running', failed: 0, pending: 2 });
    await deliver(record(m(0, 2)), record(m(1, 2)));
    expect(await service.status(id, key)).toMatchObject({ status: 'completed', succeeded: 2, failed: 0 });
    expect(wire('POST', '/users', (b) => String(b?.user_id).startsWith('orphan-'))).toBe(2);
  });

  it('is finished by the recover endpoint after its lease lapsed', async () => {
    const { id, service, key } = await failedJob('orphan-api', 1);
    expect(await store.startRetry(id, (await store.getJob(id))!, 'dies', clock.now + 60_000, clock.now)).toBe(
      true,
    );
    clock.now += 61_000;
    sent.length = 0;
    expect(await service.recover(id, key)).toMatchObject({ attempt: 2, requeued: 1 });
    expect(sent.map((s) => [s.index, s.attempt])).toEqual([[0, 2]]);
    expect((await store.getJob(id))?.retry).toBeUndefined();
  });

  it('a holder whose lease another call took over mid-queue answers started: false', async () => {
    const { id, service, key } = await failedJob('lost-lease', 1);
    const sendAll = queue.sendAll;
    queue.sendAll = async (messages) => {
      // The holder stalls past its lease while sending; another call takes the lease over.
      clock.now += 61_000;
      const job = (await store.getJob(id))!;
      expect(await store.takeRetryLease(id, job, 'other', clock.now + 60_000, clock.now)).toBe(true);
      await sendAll(messages);
    };
    try {
      expect(await service.retryFailed(id, key)).toMatchObject({ attempt: 2, started: false });
    } finally {
      queue.sendAll = sendAll;
    }
    expect((await store.getJob(id))?.retry?.holder).toBe('other');
  });
});

describe('a stuck job counted item by item', () => {
  it('counts an item a worker died before counting through its marker: a later delivery does not count it again', async () => {
    const { id, m, service, key } = await failedJob('stuck', 2);
    await service.retryFailed(id, key);
    // Attempt 2: item 0 succeeds and is counted; item 1 succeeds and its worker dies before counting.
    await deliver(record(m(0, 2)));
    const context = { operation: 'create_update_user', workspace: 'default' };
    await store.claim(id, 1, 2, clock.now + 60_000, clock.now, context);
    await store.finish(id, 1, 2, { state: 'succeeded' }, clock.now);
    expect(await service.status(id, key)).toMatchObject({ status: 'running', succeeded: 1, pending: 1 });
    clock.now += 6 * 60_000;
    expect(await service.status(id, key)).toMatchObject({ status: 'completed', succeeded: 2, failed: 0 });
    expect(await store.getItem(id, 1)).toMatchObject({ counted: 'succeeded' });
    // The dead worker's message comes back: the item is done and already counted.
    await deliver(record(m(1, 2), 2));
    expect(await store.getJob(id)).toMatchObject({ succeeded: 2, failed: 0 });
  });

  it('a failed item counted that way leaves the count when retried: one new attempt, running at once', async () => {
    const { id, m, service, key } = await failedJob('stuck-failed', 1);
    await service.retryFailed(id, key);
    // Attempt 2 fails again; its worker dies before counting it.
    const context = { operation: 'create_update_user', workspace: 'default' };
    await store.claim(id, 0, 2, clock.now + 60_000, clock.now, context);
    await store.finish(
      id,
      0,
      2,
      {
        state: 'failed',
        error: { code: 'x', message: 'x', retryable: false } as never,
        input: m(0, 2).input,
      },
      clock.now,
    );
    clock.now += 6 * 60_000;
    expect(await service.status(id, key)).toMatchObject({ status: 'completed_with_errors', failed: 1 });
    sent.length = 0;
    expect(await service.retryFailed(id, key)).toMatchObject({ attempt: 3, requeued: 1, started: true });
    expect(await service.status(id, key)).toMatchObject({ status: 'running', failed: 0, pending: 1 });
    // A second call answers with the running attempt and queues nothing.
    expect(await service.retryFailed(id, key)).toMatchObject({ attempt: 3, requeued: 0, started: false });
    // Both messages of attempt 3 arrive (earlier attempts never reached Intercom): one call.
    await deliver(record(m(0, 3)), record(m(0, 3)));
    expect(wire('POST', '/users', (b) => b?.user_id === 'stuck-failed-0')).toBe(1);
    expect(await service.status(id, key)).toMatchObject({
      status: 'completed',
      succeeded: 1,
      failed: 0,
      attempt: 3,
    });
  });
});

describe('an item of a workspace the configuration no longer holds', () => {
  it('fails with workspace_not_configured at once, calls nothing, and is counted', async () => {
    const { workspaceClients } = await import('../../lib/workspaces/clients.ts');
    const id = jobId();
    await registerJob(id, 1);
    const clientFor = workspaceClients({ workspaces: new Map(), defaultWorkspace: 'default' } as never);
    const failures = await (
      createBulkWorker({
        store,
        governor: governor as never,
        queue: queue as never,
        clientFor,
        maxAttempts: 5,
        maxReceiveCount: 20,
        verifyDelayMs: 60_000,
        now,
      }) as never as (e: unknown, c: Context) => Promise<SQSBatchResponse>
    )(
      {
        Records: [
          record({
            jobId: id,
            index: 0,
            attempt: 1,
            operation: 'create_update_user',
            workspace: 'removed',
            input: { body: { user_id: 'nowhere' } },
          }),
        ],
      },
      context,
    );
    expect(failures.batchItemFailures).toEqual([]);
    expect(slots).toEqual([]);
    expect(await store.getItem(id, 0)).toMatchObject({
      state: 'failed',
      counted: 'failed',
      error: { code: 'workspace_not_configured', message: 'Workspace "removed" is not configured' },
    });
    expect(await store.getJob(id)).toMatchObject({ failed: 1, succeeded: 0 });
  });
});

describe("a batch's bookkeeping", () => {
  const upsert = (id: string, index: number, prefix: string) => ({
    jobId: id,
    index,
    attempt: 1,
    operation: 'create_update_user',
    workspace: 'default',
    input: { body: { user_id: `${prefix}-${index}` } },
  });

  it('takes the slots of a batch in one governor call and counts its items in one counter write per job', async () => {
    const a = jobId();
    const b = jobId();
    await registerJob(a, 7);
    await registerJob(b, 3);
    const records = [
      ...Array.from({ length: 7 }, (_, i) => record(upsert(a, i, 'batch-a'))),
      ...Array.from({ length: 3 }, (_, i) => record(upsert(b, i, 'batch-b'))),
    ];
    const counts: string[] = [];
    const countingStore = new (class extends JobStore {
      override async count(
        jobId: string,
        attempt: number,
        delta: { succeeded: number; failed: number },
        at: number,
      ) {
        counts.push(`${jobId === a ? 'a' : 'b'}:${delta.succeeded}/${delta.failed}`);
        return super.count(jobId, attempt, delta, at);
      }
    })(DynamoDBDocumentClient.from(emulators.dynamodb), 'jobs', 14);
    const result = (await createBulkWorker({
      store: countingStore,
      governor: governor as never,
      queue: queue as never,
      clientFor: () => client,
      maxAttempts: 5,
      maxReceiveCount: 20,
      now,
    })({ Records: records } as never, context)) as SQSBatchResponse;
    expect(result.batchItemFailures).toEqual([]);
    expect(slots).toEqual([10]);
    expect(slotsByJob).toEqual([{ [a]: 7, [b]: 3 }]);
    expect(counts.sort()).toEqual(['a:7/0', 'b:3/0']);
    expect(await store.getJob(a)).toMatchObject({ succeeded: 7, failed: 0 });
    expect(await store.getJob(b)).toMatchObject({ succeeded: 3, failed: 0 });
  });

  it("a worker that dies between the items' outcomes and the batch's count runs nothing twice, and the job is counted right once it sits still", async () => {
    const id = jobId();
    await registerJob(id, 4);
    const records = Array.from({ length: 4 }, (_, i) => record(upsert(id, i, 'dies-before-count')));
    const dying = createBulkWorker({
      store,
      governor: governor as never,
      queue: queue as never,
      clientFor: () => client,
      maxAttempts: 5,
      maxReceiveCount: 20,
      now,
      beforeCount: () => {
        throw new Error('simulated crash before the counter write');
      },
    });
    await expect(dying({ Records: records } as never, context)).rejects.toThrow('simulated crash');
    expect(await store.getJob(id)).toMatchObject({ succeeded: 0, failed: 0 });
    // SQS delivers the batch again: every item is done, nothing reaches Intercom a second time.
    const redelivered = records.map((r) => ({
      ...r,
      attributes: { ...r.attributes, ApproximateReceiveCount: '2' },
    }));
    expect(await deliver(...redelivered)).toEqual([]);
    expect(wire('POST', '/users', (b) => String(b?.user_id).startsWith('dies-before-count-'))).toBe(4);
    const service = newService();
    const key = { id: 'k1', name: 'k1', workspace: 'default', scopes: ['bulk', 'read'] } as never;
    // Short until then (never long): the counters missed the dead batch's write.
    expect(await service.status(id, key)).toMatchObject({ succeeded: 0, pending: 4 });
    clock.now += 6 * 60_000;
    expect(await service.status(id, key)).toMatchObject({ status: 'completed', succeeded: 4, pending: 0 });
    // A counter write of that attempt that comes later still (a stalled worker) is refused.
    expect(await store.count(id, 1, { succeeded: 4, failed: 0 }, clock.now)).toBe(false);
    expect(await store.getJob(id)).toMatchObject({ succeeded: 4, failed: 0 });
  });
});

describe('chunk registration', () => {
  const chunk = (id: string, offset: number, size: number, final: boolean, hash = `h${offset}`) => ({
    jobId: id,
    operation: 'create_update_user',
    workspace: 'default',
    ownerId: 'key:k1' as const,
    createdBy: 'k1',
    offset,
    size,
    accepted: size,
    final,
    hash,
    now: clock.now,
    expiresAt: store.expiresAt(clock.now),
  });

  it('keeps the job record one size however many chunks it has, and knows each chunk again', async () => {
    const id = jobId();
    for (let i = 0; i < 200; i++) {
      expect((await store.registerChunk(chunk(id, i * 1000, 1000, i === 199))).kind).toBe('created');
    }
    const job = await store.getJob(id);
    // The counters' writes pay for the job record's size, once per batch: it must not grow.
    expect(Buffer.byteLength(JSON.stringify(job))).toBeLessThan(1024);
    expect(await store.registerChunk(chunk(id, 57_000, 1000, false))).toMatchObject({
      kind: 'replay',
      queued: false,
    });
    await store.markChunkQueued(id, 57_000);
    expect(await store.registerChunk(chunk(id, 57_000, 1000, false))).toMatchObject({
      kind: 'replay',
      queued: true,
    });
    expect(await store.registerChunk(chunk(id, 57_000, 1000, false, 'other'))).toMatchObject({
      kind: 'conflict',
      reason: 'chunk',
      differs: ['other items'],
    });
    // An offset inside a chunk is no chunk's start.
    expect(await store.registerChunk(chunk(id, 57_500, 500, false))).toMatchObject({
      kind: 'conflict',
      reason: 'offset',
    });
    expect((await store.unqueuedChunks(id)).length).toBe(199);
  });

  it("knows the latest chunk again when a crash lost its chunk record after the job's write", async () => {
    const id = jobId();
    expect((await store.registerChunk(chunk(id, 0, 10, false))).kind).toBe('created');
    expect((await store.registerChunk(chunk(id, 10, 5, true))).kind).toBe('created');
    await DynamoDBDocumentClient.from(emulators.dynamodb).send(
      new DeleteCommand({
        TableName: 'jobs',
        Key: { pk: `job#${id}`, sk: `chunk#${String(10).padStart(10, '0')}` },
      }),
    );
    expect(await store.registerChunk(chunk(id, 10, 5, true))).toMatchObject({
      kind: 'replay',
      queued: false,
    });
    expect(await store.registerChunk(chunk(id, 10, 5, true, 'other'))).toMatchObject({
      kind: 'conflict',
      reason: 'chunk',
    });
  });
});

describe('recovery at a restart', () => {
  it("puts counters right that a kill between an item's marker and its count left short, then queues the rest", async () => {
    const id = jobId();
    await registerJob(id, 3);
    const inputs = [0, 1, 2].map((index) => ({ index, input: { body: { user_id: `recover-${index}` } } }));
    await store.putInputs(id, 0, inputs, store.expiresAt(clock.now));
    const context = { operation: 'create_update_user', workspace: 'default' };
    // Item 0 finished and its batch counted it; item 1 finished (its record says counted) and the
    // process died before its batch's counter write; item 2 never ran.
    for (const index of [0, 1]) {
      await store.claim(id, index, 1, clock.now + 60_000, clock.now, context);
      await store.finish(id, index, 1, { state: 'succeeded' }, clock.now);
    }
    expect(await store.count(id, 1, { succeeded: 1, failed: 0 }, clock.now)).toBe(true);
    expect(await store.getJob(id)).toMatchObject({ succeeded: 1 });
    const service = newService();
    sent.length = 0;
    const recovered = await service.recoverAll();
    expect(recovered.requeued).toBeGreaterThanOrEqual(1);
    expect(await store.getJob(id)).toMatchObject({ succeeded: 2, failed: 0 });
    expect(sent.filter((m) => m.jobId === id).map((m) => [m.index, m.attempt])).toEqual([[2, 1]]);
  });
});

describe('the rate governor', () => {
  it('gives delete_visitor two slots: its id lookup and the delete are two Intercom requests', async () => {
    const m = {
      jobId: jobId(),
      index: 0,
      attempt: 1,
      operation: 'delete_visitor',
      workspace: 'default',
      input: { user_id: 'no-such-visitor' },
    };
    await deliver(record(m));
    expect(slots).toEqual([2]);
    const tag = { ...m, jobId: jobId(), operation: 'create_tag', input: { body: { name: 'one-slot' } } };
    slots.length = 0;
    await deliver(record(tag));
    expect(slots).toEqual([1]);
  });
});
