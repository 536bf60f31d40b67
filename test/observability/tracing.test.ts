/**
 * X-Ray subsegments as a traced Lambda sends them: a UDP socket stands in for the X-Ray daemon at
 * AWS_XRAY_DAEMON_ADDRESS, and _X_AMZN_TRACE_ID holds the invocation's trace header as Lambda sets it.
 * Each Intercom attempt of an action is a subsegment of the invocation; a bulk item is one of its own,
 * its Intercom call inside it, linked to the trace that queued it.
 */
import { createSocket, type Socket } from 'node:dgram';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { Context, SQSBatchResponse } from 'aws-lambda';
import { JobStore } from '../../lib/bulk/job-store.ts';
import { createBulkWorker } from '../../lib/bulk/worker.ts';
import { IntercomClient } from '../../lib/intercom/client.ts';
import { createTables, type Emulators, startEmulators } from '../../lib/local/emulators.ts';
import {
  parseDaemonAddress,
  parseTraceHeader,
  type SubsegmentDocument,
  tracing,
} from '../../lib/observability/tracing.ts';
import { type Sandbox, startSandbox } from '../../lib/sandbox/server.ts';
import { createTableInput, JOBS_TABLE } from '../../lib/tables/definitions.ts';
import { workspaceClientOptions } from '../../lib/workspaces/clients.ts';
import { type ActionStack, actionStack } from '../helpers/action-stack.ts';
import { recordingGovernor, registerTestJob, sqsRecord } from '../helpers/bulk-records.ts';
import { JSON_HEADERS } from '../helpers/mock-intercom.ts';

const ROOT = '1-67891233-abcdef012345678912345678';
const PARENT = '53995c3f42cd8ad8';
const sampled = (root = ROOT, parent = PARENT) =>
  `Root=${root};Parent=${parent};Sampled=1;Lineage=a87bd80c:0`;

let daemon: Socket;
/** Datagrams received, each checked to be the daemon header line and one document. */
const received: SubsegmentDocument[] = [];
let waiters: Array<() => void> = [];

async function documents(count: number): Promise<SubsegmentDocument[]> {
  while (received.length < count) await new Promise<void>((resolve) => waiters.push(resolve));
  return received.splice(0, count);
}

let stack: ActionStack;
const saved = { ...process.env };

beforeAll(async () => {
  daemon = createSocket('udp4');
  daemon.on('message', (message) => {
    const text = message.toString('utf8');
    const newline = text.indexOf('\n');
    expect(text.slice(0, newline)).toBe('{"format":"json","version":1}');
    received.push(JSON.parse(text.slice(newline + 1)) as SubsegmentDocument);
    for (const wake of waiters.splice(0)) wake();
  });
  daemon.bind(0, '127.0.0.1');
  await new Promise((resolve) => daemon.once('listening', resolve));
  // As Lambda sets it for a function with active tracing; read at the first traced call.
  process.env.AWS_XRAY_DAEMON_ADDRESS = `127.0.0.1:${daemon.address().port}`;
  stack = await actionStack();
});
afterAll(async () => {
  tracing().close();
  daemon.close();
  await stack.agent.close();
  process.env = saved;
});
beforeEach(() => {
  received.length = 0;
  waiters = [];
  delete process.env._X_AMZN_TRACE_ID;
});

describe('trace headers and daemon addresses', () => {
  it('reads the fields of a trace header in any order, and nothing without a root', () => {
    expect(parseTraceHeader(sampled())).toEqual({ root: ROOT, parent: PARENT, sampled: true });
    expect(parseTraceHeader(`Sampled=0;Root=${ROOT}`)).toEqual({
      root: ROOT,
      parent: undefined,
      sampled: false,
    });
    expect(parseTraceHeader('Parent=53995c3f42cd8ad8;Sampled=1')).toBeUndefined();
    expect(parseTraceHeader('')).toBeUndefined();
    expect(parseTraceHeader(undefined)).toBeUndefined();
  });

  it("reads a daemon address in both of the SDKs' forms, and refuses a broken one", () => {
    expect(parseDaemonAddress('169.254.79.129:2000')).toEqual({ host: '169.254.79.129', port: 2000 });
    expect(parseDaemonAddress('tcp:127.0.0.1:2000 udp:127.0.0.2:2001')).toEqual({
      host: '127.0.0.2',
      port: 2001,
    });
    expect(parseDaemonAddress('[::1]:2000')).toEqual({ host: '::1', port: 2000 });
    for (const bad of ['', 'localhost', ':2000', 'host:0', 'host:99999', 'tcp:127.0.0.1:2000'])
      expect(parseDaemonAddress(bad)).toBeUndefined();
  });
});

