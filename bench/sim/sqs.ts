/**
 * An in-memory SQS standard queue and Lambda's SQS event source mapping, for the capacity
 * simulation. The queue keeps per-message visibility (receives hide a message for the visibility
 * timeout, ChangeMessageVisibility moves it, deletes need the latest receipt handle), counts
 * receives and dead-letters a message received more than `maxReceiveCount` times; every call takes
 * an AWS-like latency. The mapping polls batches of up to `batchSize` (filling a batch for up to the
 * batching window), invokes the handler with a Lambda-like context, deletes what the partial batch
 * response does not name, and scales as AWS documents it
 * (https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html): "Lambda starts processing
 * five batches at a time with five concurrent invocations", then "increases the number of processes
 * that are reading batches by up to 300 more instances per minute", up to the mapping's
 * `maxConcurrency` (at most 1,000).
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { drawLatency, type LatencyRange } from './dynamodb.ts';

interface Message {
  id: string;
  body: string;
  sentAt: number;
  visibleAt: number;
  receives: number;
  /** The receipt handle of the latest receive: only it can delete or move the message. */
  handle: string | undefined;
}

export type SqsAction = 'ReceiveMessage' | 'DeleteMessageBatch' | 'ChangeMessageVisibility';

export interface MemoryQueueOptions {
  /** One latency for every call, or one per action. */
  latency: LatencyRange | Record<SqsAction, LatencyRange>;
  visibilityTimeoutSeconds: number;
  maxReceiveCount: number;
  random?: () => number;
}

export class MemoryQueue {
  readonly #messages = new Map<string, Message>();
  readonly #byHandle = new Map<string, Message>();
  readonly #o: MemoryQueueOptions;
  readonly #random: () => number;
  readonly deadLettered: string[] = [];
  readonly calls: Record<string, number> = {};

  constructor(options: MemoryQueueOptions) {
    this.#o = options;
    this.#random = options.random ?? Math.random;
  }

