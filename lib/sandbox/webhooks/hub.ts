/**
 * The webhook subscriptions of `/__sandbox/webhooks` and the notifications that API changes cause.
 *
 * A request's changes are collected while its handler runs (the workspace calls `notify`); if it
 * succeeds, each is rendered then (before any later request changes the data, and consistent with the
 * response) and queued for every active subscription that wants its topic. The routes and update
 * helpers decide the topics.
 */
import { randomUUID } from 'node:crypto';
import type { Workspace } from '../store.ts';
import type { SandboxStats, WebhookOptions, WebhookSubscription } from '../types.ts';
import { notificationItem, PING_ITEM } from './items.ts';
import { newNotification } from './notification.ts';
import { type DeliveryPolicy, Subscription } from './subscription.ts';
import { ignoreChanges, type Topic } from './topics.ts';

export interface SubscriptionInput {
  url: string;
  secret: string;
  topics: Topic[] | '*';
}

const DEFAULT_POLICY: DeliveryPolicy = { retryDelaysMs: [250, 1000], timeoutMs: 5000, maxQueue: 1000 };

export class WebhookHub {
  readonly #subscriptions = new Map<string, Subscription>();
  readonly #policy: DeliveryPolicy;
  readonly #now: () => number;
  readonly #appId: () => string;
  #waiters: Array<() => void> = [];

  constructor(init: { now: () => number; appId: () => string; options?: WebhookOptions }) {
    this.#now = init.now;
    this.#appId = init.appId;
    this.#policy = {
      ...DEFAULT_POLICY,
      ...(init.options?.retryDelaysMs ? { retryDelaysMs: [...init.options.retryDelaysMs] } : {}),
      ...(init.options?.timeoutMs !== undefined ? { timeoutMs: init.options.timeoutMs } : {}),
    };
  }

  /** A new subscription; Intercom pings it first. */
  register(input: SubscriptionInput): WebhookSubscription {
    const subscription = new Subscription({
      id: `nsub_${randomUUID()}`,
      url: input.url,
      secret: input.secret,
      topics: input.topics === '*' ? '*' : new Set(input.topics),
      policy: this.#policy,
      now: this.#now,
      onSettled: () => this.#settled(),
    });
    this.#subscriptions.set(subscription.id, subscription);
    subscription.enqueue(this.#notification('ping', PING_ITEM));
    return view(subscription);
  }

  list(): WebhookSubscription[] {
    return [...this.#subscriptions.values()].map(view);
  }

  /** Removes every subscription and what it still had to send; returns how many there were. */
  clear(): number {
    const count = this.#subscriptions.size;
    const removed = [...this.#subscriptions.values()];
    this.#subscriptions.clear();
    for (const subscription of removed) subscription.stop();
    return count;
  }

  pending(): number {
    let total = 0;
    for (const s of this.#subscriptions.values()) total += s.pending;
    return total;
  }

  idle(): Promise<void> {
    if (this.pending() === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  totals(): SandboxStats['webhooks'] {
    const totals = { subscriptions: this.#subscriptions.size, pending: 0, sent: 0, failed: 0, dropped: 0 };
    for (const s of this.#subscriptions.values()) {
      totals.pending += s.pending;
      totals.sent += s.counters.sent;
      totals.failed += s.counters.failed;
      totals.dropped += s.counters.dropped;
    }
    return totals;
  }

  /**
   * Runs one API request's handler with the workspace reporting its changes; they are notified only
   * when the handler succeeds, so a refused request notifies nothing.
   */
  record<R extends { status: number }>(ws: Workspace, handle: () => R): R {
    const changes: Array<{ topic: Topic; item: () => unknown }> = [];
    ws.notify = (topic, item) => void changes.push({ topic, item });
    try {
      const reply = handle();
      if (reply.status < 300)
        for (const { topic, item } of changes) if (this.#wanted(topic)) this.#publish(topic, item());
      return reply;
    } finally {
      ws.notify = ignoreChanges;
    }
  }

  #wanted(topic: Topic): boolean {
    for (const s of this.#subscriptions.values()) if (s.wants(topic)) return true;
    return false;
  }

  /** One notification (own id) per subscription that wants the topic. */
  #publish(topic: Topic, item: unknown): void {
    for (const s of this.#subscriptions.values())
      if (s.wants(topic)) s.enqueue(this.#notification(topic, item));
  }

  #notification(topic: Topic, item: unknown) {
    return newNotification(topic, notificationItem(item), this.#appId(), Math.floor(this.#now() / 1000));
  }

  #settled(): void {
    if (this.pending() > 0 || this.#waiters.length === 0) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  }
}

function view(s: Subscription): WebhookSubscription {
  return {
    id: s.id,
    url: s.url,
    topics: s.topics === '*' ? ['*'] : [...s.topics],
    active: s.active,
    deliveries: { ...s.counters, pending: s.pending },
  };
}
