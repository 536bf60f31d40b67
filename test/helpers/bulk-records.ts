/** What the bulk worker tests build alike: an SQS record of an item message, and a registered one-chunk job. */
import type { SQSRecord } from 'aws-lambda';
import type { JobStore } from '../../lib/bulk/job-store.ts';
import type { ItemMessage } from '../../lib/bulk/messages.ts';

let messageCount = 0;

/** One SQS record of the message; `receives` is its ApproximateReceiveCount. */
export function sqsRecord(message: Omit<ItemMessage, 'v'>, receives = 1): SQSRecord {
  const id = `m${++messageCount}`;
  return {
    messageId: id,
    receiptHandle: `rh-${id}`,
    body: JSON.stringify({ v: 1, ...message }),
    attributes: {
      ApproximateReceiveCount: String(receives),
      SentTimestamp: '0',
      SenderId: 'test',
      ApproximateFirstReceiveTimestamp: '0',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:work',
    awsRegion: 'us-east-1',
  };
}

/** A final one-chunk job of `size` items owned by key k1 of the default workspace. */
export async function registerTestJob(
  store: JobStore,
  jobId: string,
  size: number,
  now: number,
  operation = 'create_update_user',
): Promise<void> {
  await store.registerChunk({
    jobId,
    operation,
    workspace: 'default',
    ownerId: 'key:k1',
    createdBy: 'k1',
    offset: 0,
    size,
    accepted: size,
    final: true,
    hash: 'test',
    now,
    expiresAt: store.expiresAt(now),
  });
}

/**
 * A governor that grants every ask at once and records it (slots, and whose they are), or throws
 * while `fails` is set, as a throttled DynamoDB would.
 */
export function recordingGovernor(now: () => number) {
  const governor = {
    windowMs: 10_000,
    fails: false,
    slots: [] as number[],
    slotsByJob: [] as Array<Record<string, number>>,
    async acquire(_workspace: string, _deadline: number, count = 1, byJob: Record<string, number> = {}) {
      if (governor.fails) throw new Error('ProvisionedThroughputExceededException (simulated)');
      governor.slots.push(count);
      governor.slotsByJob.push(byJob);
      return { ok: true as const, windowStart: 0, at: now(), granted: count };
    },
    async observe() {},
    async pause() {},
    async describe() {
      return {
        limit: 166,
        budget: 149,
        used: 0,
        remaining: 149,
        resetAt: 0,
        windowSeconds: 10,
        pausedUntil: 0,
      };
    },
  };
  return governor;
}
