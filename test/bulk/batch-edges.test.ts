/**
 * Races and edge cases of the batch bookkeeping (per-batch slots and counts, per-chunk records),
 * each found by a hostile review and kept as a regression test.
 * Harness: the real job store on the DynamoDB emulator, the sandbox Intercom on a fake clock, a fake
 * queue, and either a fake governor (that can throw) or the real RateGovernor on the emulator.
 */
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { Context, SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { JobStore } from '../../lib/bulk/job-store.ts';
import type { ItemMessage } from '../../lib/bulk/messages.ts';
import { BulkService } from '../../lib/bulk/service.ts';
import { createBulkWorker } from '../../lib/bulk/worker.ts';
import type { Operation } from '../../lib/catalog/types.ts';
import { RateGovernor } from '../../lib/governor/rate-governor.ts';
import { type CallOptions, IntercomClient } from '../../lib/intercom/client.ts';
import { IntercomHttpError } from '../../lib/intercom/errors.ts';
import { createTables, type Emulators, startEmulators } from '../../lib/local/emulators.ts';
import { type Sandbox, startSandbox } from '../../lib/sandbox/server.ts';
import { createTableInput, JOBS_TABLE, RATE_TABLE } from '../../lib/tables/definitions.ts';
import { recordingGovernor, registerTestJob, sqsRecord } from '../helpers/bulk-records.ts';

const clock = { now: Date.UTC(2026, 10, 25, 12) };
const now = () => clock.now;
const TOKEN = 'tok_review_test';

class TestClient extends IntercomClient {
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
    return super.call(operation, input, options);
  }
}

let emulators: Emulators;
let sandbox: Sandbox;
let db: DynamoDBDocumentClient;
let store: JobStore;
let client: TestClient;
const sent: ItemMessage[] = [];
const fakeGovernor = recordingGovernor(now);
const queue = {
  async delay() {},
  async sendAll(messages: Array<{ body: string }>) {
    sent.push(...messages.map((m) => JSON.parse(m.body) as ItemMessage));
  },
};

