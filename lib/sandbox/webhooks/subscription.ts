/**
 * One webhook subscription and its delivery queue. Notifications go out one at a time, in the order
 * the changes happened, each retried a bounded number of times; a slow or failing receiver only delays
 * its own queue, which is capped, and never the API.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { WebhookDeliveries } from '../types.ts';
import { type Notification, signature, USER_AGENT } from './notification.ts';
import type { Topic } from './topics.ts';

export interface DeliveryPolicy {
  /** Waits before each retry; its length is the number of retries. */
  retryDelaysMs: readonly number[];
  /** Intercom gives a receiver 5 s to answer. */
  timeoutMs: number;
  /** Notifications queued beyond this are dropped (counted), so memory stays bounded. */
  maxQueue: number;
}

type Attempt = { status: number; error: string | null };

export class Subscription {
  readonly id: string;
  readonly url: string;
  readonly secret: string;
  /** `'*'`: every topic. Ping is always subscribed to. */
  readonly topics: ReadonlySet<Topic> | '*';
  /** False once the receiver answered 410 Gone: Intercom disables such subscriptions. */
  active = true;
  readonly counters: WebhookDeliveries = {
    sent: 0,
    failed: 0,
    dropped: 0,
    attempts: 0,
    lastStatus: null,
    lastError: null,
  };
  readonly #policy: DeliveryPolicy;
  readonly #now: () => number;
  readonly #onSettled: () => void;
  readonly #stop = new AbortController();
  readonly #queue: Notification[] = [];
  #running = false;

  constructor(init: {
    id: string;
    url: string;
    secret: string;
    topics: ReadonlySet<Topic> | '*';
    policy: DeliveryPolicy;
    now: () => number;
    onSettled: () => void;
  }) {
    this.id = init.id;
    this.url = init.url;
    this.secret = init.secret;
    this.topics = init.topics;
    this.#policy = init.policy;
    this.#now = init.now;
    this.#onSettled = init.onSettled;
  }

  wants(topic: Topic): boolean {
    return this.active && (topic === 'ping' || this.topics === '*' || this.topics.has(topic));
  }

  /** Queued or in flight. */
  get pending(): number {
    return this.#queue.length;
  }

  enqueue(notification: Notification): void {
    if (!this.active || this.#stop.signal.aborted) return;
    if (this.#queue.length >= this.#policy.maxQueue) {
      this.counters.dropped++;
      return;
    }
    this.#queue.push(notification);
    // Started on the next turn, so the API response that caused the change is written first.
    if (!this.#running) {
      this.#running = true;
      setImmediate(() => void this.#drain());
    }
  }

  /** Cancels the in-flight request, the retry waits and everything queued. */
  stop(): void {
    this.#stop.abort();
    this.#queue.length = 0;
    this.#onSettled();
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0 && !this.#stop.signal.aborted) {
        await this.#deliver(this.#queue[0]!);
        this.#queue.shift();
        this.#onSettled();
      }
    } catch (error) {
      // Delivery handles its own failures; this only guards the sandbox against a bug here.
      console.error('sandbox: webhook delivery stopped', error);
      this.#queue.length = 0;
      this.#onSettled();
    } finally {
      this.#running = false;
    }
  }

  async #deliver(notification: Notification): Promise<void> {
    const retries = this.#policy.retryDelaysMs;
    for (let attempt = 1; ; attempt++) {
      notification.delivery_attempts = attempt;
      if (attempt === 1) notification.first_sent_at = Math.floor(this.#now() / 1000);
      const { status, error } = await this.#post(notification);
      if (this.#stop.signal.aborted) return;
      this.counters.attempts++;
      this.counters.lastStatus = status;
      this.counters.lastError = error;
      if (status >= 200 && status < 300) {
        this.counters.sent++;
        return;
      }
      if (status === 410) {
        this.active = false;
        this.counters.failed++;
        this.counters.dropped += this.#queue.splice(1).length;
        return;
      }
      if (attempt > retries.length) {
        this.counters.failed++;
        return;
      }
      await sleep(retries[attempt - 1], undefined, { signal: this.#stop.signal }).catch(() => {});
      if (this.#stop.signal.aborted) return;
    }
  }

  /** One POST; the body is re-signed because `delivery_attempts` changes between attempts. */
  async #post(notification: Notification): Promise<Attempt> {
    const body = Buffer.from(JSON.stringify(notification));
    try {
      const res = await fetch(this.url, {
        method: 'POST',
        headers: {
          accept: 'application/json',
          'content-type': 'application/json',
          'user-agent': USER_AGENT,
          'x-hub-signature': signature(body, this.secret),
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.any([this.#stop.signal, AbortSignal.timeout(this.#policy.timeoutMs)]),
      });
      await res.body?.cancel();
      return { status: res.status, error: res.ok ? null : `HTTP ${res.status}` };
    } catch (error) {
      return { status: 0, error: describe(error) };
    }
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === 'TimeoutError') return 'timed out';
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error ? cause.message : error.message;
}
