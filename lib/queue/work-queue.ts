/** The work queue: batched sends with per-entry retries, and per-message delays for the worker. */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ChangeMessageVisibilityCommand,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';

/** SQS limits: 10 entries and 256 KiB per SendMessageBatch; 12 h of visibility. */
const MAX_ENTRIES = 10;
const MAX_BATCH_BYTES = 256 * 1024;
export const MAX_VISIBILITY_SECONDS = 12 * 60 * 60;

export class QueueSendError extends Error {
  override name = 'QueueSendError';
  readonly failedIds: string[];
  constructor(failedIds: string[], cause: unknown) {
    super(`${failedIds.length} message(s) could not be queued`, { cause });
    this.failedIds = failedIds;
  }
}

export interface OutgoingMessage {
  /** Unique within one `sendAll` call (SQS batch entry id: alphanumerics, - and _). */
  id: string;
  body: string;
}

function batches(messages: readonly OutgoingMessage[]): OutgoingMessage[][] {
  const result: OutgoingMessage[][] = [];
  let current: OutgoingMessage[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = Buffer.byteLength(message.body);
    if (current.length === MAX_ENTRIES || (current.length > 0 && bytes + size > MAX_BATCH_BYTES)) {
      result.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length > 0) result.push(current);
  return result;
}

export interface SendOptions {
  /** Batches in flight at once. */
  concurrency?: number;
  /** Rounds of retrying the entries SQS refused. */
  maxRounds?: number;
}

export class WorkQueue {
  readonly #sqs: SQSClient;
  readonly #url: string;

  constructor(sqs: SQSClient, queueUrl: string) {
    this.#sqs = sqs;
    this.#url = queueUrl;
  }

  /** Sends every message or throws `QueueSendError` naming the ones that could not be sent. */
  async sendAll(messages: readonly OutgoingMessage[], options: SendOptions = {}): Promise<void> {
    const concurrency = options.concurrency ?? 8;
    const maxRounds = options.maxRounds ?? 5;
    let pending = [...messages];
    let lastError: unknown;
    for (let round = 0; round < maxRounds && pending.length > 0; round++) {
      if (round > 0) await sleep(Math.floor(Math.random() * 100 * 2 ** round));
      const queue = batches(pending);
      const failed: OutgoingMessage[] = [];
      const workers = Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
        for (let batch = queue.shift(); batch; batch = queue.shift()) {
          const entries: SendMessageBatchRequestEntry[] = batch.map((m) => ({
            Id: m.id,
            MessageBody: m.body,
          }));
          try {
            const result = await this.#sqs.send(
              new SendMessageBatchCommand({ QueueUrl: this.#url, Entries: entries }),
            );
            const refused = new Set((result.Failed ?? []).map((f) => f.Id));
            for (const m of batch) if (refused.has(m.id)) failed.push(m);
            if (refused.size > 0) lastError = result.Failed?.[0]?.Message;
          } catch (error) {
            lastError = error;
            failed.push(...batch);
          }
        }
      });
      await Promise.all(workers);
      pending = failed;
    }
    if (pending.length > 0)
      throw new QueueSendError(
        pending.map((m) => m.id),
        lastError,
      );
  }

  /** One message to a FIFO queue: in order within `groupId`, sent once per `deduplicationId` (5 minutes). */
  async sendOrdered(body: string, groupId: string, deduplicationId: string): Promise<void> {
    await this.#sqs.send(
      new SendMessageCommand({
        QueueUrl: this.#url,
        MessageBody: body,
        MessageGroupId: groupId,
        MessageDeduplicationId: deduplicationId,
      }),
    );
  }

  /** One message, delivered after `delaySeconds` (0 to 900: SQS's limit). */
  async sendLater(body: string, delaySeconds: number): Promise<void> {
    await this.#sqs.send(
      new SendMessageCommand({
        QueueUrl: this.#url,
        MessageBody: body,
        DelaySeconds: Math.max(0, Math.min(900, Math.ceil(delaySeconds))),
      }),
    );
  }

  /** Makes a received message visible again after `seconds` (a retry delay; 0 = now). */
  async delay(receiptHandle: string, seconds: number): Promise<void> {
    await this.#sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.#url,
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: Math.max(0, Math.min(MAX_VISIBILITY_SECONDS, Math.ceil(seconds))),
      }),
    );
  }
}