  async #call(action: SqsAction): Promise<void> {
    this.calls[action] = (this.calls[action] ?? 0) + 1;
    const latency = this.#o.latency;
    const range = 'minMs' in latency || 'samples' in latency ? latency : latency[action];
    await sleep(drawLatency(range as LatencyRange, this.#random));
  }

  /** Queues messages at once (the intake is not what the simulation measures). */
  enqueue(bodies: readonly string[]): void {
    const now = Date.now();
    for (const body of bodies) {
      const id = randomUUID();
      this.#messages.set(id, { id, body, sentAt: now, visibleAt: now, receives: 0, handle: undefined });
    }
  }

  /** Messages still on the queue (visible, in flight or delayed). */
  get size(): number {
    return this.#messages.size;
  }

  /** One ReceiveMessage: up to `max` visible messages, long-polling up to `waitMs` for a first one. */
  async receive(max: number, waitMs: number): Promise<SQSRecord[]> {
    await this.#call('ReceiveMessage');
    const until = Date.now() + waitMs;
    for (;;) {
      const records = this.#take(max);
      if (records.length > 0 || Date.now() >= until) return records;
      await sleep(Math.min(20, until - Date.now()));
    }
  }

  #take(max: number): SQSRecord[] {
    const now = Date.now();
    const records: SQSRecord[] = [];
    for (const message of this.#messages.values()) {
      if (records.length >= max) break;
      if (message.visibleAt > now) continue;
      if (message.receives >= this.#o.maxReceiveCount) {
        // SQS's redrive policy: past maxReceiveCount the message goes to the dead-letter queue.
        this.#messages.delete(message.id);
        if (message.handle) this.#byHandle.delete(message.handle);
        this.deadLettered.push(message.body);
        continue;
      }
      message.receives++;
      message.visibleAt = now + this.#o.visibilityTimeoutSeconds * 1000;
      if (message.handle) this.#byHandle.delete(message.handle);
      message.handle = randomUUID();
      this.#byHandle.set(message.handle, message);
      records.push({
        messageId: message.id,
        receiptHandle: message.handle,
        body: message.body,
        attributes: {
          ApproximateReceiveCount: String(message.receives),
          SentTimestamp: String(message.sentAt),
          SenderId: 'simulation',
          ApproximateFirstReceiveTimestamp: String(now),
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:simulation',
        awsRegion: 'us-east-1',
      });
    }
    return records;
  }

  async deleteBatch(handles: readonly string[]): Promise<void> {
    if (handles.length === 0) return;
    await this.#call('DeleteMessageBatch');
    for (const handle of handles) {
      const message = this.#byHandle.get(handle);
      if (!message) continue;
      this.#byHandle.delete(handle);
      this.#messages.delete(message.id);
    }
  }

  async changeVisibility(handle: string, seconds: number): Promise<void> {
    await this.#call('ChangeMessageVisibility');
    const message = this.#byHandle.get(handle);
    // SQS refuses an outdated handle (ReceiptHandleIsInvalid / MessageNotInflight).
    if (!message)
      throw Object.assign(new Error('ReceiptHandleIsInvalid'), { name: 'ReceiptHandleIsInvalid' });
    message.visibleAt = Date.now() + seconds * 1000;
  }

  /** The SQS client the worker's WorkQueue sends ChangeMessageVisibility through. */
  asSqsClient(): SQSClient {
    return {
      send: async (command: {
        constructor: { name: string };
        input: { ReceiptHandle: string; VisibilityTimeout: number };
      }) => {
        if (command.constructor.name !== 'ChangeMessageVisibilityCommand')
          throw new Error(`memory SQS: ${command.constructor.name} is not modelled`);
        await this.changeVisibility(command.input.ReceiptHandle, command.input.VisibilityTimeout);
        return {};
      },
    } as unknown as SQSClient;
  }
}

export interface EventSourceOptions {
  queue: MemoryQueue;
  handler: (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
  batchSize: number;
  maxConcurrency: number;
  batchingWindowMs: number;
  functionTimeoutMs: number;
  /** AWS's scaling: concurrent batches at the start, and how many more per minute. */
  ramp?: { initial: number; perMinute: number };
}

export interface EventSourceStats {
  invocations: number;
  failedInvocations: number;
  /** The most batches that ran at once. */
  peakConcurrency: number;
  /** Records handed back by partial batch responses. */
  retried: number;
}

/** Lambda's documented SQS scaling: 5 concurrent batches at first, up to 300 more per minute. */
export const SQS_SCALING = { initial: 5, perMinute: 300, max: 1000 } as const;

export function startEventSource(options: EventSourceOptions) {
  const ramp = options.ramp ?? SQS_SCALING;
  const started = Date.now();
  const stats: EventSourceStats = { invocations: 0, failedInvocations: 0, peakConcurrency: 0, retried: 0 };
  let running = 0;
  let stopping = false;
  const pollers = new Set<Promise<void>>();

  /** The pollers allowed now: the ramp, capped by the mapping's maxConcurrency. */
  const allowed = () =>
    Math.min(
      options.maxConcurrency,
      SQS_SCALING.max,
      ramp.initial + Math.floor(((Date.now() - started) / 60_000) * ramp.perMinute),
    );

  async function collect(): Promise<SQSRecord[]> {
    // A long poll for a first message, then the batching window fills the batch.
    const batch = await options.queue.receive(options.batchSize, 1_000);
    if (batch.length === 0) return batch;
    const until = Date.now() + options.batchingWindowMs;
    while (batch.length < options.batchSize && Date.now() < until && !stopping) {
      batch.push(...(await options.queue.receive(options.batchSize - batch.length, until - Date.now())));
    }
    return batch;
  }

  async function invoke(records: SQSRecord[]): Promise<void> {
    running++;
    stats.peakConcurrency = Math.max(stats.peakConcurrency, running);
    stats.invocations++;
    const invokedAt = Date.now();
    const context = {
      functionName: 'intercom-actions-bulk-worker',
      awsRequestId: randomUUID(),
      getRemainingTimeInMillis: () => options.functionTimeoutMs - (Date.now() - invokedAt),
    } as unknown as Context;
    let failed: Set<string>;
    try {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('Task timed out')), options.functionTimeoutMs);
      });
      const response = await Promise.race([options.handler({ Records: records }, context), timeout]).finally(
        () => clearTimeout(timer),
      );
      failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
      stats.retried += failed.size;
    } catch {
      // A failed invocation deletes nothing: the batch comes back after its visibility timeout.
      stats.failedInvocations++;
      failed = new Set(records.map((r) => r.messageId));
    } finally {
      running--;
    }
    await options.queue.deleteBatch(
      records.filter((r) => !failed.has(r.messageId)).map((r) => r.receiptHandle),
    );
  }

  async function poller(): Promise<void> {
    while (!stopping) {
      const batch = await collect();
      if (batch.length > 0) await invoke(batch);
    }
  }

  const scale = () => {
    while (!stopping && pollers.size < allowed()) {
      const p: Promise<void> = poller().finally(() => pollers.delete(p));
      pollers.add(p);
    }
  };
  scale();
  const scaler = setInterval(scale, 50);

  return {
    stats,
    async stop(): Promise<void> {
      stopping = true;
      clearInterval(scaler);
      await Promise.all(pollers);
    },
  };
}