beforeAll(async () => {
  Object.assign(process.env, { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' });
  emulators = await startEmulators();
  await createTables(emulators.dynamodb, [
    createTableInput(JOBS_TABLE, 'jobs'),
    createTableInput(RATE_TABLE, 'rate'),
  ]);
  db = DynamoDBDocumentClient.from(emulators.dynamodb);
  store = new JobStore(db, 'jobs', 14);
  sandbox = await startSandbox({ token: TOKEN, seed: false, quiet: true, now });
}, 30_000);
afterAll(async () => {
  await sandbox?.close();
  await emulators?.close();
});
beforeEach(() => {
  client = new TestClient({ token: TOKEN, baseUrl: sandbox.url, now, retry: { maxRetries: 0 } });
  sent.length = 0;
  fakeGovernor.fails = false;
});

const workerWith = (governor: unknown, remainingMs = 60_000) => {
  const handler = createBulkWorker({
    store,
    governor: governor as never,
    queue: queue as never,
    clientFor: () => client,
    maxAttempts: 5,
    maxReceiveCount: 20,
    verifyDelayMs: 60_000,
    now,
  });
  return async (...records: SQSRecord[]) => {
    const context = { getRemainingTimeInMillis: () => remainingMs } as Context;
    const result = (await handler({ Records: records } as never, context)) as SQSBatchResponse;
    return result.batchItemFailures.map((f) => f.itemIdentifier);
  };
};

const record = sqsRecord;

function wire(method: string, path: string, predicate: (body: any) => boolean = () => true): number {
  return sandbox.requests().filter((r) => r.method === method && r.path === path && predicate(r.body)).length;
}

let jobs = 0;
const jobId = () => `job_review${String(++jobs).padStart(6, '0')}`;
const KEY = { id: 'k1', name: 'k1', workspace: 'default', scopes: ['bulk', 'write', 'read'] } as never;
const newService = () =>
  new BulkService({ store, queue: queue as never, governor: fakeGovernor as never, validators: {}, now });

const registerJob = (id: string, size: number, operation?: string) =>
  registerTestJob(store, id, size, clock.now, operation);

const badRequest = () =>
  new IntercomHttpError({ status: 400, intercomCode: 'parameter_invalid', message: 'bad', retryable: false });

describe('counting a retried attempt item by item: items that succeeded in an earlier attempt are done, not pending', () => {
  // Only a FAILED item of an older attempt is pending (retry-failed queued it again); one that
  // succeeded then is done. Counted otherwise, a crash between an item's outcome and its batch's
  // count in attempt >= 2 would leave the counters short for ever.
  it('a crash before the batch count in attempt 2 is put right by status once the job sits still', async () => {
    const id = jobId();
    await registerJob(id, 2);
    const deliver = workerWith(fakeGovernor);
    const m = (index: number, attempt: number) => ({
      jobId: id,
      index,
      attempt,
      operation: 'create_update_user',
      workspace: 'default',
      input: { body: { user_id: `review-d1-${index}` } },
    });
    // Attempt 1: item 0 succeeds, item 1 fails.
    client.refuse = (_op, input) =>
      (input.body as { user_id: string }).user_id === 'review-d1-1' ? badRequest() : undefined;
    expect(await deliver(record(m(0, 1)), record(m(1, 1)))).toEqual([]);
    client.refuse = undefined;
    const service = newService();
    expect(await service.status(id, KEY)).toMatchObject({ status: 'completed_with_errors', succeeded: 1 });
    expect(await service.retryFailed(id, KEY)).toMatchObject({ attempt: 2, started: true });

    // Attempt 2 of item 1 succeeds; the worker dies after the item's record and before the batch count.
    const context = { operation: 'create_update_user', workspace: 'default' };
    expect((await store.claim(id, 1, 2, clock.now + 60_000, clock.now, context)).kind).toBe('claimed');
    expect(await store.finish(id, 1, 2, { state: 'succeeded' }, clock.now)).toBe(true);
    // SQS redelivers the dead batch: the item is done and its marker says counted; nothing is added.
    expect(await deliver(record(m(1, 2), 2))).toEqual([]);

    clock.now += 6 * 60_000;
    // The stuck job is counted item by item, as in attempt 1.
    expect(await service.status(id, KEY)).toMatchObject({ status: 'completed', succeeded: 2, pending: 0 });
  });
});

describe('a batch asking more slots than a window allows runs what the grant covers', () => {
  // The batch asks for the sum of its slots in one acquire. With a bulk budget smaller than the
  // batch (others' use is subtracted, down to 1) the governor grants a whole budget and the batch runs
  // the items it covers; the rest come back next window. Granting all or nothing would burn the slots
  // taken and hand every item back at every delivery.
  it('runs at least one item of a two-item batch over three deliveries when the budget is one request per window', async () => {
    const id = jobId();
    await registerJob(id, 2);
    const governor = new RateGovernor(db, {
      table: 'rate',
      defaultLimit: 1,
      windowSeconds: 10,
      reserveFraction: 0,
      now,
      sleep: async (ms) => {
        clock.now += ms;
      },
    });
    // A Lambda with 15 s left: slots may be waited for until 15 - 3 - 5 = 7 s from now.
    const deliver = workerWith(governor, 15_000);
    const m = (index: number) => ({
      jobId: id,
      index,
      attempt: 1,
      operation: 'create_update_user',
      workspace: 'ws-review-starve',
      input: { body: { user_id: `review-d2-${index}` } },
    });
    const records = [record(m(0)), record(m(1))];
    for (let receive = 1; receive <= 3; receive++) {
      // Each delivery starts at a window's start.
      clock.now = Math.ceil(clock.now / 10_000) * 10_000 + 10_000;
      await deliver(
        ...records.map((r) => ({
          ...r,
          attributes: { ...r.attributes, ApproximateReceiveCount: String(receive) },
        })),
      );
    }
    const calls = wire('POST', '/users', (b) => String(b?.user_id).startsWith('review-d2-'));
    // Each window's one slot went to a request ...
    const windows = await governor.jobWindows('ws-review-starve', id, clock.now - 60_000, clock.now);
    expect(windows.reduce((sum, w) => sum + w.granted, 0)).toBeGreaterThan(0);
    // ... so one item ran per window: both are done.
    expect(calls).toBeGreaterThan(0);
  });
});

describe("a governor error gives the batch's claimed items back untried, so a non-verifiable write is not taken for sent", () => {
  // Every waiter of the batch gets the governor's error (no hang). The items were claimed before the
  // slot was asked for: each is released untried, so after the redelivery create_lead (not retry-safe,
  // no lookup) runs instead of being failed outcome_unknown as if its call might have been made.
  it('runs the batch once the governor is back, instead of failing never-sent items as outcome_unknown', async () => {
    const id = jobId();
    await registerJob(id, 2, 'create_lead');
    const deliver = workerWith(fakeGovernor);
    const m = (index: number) => ({
      jobId: id,
      index,
      attempt: 1,
      operation: 'create_lead',
      workspace: 'default',
      input: { body: { email: `review-d3-${index}@example.com` } },
    });
    fakeGovernor.fails = true;
    const first = [record(m(0)), record(m(1))];
    // Both waiters got the error (no hang): both messages come back.
    expect((await deliver(...first)).sort()).toEqual(first.map((r) => r.messageId).sort());
    expect(client.calls).toEqual([]);
    fakeGovernor.fails = false;
    clock.now += 120_000;
    expect(await deliver(record(m(0), 2), record(m(1), 2))).toEqual([]);
    const items = [await store.getItem(id, 0), await store.getItem(id, 1)];
    expect(items.map((i) => i?.error?.code)).toEqual([undefined, undefined]);
    expect(items.map((i) => i?.state)).toEqual(['succeeded', 'succeeded']);
    expect(client.calls.filter((c) => c === 'create_lead')).toHaveLength(2);
  });
});

describe('a chunk whose record write was lost is known again after later chunks registered', () => {
  // The chunk record is written after the job's write; the job's `lastChunk` covers a lost record of
  // the latest chunk, and the next chunk's registration writes it from there. Otherwise a replay of
  // the lost chunk would be refused (409 offset_mismatch) while `total` counts its never-queued items.
  it('recognises a replay of a non-latest chunk whose record write was lost', async () => {
    const id = jobId();
    let dropChunk10 = true;
    const flaky = {
      send: (command: unknown) => {
        if (
          dropChunk10 &&
          command instanceof PutCommand &&
          (command.input.Item as { sk?: string } | undefined)?.sk === `chunk#${String(10).padStart(10, '0')}`
        ) {
          dropChunk10 = false;
          return Promise.reject(new Error('Lambda timed out (simulated crash between the two writes)'));
        }
        return db.send(command as never);
      },
    } as unknown as DynamoDBDocumentClient;
    const flakyStore = new JobStore(flaky, 'jobs', 14);
    const chunk = (offset: number, final: boolean) => ({
      jobId: id,
      operation: 'create_update_user',
      workspace: 'default',
      ownerId: 'key:k1' as const,
      createdBy: 'k1',
      offset,
      size: 10,
      accepted: 10,
      final,
      hash: `h${offset}`,
      now: clock.now,
      expiresAt: store.expiresAt(clock.now),
    });
    expect((await flakyStore.registerChunk(chunk(0, false))).kind).toBe('created');
    await expect(flakyStore.registerChunk(chunk(10, false))).rejects.toThrow('simulated crash');
    // Another sender of the job (or a pipelining client) registers the next chunk meanwhile.
    expect((await flakyStore.registerChunk(chunk(20, true))).kind).toBe('created');
    expect(await store.getJob(id)).toMatchObject({ total: 30 });
    // The client repeats the chunk whose request failed: it must be a replay (its items get queued).
    expect(await flakyStore.registerChunk(chunk(10, false))).toMatchObject({ kind: 'replay' });
  });
});