describe('an action function with active tracing', () => {
  it('sends each Intercom attempt as a subsegment of the invocation: operation, status, attempt, rate limit', async () => {
    process.env._X_AMZN_TRACE_ID = sampled();
    // The window resets now: the retry waits only its jitter.
    const reset = String(Math.floor(Date.now() / 1000));
    stack.pool.intercept({ path: '/users/u-traced', method: 'GET' }).reply(
      429,
      { type: 'error.list', errors: [{ code: 'rate_limit_exceeded', message: 'slow down' }] },
      {
        headers: {
          ...JSON_HEADERS,
          'x-ratelimit-limit': '1000',
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': reset,
        },
      },
    );
    stack.pool.intercept({ path: '/users/u-traced', method: 'GET' }).reply(
      200,
      { type: 'user', id: 'u-traced' },
      {
        headers: {
          ...JSON_HEADERS,
          'x-ratelimit-limit': '1000',
          'x-ratelimit-remaining': '998',
          'x-ratelimit-reset': reset,
        },
      },
    );
    const res = await stack.invoke({ path: '/actions/get_user', body: { id: 'u-traced' } });
    expect(res.statusCode).toBe(200);

    const [first, second] = await documents(2);
    for (const doc of [first!, second!]) {
      expect(doc).toMatchObject({
        name: 'Intercom get_user',
        trace_id: ROOT,
        parent_id: PARENT,
        type: 'subsegment',
        namespace: 'remote',
        http: { request: { method: 'GET', url: 'https://api.intercom.io/users/u-traced' } },
      });
      expect(doc.id).toMatch(/^[0-9a-f]{16}$/);
      expect(doc.end_time).toBeGreaterThanOrEqual(doc.start_time);
    }
    expect(first).toMatchObject({
      annotations: { operation: 'get_user', status: 429, attempt: 1 },
      metadata: {
        'intercom-actions': {
          rateLimitRemaining: 0,
          rateLimitLimit: 1000,
          errorCode: 'INTERCOM_RATE_LIMITED',
          intercomCode: 'rate_limit_exceeded',
        },
      },
      http: { response: { status: 429 } },
      throttle: true,
      error: true,
      cause: {
        exceptions: [{ type: 'IntercomRateLimitError', message: 'INTERCOM_RATE_LIMITED', remote: true }],
      },
    });
    expect(first).not.toHaveProperty('fault');
    expect(second).toMatchObject({
      annotations: { operation: 'get_user', status: 200, attempt: 2 },
      metadata: { 'intercom-actions': { rateLimitRemaining: 998 } },
      http: { response: { status: 200 } },
    });
    for (const flag of ['error', 'fault', 'throttle', 'cause']) expect(second).not.toHaveProperty(flag);
  });

  it('marks a 5xx as a fault, and sends nothing for an invocation that is not sampled', async () => {
    process.env._X_AMZN_TRACE_ID = `Root=${ROOT};Parent=${PARENT};Sampled=0`;
    stack.pool
      .intercept({ path: '/tags', method: 'GET' })
      .reply(200, { type: 'tag.list', tags: [] }, { headers: JSON_HEADERS });
    expect((await stack.invoke({ path: '/actions/list_tags' })).statusCode).toBe(200);
    // The next invocation is sampled: its subsegment is the first the daemon gets.
    const root = '1-67891234-000000000000000000000002';
    process.env._X_AMZN_TRACE_ID = sampled(root, '1111111111111111');
    stack.pool
      .intercept({ path: '/tags', method: 'GET' })
      .reply(
        503,
        { type: 'error.list', errors: [{ code: 'service_unavailable', message: 'down' }] },
        {
          headers: JSON_HEADERS,
        },
      )
      .times(4);
    expect((await stack.invoke({ path: '/actions/list_tags' })).statusCode).toBe(503);
    // The client's retries (the action's client makes 4 attempts), each a subsegment.
    const docs = await documents(4);
    expect(docs.map((d) => d.annotations)).toEqual(
      [1, 2, 3, 4].map((attempt) => ({ operation: 'list_tags', status: 503, attempt })),
    );
    for (const doc of docs) {
      expect(doc).toMatchObject({
        name: 'Intercom list_tags',
        trace_id: root,
        parent_id: '1111111111111111',
        fault: true,
      });
      expect(doc).not.toHaveProperty('error');
    }
  });
});

