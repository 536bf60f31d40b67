/**
 * Lambda's SQS event source mapping, locally: polls a queue, invokes a handler with the event and
 * context Lambda would build, and deletes what Lambda would delete. Failed messages are left alone, so
 * SQS itself counts receives and redrives them to the dead-letter queue.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import { withInvocationLog } from '../observability/logger.ts';

// biome-ignore lint/suspicious/noConfusingVoidType: handlers typed as aws-lambda's SQSHandler return Promise<void>.
export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void | undefined>;

export interface InvocationInfo {
  records: number;
  /** Records left on the queue: all of them when the invocation failed. */
  failures: number;
  error?: unknown;
  ms: number;
}

export interface SqsEventSourceOptions {
  sqs: SQSClient;
  queueUrl: string;
  queueArn: string;
  handler: SqsHandler;
  /** Above 10, several receives are gathered into one batch. */
  batchSize?: number;
  /** How long to keep gathering a batch after its first message. */
  maxBatchingWindowMs?: number;
  /** Batches in flight at once. */
  maxConcurrency?: number;
  /** One long poll's length. */
  waitTimeSeconds?: number;
  /** Past it an invocation counts as failed, like a Lambda timeout. */
  functionTimeoutMs?: number;
  functionName?: string;
  onInvoke?: (info: InvocationInfo) => void;
  /** Errors of polling and deleting, which are retried; the first of a streak goes to console.warn without it. */
  onError?: (error: unknown) => void;
  region?: string;
}

export interface SqsEventSourceStats {
  invocations: number;
  records: number;
  failedRecords: number;
  failedInvocations: number;
}

export interface SqsEventSource {
  /** Stops polling and waits for the invocations in flight. */
  stop(): Promise<void>;
  /** Resolves once the queue holds no message (visible, in flight or delayed) and no invocation runs. */
  drained(timeoutMs?: number): Promise<void>;
  readonly stats: SqsEventSourceStats;
}

interface Received {
  message: Message;
  receivedAt: number;
}

const MAX_RECEIVE = 10;
const IDLE_PAUSE_MS = 10;
const BACKOFF_MS = { first: 100, max: 5_000 };
const DRAIN_CHECK_MS = 50;

