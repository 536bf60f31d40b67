import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
} from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import {
  createQueueWithDeadLetter,
  type Emulators,
  type QueueWithDeadLetterOptions,
  startEmulators,
} from '../../lib/local/emulators.ts';
import {
  type InvocationInfo,
  type SqsEventSource,
  type SqsEventSourceOptions,
  startSqsEventSource,
} from '../../lib/local/sqs-event-source.ts';

let emulators: Emulators;
let queueCount = 0;
const sources: SqsEventSource[] = [];

beforeAll(async () => {
  emulators = await startEmulators();
});
afterEach(async () => {
  await Promise.all(sources.splice(0).map((source) => source.stop()));
});
afterAll(() => emulators.close());

async function newQueue(options: Partial<QueueWithDeadLetterOptions> = {}) {
  return createQueueWithDeadLetter(emulators.sqs, {
    name: `queue-${++queueCount}`,
    visibilityTimeoutSeconds: 1,
    maxReceiveCount: 5,
    ...options,
  });
}

async function send(
  queueUrl: string,
  bodies: string[],
  extra: (body: string) => Record<string, unknown> = () => ({}),
) {
  for (let start = 0; start < bodies.length; start += 10) {
    const chunk = bodies.slice(start, start + 10);
    const { Failed = [] } = await emulators.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: chunk.map((body, index) => ({ Id: String(index), MessageBody: body, ...extra(body) })),
      }),
    );
    expect(Failed).toEqual([]);
  }
}

type Queue = Awaited<ReturnType<typeof newQueue>>;

function start(
  queue: Queue,
  handler: SqsEventSourceOptions['handler'],
  options: Partial<SqsEventSourceOptions> = {},
) {
  const source = startSqsEventSource({
    sqs: emulators.sqs,
    queueUrl: queue.queueUrl,
    queueArn: queue.queueArn,
    handler,
    waitTimeSeconds: 1,
    ...options,
  });
  sources.push(source);
  return source;
}

/** Records every invocation's records, then answers with `respond`. */
function recorder(
  respond: (event: SQSEvent, call: number) => Promise<SQSBatchResponse | undefined> | undefined,
) {
  const batches: SQSRecord[][] = [];
  const handler = async (event: SQSEvent) => {
    batches.push(event.Records);
    return respond(event, batches.length);
  };
  const seen = () => batches.flat().map((record) => [record.body, record.attributes.ApproximateReceiveCount]);
  return { batches, handler, seen };
}

async function queueDepth(queueUrl: string) {
  const { Attributes = {} } = await emulators.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible)
  );
}