describe('a bulk worker with active tracing', () => {
  let emulators: Emulators;
  let sandbox: Sandbox;
  let store: JobStore;
  const TOKEN = 'tok_tracing_test';

  beforeAll(async () => {
    emulators = await startEmulators();
    await createTables(emulators.dynamodb, [createTableInput(JOBS_TABLE, 'jobs')]);
    store = new JobStore(DynamoDBDocumentClient.from(emulators.dynamodb), 'jobs', 14);
    sandbox = await startSandbox({ token: TOKEN, seed: false, quiet: true });
  }, 30_000);
  afterAll(async () => {
    await sandbox?.close();
    await emulators?.close();
  });

  it('traces each item in a subsegment of its own, its Intercom call inside, linked to the trace that queued it', async () => {
    const client = new IntercomClient({
      ...workspaceClientOptions({
        name: 'default',
        accessToken: TOKEN,
        region: 'us',
        version: '1.4',
        webhookSecrets: [],
      }),
      baseUrl: sandbox.url,
      retry: { maxRetries: 0 },
    });
    const worker = createBulkWorker({
      store,
      governor: recordingGovernor(Date.now) as never,
      queue: { delay: async () => undefined } as never,
      clientFor: () => client,
      maxAttempts: 5,
      maxReceiveCount: 20,
    });
    const jobId = 'job_tracingtest000001';
    await registerTestJob(store, jobId, 1, Date.now());
    const record = sqsRecord({
      jobId,
      index: 0,
      attempt: 1,
      operation: 'create_update_user',
      workspace: 'default',
      input: { body: { user_id: 'traced-1', email: 'traced@example.com' } },
    });
    // What SQS hands Lambda when the sender (the bulk function) was traced.
    const producer = '1-67891235-000000000000000000000003';
    record.attributes.AWSTraceHeader = `Root=${producer};Parent=2222222222222222;Sampled=1`;
    process.env._X_AMZN_TRACE_ID = sampled();
    const context = { getRemainingTimeInMillis: () => 60_000 } as Context;
    const result = (await worker({ Records: [record] }, context)) as SQSBatchResponse;
    expect(result.batchItemFailures).toEqual([]);

    const docs = await documents(2);
    const item = docs.find((d) => d.name === 'bulk item')!;
    const call = docs.find((d) => d.name === 'Intercom create_update_user')!;
    expect(item).toMatchObject({
      trace_id: ROOT,
      parent_id: PARENT,
      type: 'subsegment',
      annotations: { jobId },
      metadata: {
        'intercom-actions': {
          messageId: record.messageId,
          producerTraceId: producer,
          index: 0,
          attempt: 1,
          operation: 'create_update_user',
        },
      },
    });
    expect(item).not.toHaveProperty('fault');
    expect(call).toMatchObject({
      trace_id: ROOT,
      parent_id: item.id,
      annotations: { operation: 'create_update_user', status: 200, attempt: 1 },
      http: { request: { method: 'POST', url: `${sandbox.url}/users` } },
    });
    expect(call.start_time).toBeGreaterThanOrEqual(item.start_time);
    expect(call.end_time).toBeLessThanOrEqual(item.end_time);
  });
});