export function startSqsEventSource(options: SqsEventSourceOptions): SqsEventSource {
  const batchSize = options.batchSize ?? 10;
  const maxBatchingWindowMs = options.maxBatchingWindowMs ?? 0;
  const maxConcurrency = options.maxConcurrency ?? 2;
  const waitMs = (options.waitTimeSeconds ?? 1) * 1000;
  const functionTimeoutMs = options.functionTimeoutMs ?? 30_000;
  for (const [name, value] of Object.entries({ batchSize, maxConcurrency })) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`);
  }
  const [, , , arnRegion, accountId = '123456789012', queueName = 'queue'] = options.queueArn.split(':');
  const region = options.region ?? arnRegion ?? 'us-east-1';
  const functionName = options.functionName ?? `${queueName.replace(/\.fifo$/, '')}-consumer`;
  const reportError = options.onError ?? warnOncePerStreak();
  const { sqs, queueUrl } = options;

  const stats: SqsEventSourceStats = { invocations: 0, records: 0, failedRecords: 0, failedInvocations: 0 };
  const inFlight = new Set<Promise<void>>();
  const stopping = new AbortController();
  const groups = options.queueArn.endsWith('.fifo') ? new MessageGroupLocks() : undefined;
  let visibilityTimeoutMs: number | undefined;

  async function receive(max: number): Promise<Received[]> {
    // Short polls only: local-aws-sqs holds a long poll open until it has MaxNumberOfMessages, where
    // SQS answers as soon as any message is there; collectBatch() strings short polls into a long poll.
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: max,
        WaitTimeSeconds: 0,
        AttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    const receivedAt = Date.now();
    return Messages.map((message) => ({ message, receivedAt }));
  }

  /** Gathers one batch: waits up to one long poll for a first message, then fills it like Lambda does. */
  async function collectBatch(): Promise<Received[]> {
    const batch = new Map<string, Received>();
    const add = (received: Received[]) => {
      // The same message can come back within a batch when its visibility ran out: keep the newest
      // receipt handle, the only one that can still delete it.
      for (const item of received) batch.set(item.message.MessageId!, item);
    };
    const pollEnds = Date.now() + waitMs;
    let windowEnds: number | undefined;
    while (!stopping.signal.aborted && batch.size < batchSize) {
      if (groups) add(groups.takeReady(visibilityTimeoutMs!, batchSize - batch.size));
      if (batch.size >= batchSize) break;
      const wanted = Math.min(MAX_RECEIVE, batchSize - batch.size);
      let received: Received[];
      try {
        received = await receive(wanted);
      } catch (error) {
        // What was received is invisible now: better processed than left to time out.
        if (!batch.size) throw error;
        reportError(error);
        break;
      }
      add(groups ? groups.admit(received) : received);
      const now = Date.now();
      if (!batch.size) {
        if (now >= pollEnds) break;
        if (!received.length) await pause(IDLE_PAUSE_MS);
        continue;
      }
      windowEnds ??= now + maxBatchingWindowMs;
      // Past the window, only what is there already joins the batch.
      if (now >= windowEnds && received.length < wanted) break;
      if (!received.length) await pause(IDLE_PAUSE_MS);
    }
    return [...batch.values()];
  }

  async function invoke(batch: Received[]) {
    const started = Date.now();
    const records = batch.map(({ message }) => toSqsRecord(message, options.queueArn, region));
    const context = lambdaContext({ functionName, region, accountId, deadline: started + functionTimeoutMs });
    let failed: Set<string>;
    let error: unknown;
    try {
      const response = await withTimeout(
        // Its own log context, as in a Lambda of its own: it sees no keys of the poller or of another batch.
        Promise.resolve().then(() => withInvocationLog(() => options.handler({ Records: records }, context))),
        functionTimeoutMs,
      );
      failed = failedMessageIds(response, records);
    } catch (thrown) {
      error = thrown;
      failed = new Set(records.map((record) => record.messageId));
    }
    const succeeded = records.filter((record) => !failed.has(record.messageId));
    await deleteMessages(succeeded).catch(reportError);
    groups?.release(batch, failed, visibilityTimeoutMs!);

    stats.invocations++;
    stats.records += records.length;
    stats.failedRecords += failed.size;
    if (error !== undefined) stats.failedInvocations++;
    options.onInvoke?.({
      records: records.length,
      failures: failed.size,
      ...(error === undefined ? {} : { error }),
      ms: Date.now() - started,
    });
  }

  async function deleteMessages(records: SQSRecord[]) {
    for (let start = 0; start < records.length; start += MAX_RECEIVE) {
      const chunk = records.slice(start, start + MAX_RECEIVE);
      const { Failed = [] } = await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: chunk.map((record, index) => ({ Id: String(index), ReceiptHandle: record.receiptHandle })),
        }),
      );
      // Such messages come back and are processed again, as with Lambda.
      for (const failure of Failed)
        reportError(new Error(`DeleteMessageBatch: ${failure.Code} ${failure.Message}`));
    }
  }

  async function poll() {
    let backoffMs = BACKOFF_MS.first;
    while (!stopping.signal.aborted) {
      try {
        if (inFlight.size >= maxConcurrency) {
          await Promise.race(inFlight);
          continue;
        }
        // FIFO group locks last as long as a failed message stays invisible.
        if (groups && visibilityTimeoutMs === undefined) visibilityTimeoutMs = await queueVisibilityMs();
        const batch = await collectBatch();
        if (batch.length) {
          groups?.lock(batch);
          const invocation = invoke(batch)
            .catch(reportError)
            .finally(() => inFlight.delete(invocation));
          inFlight.add(invocation);
        }
        backoffMs = BACKOFF_MS.first;
      } catch (error) {
        reportError(error);
        await pause(backoffMs);
        backoffMs = Math.min(backoffMs * 2, BACKOFF_MS.max);
      }
    }
  }

  async function queueVisibilityMs() {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['VisibilityTimeout'] }),
    );
    return Number(Attributes?.VisibilityTimeout ?? 30) * 1000;
  }

  async function isDrained() {
    if (inFlight.size || groups?.holding) return false;
    const { Attributes = {} } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: [
          'ApproximateNumberOfMessages',
          'ApproximateNumberOfMessagesNotVisible',
          'ApproximateNumberOfMessagesDelayed',
        ],
      }),
    );
    return Object.values(Attributes).every((count) => count === '0') && !inFlight.size;
  }

  function pause(ms: number) {
    return sleep(ms, undefined, { signal: stopping.signal }).catch(() => undefined);
  }

  const polling = poll();
  let stopped: Promise<void> | undefined;
  return {
    stats,
    stop() {
      stopped ??= (async () => {
        stopping.abort();
        await polling;
        await Promise.all(inFlight);
        groups?.abandonHeld();
      })();
      return stopped;
    },
    async drained(timeoutMs) {
      const deadline = timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + timeoutMs;
      while (!(await isDrained())) {
        if (Date.now() >= deadline) throw new Error(`${queueName} not drained after ${timeoutMs} ms`);
        await sleep(DRAIN_CHECK_MS);
      }
    },
  };
}

/**
 * SQS never hands out a FIFO message while an earlier one of its group is in flight; local-aws-sqs
 * does, so the lock is kept here. Messages of a group being processed are held back and join a later
 * batch once it is done. Once a group's batch failed, its messages are let go until the failed ones
 * are visible again, so they come back after those; each such receive counts in their
 * ApproximateReceiveCount, which SQS would not do.
 */
class MessageGroupLocks {
  readonly #active = new Set<string>();
  readonly #blockedUntil = new Map<string, number>();
  readonly #held = new Map<string, Received>();

  get holding() {
    return this.#held.size > 0;
  }

  /** The received messages that may run now; the others are held. */
  admit(received: Received[]): Received[] {
    const admitted: Received[] = [];
    for (const item of received) {
      const id = item.message.MessageId!;
      const group = groupOf(item);
      if (this.#isBlocked(group)) this.#held.delete(id);
      // Behind a held message of its group, a message waits too, to keep the group's order.
      else if (this.#held.has(id) || this.#active.has(group) || this.#isHolding(group))
        this.#held.set(id, item);
      else admitted.push(item);
    }
    return admitted;
  }

  /** Held messages whose group is free again and whose receipt handle still works, oldest first. */
  takeReady(visibilityTimeoutMs: number, max: number): Received[] {
    const now = Date.now();
    const ready: Received[] = [];
    // Once one is visible again, SQS hands its group out again in order: let the rest of it go too.
    const expiredGroups = new Set<string>();
    for (const [id, item] of this.#held) {
      if (ready.length >= max) break;
      const group = groupOf(item);
      if (expiredGroups.has(group) || item.receivedAt + visibilityTimeoutMs <= now) {
        expiredGroups.add(group);
        this.#held.delete(id);
      } else if (!this.#active.has(group) && !this.#isBlocked(group)) {
        this.#held.delete(id);
        ready.push(item);
      }
    }
    return ready;
  }

  /** Called once a batch is collected: its groups stay locked until release(). */
  lock(batch: Received[]) {
    for (const item of batch) this.#active.add(groupOf(item));
  }

  release(batch: Received[], failedIds: Set<string>, visibilityTimeoutMs: number) {
    for (const item of batch) {
      const group = groupOf(item);
      this.#active.delete(group);
      if (!failedIds.has(item.message.MessageId!)) continue;
      const visibleAgain = item.receivedAt + visibilityTimeoutMs;
      this.#blockedUntil.set(group, Math.max(this.#blockedUntil.get(group) ?? 0, visibleAgain));
      for (const [id, held] of this.#held) if (groupOf(held) === group) this.#held.delete(id);
    }
  }

  /** Held messages stay invisible until their visibility timeout, then SQS hands them out again. */
  abandonHeld() {
    this.#held.clear();
  }

  #isHolding(group: string) {
    for (const held of this.#held.values()) if (groupOf(held) === group) return true;
    return false;
  }

  #isBlocked(group: string) {
    const until = this.#blockedUntil.get(group);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.#blockedUntil.delete(group);
    return false;
  }
}

function groupOf(item: Received) {
  return item.message.Attributes?.MessageGroupId ?? '';
}

/** The message IDs a handler's response leaves on the queue, as Lambda reads ReportBatchItemFailures. */
function failedMessageIds(response: unknown, records: SQSRecord[]): Set<string> {
  const failures = (response as Partial<SQSBatchResponse> | null | undefined)?.batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  const ids = new Set(records.map((record) => record.messageId));
  const valid =
    Array.isArray(failures) &&
    failures.every(
      (failure) => typeof failure?.itemIdentifier === 'string' && ids.has(failure.itemIdentifier),
    );
  // Lambda fails the whole batch when an identifier is empty or unknown.
  if (!valid) throw new Error(`invalid batchItemFailures: ${JSON.stringify(failures)}`);
  return new Set(failures.map((failure) => failure.itemIdentifier));
}

/** The record exactly as Lambda puts it in the event. */
export function toSqsRecord(message: Message, queueArn: string, region: string): SQSRecord {
  const {
    ApproximateReceiveCount = '',
    SentTimestamp = '',
    SenderId = '',
    ApproximateFirstReceiveTimestamp = '',
    ...optional
  } = message.Attributes ?? {};
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount,
      SentTimestamp,
      SenderId,
      ApproximateFirstReceiveTimestamp,
      // MessageGroupId, SequenceNumber, MessageDeduplicationId, AWSTraceHeader... when present.
      ...optional,
    },
    messageAttributes: lambdaMessageAttributes(message.MessageAttributes ?? {}),
    md5OfBody: message.MD5OfBody ?? '',
    ...(message.MD5OfMessageAttributes ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

function lambdaMessageAttributes(attributes: Record<string, MessageAttributeValue>): SQSMessageAttributes {
  return Object.fromEntries(
    Object.entries(attributes).map(([name, value]) => [
      name,
      {
        ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }),
        ...(value.BinaryValue === undefined
          ? {}
          : { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }),
        // Lambda always sends these two, empty: SQS has not implemented list values.
        stringListValues: [],
        binaryListValues: [],
        dataType: value.DataType ?? 'String',
      },
    ]),
  );
}

interface ContextOptions {
  functionName: string;
  region: string;
  accountId: string;
  deadline: number;
}

function lambdaContext({ functionName, region, accountId, deadline }: ContextOptions): Context {
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
  const unsupported = () => {
    throw new Error('context.done/fail/succeed are not supported: return or throw from the async handler');
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${accountId}:function:${functionName}`,
    memoryLimitInMB: '128',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `${day}/[$LATEST]${randomBytes(16).toString('hex')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Task timed out after ${(ms / 1000).toFixed(2)} seconds`)), ms);
  });
  // A timed-out handler keeps running (Lambda would freeze it); its late rejection must not crash us.
  promise.catch(() => undefined);
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function warnOncePerStreak() {
  let lastWarning = 0;
  return (error: unknown) => {
    const now = Date.now();
    if (now - lastWarning > 60_000) console.warn('sqs event source:', error);
    lastWarning = now;
  };
}