describe('startSqsEventSource', () => {
  it('delivers Lambda-shaped records in batches no larger than batchSize, then deletes them', async () => {
    const queue = await newQueue();
    await send(queue.queueUrl, ['a', 'b', 'c', 'd', 'e', 'f', 'g'], (body) =>
      body === 'a'
        ? {
            MessageAttributes: {
              tenant: { DataType: 'String', StringValue: 'acme' },
              blob: { DataType: 'Binary', BinaryValue: Buffer.from('hi') },
            },
          }
        : {},
    );
    const { batches, handler } = recorder(() => undefined);
    const source = start(queue, handler, { batchSize: 3, waitTimeSeconds: 0 });
    await source.drained(5_000);

    expect(batches.every((batch) => batch.length >= 1 && batch.length <= 3)).toBe(true);
    expect(
      batches
        .flat()
        .map((record) => record.body)
        .sort(),
    ).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    expect(source.stats).toEqual({
      invocations: batches.length,
      records: 7,
      failedRecords: 0,
      failedInvocations: 0,
    });

    const record = batches.flat().find((r) => r.body === 'a')!;
    expect(record).toEqual({
      messageId: expect.any(String),
      receiptHandle: expect.any(String),
      body: 'a',
      attributes: {
        ApproximateReceiveCount: '1',
        SentTimestamp: expect.stringMatching(/^\d+$/),
        SenderId: expect.any(String),
        ApproximateFirstReceiveTimestamp: expect.stringMatching(/^\d+$/),
      },
      messageAttributes: {
        tenant: { stringValue: 'acme', stringListValues: [], binaryListValues: [], dataType: 'String' },
        blob: { binaryValue: 'aGk=', stringListValues: [], binaryListValues: [], dataType: 'Binary' },
      },
      md5OfBody: createHash('md5').update('a').digest('hex'),
      md5OfMessageAttributes: expect.stringMatching(/^[0-9a-f]{32}$/),
      eventSource: 'aws:sqs',
      eventSourceARN: queue.queueArn,
      awsRegion: 'us-east-1',
    });
  });

  it('gathers more than 10 records into one batch within the batching window', async () => {
    const queue = await newQueue();
    await send(
      queue.queueUrl,
      Array.from({ length: 25 }, (_, i) => `m${i}`),
    );
    const { batches, handler } = recorder(() => undefined);
    const source = start(queue, handler, { batchSize: 25, maxBatchingWindowMs: 300 });
    await source.drained(5_000);
    expect(batches.map((batch) => batch.length)).toEqual([25]);
  });

  it('gives the handler a Lambda context counting down from functionTimeoutMs', async () => {
    const queue = await newQueue();
    await send(queue.queueUrl, ['x']);
    const contexts: Array<{ remaining: number; requestId: string; name: string; arn: string }> = [];
    const source = start(
      queue,
      async (_event, context) => {
        contexts.push({
          remaining: context.getRemainingTimeInMillis(),
          requestId: context.awsRequestId,
          name: context.functionName,
          arn: context.invokedFunctionArn,
        });
      },
      { functionTimeoutMs: 5_000, functionName: 'bulk-worker' },
    );
    await source.drained(5_000);
    expect(contexts).toEqual([
      {
        remaining: expect.any(Number),
        requestId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        name: 'bulk-worker',
        arn: 'arn:aws:lambda:us-east-1:123456789012:function:bulk-worker',
      },
    ]);
    expect(contexts[0]!.remaining).toBeGreaterThan(4_000);
    expect(contexts[0]!.remaining).toBeLessThanOrEqual(5_000);
  });

  it('on a partial batch failure deletes the successes; the failure comes back, received twice', async () => {
    const queue = await newQueue();
    await send(queue.queueUrl, ['ok-1', 'fails', 'ok-2']);
    const { handler, seen } = recorder((event, call) => {
      const failing = event.Records.find((record) => record.body === 'fails');
      return Promise.resolve(
        call === 1 && failing ? { batchItemFailures: [{ itemIdentifier: failing.messageId }] } : undefined,
      );
    });
    const invocations: InvocationInfo[] = [];
    const source = start(queue, handler, { onInvoke: (info) => invocations.push(info) });
    await source.drained(5_000);
    expect(seen()).toEqual([
      ['ok-1', '1'],
      ['fails', '1'],
      ['ok-2', '1'],
      ['fails', '2'],
    ]);
    expect(invocations.map(({ records, failures, error }) => ({ records, failures, error }))).toEqual([
      { records: 3, failures: 1, error: undefined },
      { records: 1, failures: 0, error: undefined },
    ]);
    expect(source.stats).toEqual({ invocations: 2, records: 4, failedRecords: 1, failedInvocations: 0 });
  });

  it('redelivers the whole batch when the handler throws', async () => {
    const queue = await newQueue();
    await send(queue.queueUrl, ['a', 'b']);
    const { handler, seen } = recorder((_event, call) => {
      if (call === 1) throw new Error('boom');
      return undefined;
    });
    const errors: unknown[] = [];
    const source = start(queue, handler, { onInvoke: ({ error }) => errors.push(error) });
    await source.drained(5_000);
    expect(seen()).toEqual([
      ['a', '1'],
      ['b', '1'],
      ['a', '2'],
      ['b', '2'],
    ]);
    expect(errors).toEqual([new Error('boom'), undefined]);
    expect(source.stats.failedInvocations).toBe(1);
  });

  it.each([
    ['an unknown', 'not-a-message-id'],
    ['an empty', ''],
  ])('fails the whole batch when batchItemFailures holds %s itemIdentifier', async (_, itemIdentifier) => {
    const queue = await newQueue();
    await send(queue.queueUrl, ['a', 'b']);
    const { handler, seen } = recorder((_event, call) =>
      Promise.resolve(call === 1 ? { batchItemFailures: [{ itemIdentifier }] } : { batchItemFailures: [] }),
    );
    const source = start(queue, handler);
    await source.drained(5_000);
    expect(seen()).toEqual([
      ['a', '1'],
      ['b', '1'],
      ['a', '2'],
      ['b', '2'],
    ]);
    expect(source.stats).toEqual({ invocations: 2, records: 4, failedRecords: 2, failedInvocations: 1 });
  });

  it('leaves a message that keeps failing to SQS, which moves it to the DLQ after maxReceiveCount', async () => {
    const queue = await newQueue({ maxReceiveCount: 2 });
    await send(queue.queueUrl, ['poison']);
    const { handler, seen } = recorder(() => {
      throw new Error('always');
    });
    const source = start(queue, handler);
    await source.drained(6_000);
    expect(seen()).toEqual([
      ['poison', '1'],
      ['poison', '2'],
    ]);
    const { Messages = [] } = await emulators.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queue.deadLetterQueueUrl, AttributeNames: ['All'] }),
    );
    expect(Messages.map((message) => message.Body)).toEqual(['poison']);
  });

  it('counts a handler running past functionTimeoutMs as failed', async () => {
    const queue = await newQueue();
    await send(queue.queueUrl, ['slow']);
    const { handler, seen } = recorder(async (_event, call) => {
      if (call === 1) await sleep(600);
      return undefined;
    });
    const errors: unknown[] = [];
    const source = start(queue, handler, {
      functionTimeoutMs: 150,
      onInvoke: ({ error }) => errors.push(error),
    });
    await source.drained(5_000);
    expect(seen()).toEqual([
      ['slow', '1'],
      ['slow', '2'],
    ]);
    expect(errors).toEqual([new Error('Task timed out after 0.15 seconds'), undefined]);
    expect(source.stats.failedInvocations).toBe(1);
  });

  it('never runs more than maxConcurrency batches at once', async () => {
    const queue = await newQueue({ visibilityTimeoutSeconds: 10 });
    await send(
      queue.queueUrl,
      Array.from({ length: 12 }, (_, i) => `m${i}`),
    );
    let running = 0;
    let most = 0;
    const source = start(
      queue,
      async () => {
        most = Math.max(most, ++running);
        await sleep(150);
        running--;
      },
      { batchSize: 1, maxConcurrency: 3, waitTimeSeconds: 0 },
    );
    await source.drained(5_000);
    expect(most).toBe(3);
    expect(source.stats.records).toBe(12);
  });

  it('stop() waits for the invocations in flight and then polls no more', async () => {
    const queue = await newQueue({ visibilityTimeoutSeconds: 10 });
    await send(queue.queueUrl, ['a']);
    let started = false;
    let finished = false;
    const source = start(queue, async () => {
      started = true;
      await sleep(300);
      finished = true;
    });
    while (!started) await sleep(10);
    await source.stop();
    expect(finished).toBe(true);
    expect(await queueDepth(queue.queueUrl)).toBe(0);

    await send(queue.queueUrl, ['after stop']);
    await sleep(200);
    expect(source.stats.invocations).toBe(1);
    await expect(source.drained(100)).rejects.toThrow(/not drained after 100 ms/);
  });

  it('rejects a batchSize or maxConcurrency below 1', async () => {
    const queue = await newQueue();
    expect(() => start(queue, async () => undefined, { maxConcurrency: 0 })).toThrow(RangeError);
    expect(() => start(queue, async () => undefined, { batchSize: 0 })).toThrow(RangeError);
  });

  it('keeps polling through SQS errors and still stops', async () => {
    const own = await startEmulators();
    const queue = await createQueueWithDeadLetter(own.sqs, {
      name: 'doomed',
      visibilityTimeoutSeconds: 1,
      maxReceiveCount: 2,
    });
    const errors: unknown[] = [];
    const source = startSqsEventSource({
      sqs: own.sqs,
      queueUrl: queue.queueUrl,
      queueArn: queue.queueArn,
      handler: async () => undefined,
      waitTimeSeconds: 0,
      onError: (error) => errors.push(error),
    });
    await own.close();
    // A second error means polling went on after the first; under a loaded machine (the full suite
    // on two workers) the SDK's own retries can take longer than a fixed 400 ms.
    for (const until = Date.now() + 5_000; errors.length < 2 && Date.now() < until; ) await sleep(50);
    expect(errors.length).toBeGreaterThan(1);
    await source.stop();
  });

  it('on a FIFO queue never runs a message group twice at once and keeps its order', async () => {
    const queue = await newQueue({ fifo: true, visibilityTimeoutSeconds: 1 });
    const bodies = ['a1', 'a2', 'a3', 'b1', 'b2'];
    await send(queue.queueUrl, bodies, (body) => ({
      MessageGroupId: body[0],
      MessageDeduplicationId: body,
    }));
    const active = new Set<string>();
    const order: string[] = [];
    let overlap = false;
    const source = start(
      queue,
      async (event) => {
        const groups = new Set(event.Records.map((record) => record.attributes.MessageGroupId!));
        for (const group of groups) {
          if (active.has(group)) overlap = true;
          active.add(group);
        }
        order.push(...event.Records.map((record) => record.body));
        await sleep(50);
        for (const group of groups) active.delete(group);
      },
      { batchSize: 1, maxConcurrency: 3, waitTimeSeconds: 0 },
    );
    await source.drained(5_000);
    expect(overlap).toBe(false);
    expect(order.filter((body) => body.startsWith('a'))).toEqual(['a1', 'a2', 'a3']);
    expect(order.filter((body) => body.startsWith('b'))).toEqual(['b1', 'b2']);
  });

  it('on a FIFO queue retries a failed message before the rest of its group', async () => {
    const queue = await newQueue({ fifo: true, visibilityTimeoutSeconds: 1 });
    await send(queue.queueUrl, ['a1', 'a2'], (body) => ({
      MessageGroupId: 'a',
      MessageDeduplicationId: body,
    }));
    const { handler, seen } = recorder((event, call) => {
      if (call === 1) throw new Error(`fail ${event.Records[0]!.body}`);
      return undefined;
    });
    const source = start(queue, handler, { batchSize: 1, waitTimeSeconds: 0 });
    await source.drained(5_000);
    expect(seen().map(([body]) => body)).toEqual(['a1', 'a1', 'a2']);
  });
});
