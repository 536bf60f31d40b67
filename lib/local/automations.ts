/**
 * The automation half of the local stack: the FIFO queue (and its dead-letter queue) between the
 * webhook intake and the automation worker, the automations table, an event source feeding the real
 * worker handler, and the sandbox's webhook subscription pointing at the local intake, so a change
 * made through the API comes back as a signed notification and runs the rules.
 */
import { existsSync } from 'node:fs';
import { loadRulesFile } from '../automations/index.ts';
import { AUTOMATIONS_TABLE } from '../automations/table.ts';
import { createTableInput } from '../tables/definitions.ts';
import {
  createQueueWithDeadLetter,
  createTables,
  type Emulators,
  type QueueWithDeadLetter,
} from './emulators.ts';
import { type SqsEventSource, type SqsHandler, startSqsEventSource } from './sqs-event-source.ts';

export interface LocalAutomationsOptions {
  workerTimeoutMs?: number;
  visibilityTimeoutSeconds?: number;
  maxReceiveCount?: number;
  maxConcurrency?: number;
  /** Builds the worker handler once the environment is set (tests inject crashes); default: functions/automations-worker.ts. */
  workerHandler?: () => Promise<SqsHandler>;
}

export interface LocalAutomations {
  queue: QueueWithDeadLetter;
  /** The rules file in use (absent: no rules, every notification is only logged). */
  rulesFile: string | undefined;
  startWorker(): Promise<SqsEventSource>;
  workerSource: SqsEventSource | undefined;
  /** Points the embedded sandbox's webhooks at the local intake. */
  subscribeSandbox(sandboxUrl: string, intakeUrl: string, secret: string): Promise<void>;
  /** Queues again the notifications received but not done (after a restart on kept data); how many. */
  recoverNotifications(): Promise<number>;
  close(): Promise<void>;
}

/** Without AUTOMATIONS_FILE: `automations.yaml` if the project has one, else the shipped examples. */
function defaultRulesFile(): string | undefined {
  for (const candidate of [
    'automations.yaml',
    'automations.yml',
    'automations.json',
    'automations.example.yaml',
  ]) {
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

export async function startLocalAutomations(
  env: NodeJS.ProcessEnv,
  emulators: Emulators,
  options: LocalAutomationsOptions = {},
): Promise<LocalAutomations> {
  const workerTimeoutMs = options.workerTimeoutMs ?? 60_000;
  const maxReceiveCount = options.maxReceiveCount ?? (Number(env.AUTOMATIONS_MAX_RECEIVE_COUNT) || 10);
  const tableName = 'intercom-actions-automations';
  await createTables(emulators.dynamodb, [createTableInput(AUTOMATIONS_TABLE, tableName)]);
  const queue = await createQueueWithDeadLetter(emulators.sqs, {
    name: 'intercom-actions-automations',
    fifo: true,
    visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? Math.ceil((6 * workerTimeoutMs) / 1000),
    maxReceiveCount,
  });
  const rulesFile = env.AUTOMATIONS_FILE || defaultRulesFile();
  // A bad rule stops the stack here, with every problem listed, before any notification arrives.
  if (rulesFile) loadRulesFile(rulesFile);
  Object.assign(env, {
    AUTOMATIONS_TABLE: tableName,
    AUTOMATIONS_QUEUE_URL: queue.queueUrl,
    AUTOMATIONS_MAX_RECEIVE_COUNT: String(maxReceiveCount),
    ...(rulesFile ? { AUTOMATIONS_FILE: rulesFile } : {}),
  });
  const local: LocalAutomations = {
    queue,
    rulesFile,
    workerSource: undefined,
    async startWorker() {
      const handler =
        (await options.workerHandler?.()) ??
        ((await import('../../functions/automations-worker.ts')) as { handler: SqsHandler }).handler;
      local.workerSource = startSqsEventSource({
        sqs: emulators.sqs,
        queueUrl: queue.queueUrl,
        queueArn: queue.queueArn,
        handler,
        batchSize: 10,
        maxConcurrency: options.maxConcurrency ?? 4,
        functionTimeoutMs: workerTimeoutMs,
        functionName: 'intercom-actions-automations-worker',
      });
      return local.workerSource;
    },
    async subscribeSandbox(sandboxUrl, intakeUrl, secret) {
      const res = await fetch(`${sandboxUrl}/__sandbox/webhooks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ url: intakeUrl, secret }),
      });
      if (!res.ok)
        throw new Error(`The sandbox refused the webhook subscription: ${res.status} ${await res.text()}`);
    },
    async recoverNotifications() {
      // The FIFO emulator keeps nothing across a restart; the table keeps each queued message until done.
      const { documentClient } = await import('../aws/clients.ts');
      const { WorkQueue } = await import('../queue/work-queue.ts');
      const { NotificationStore } = await import('../automations/notification-store.ts');
      const store = new NotificationStore(documentClient(), tableName, 30);
      const queueOf = new WorkQueue(emulators.sqs, queue.queueUrl);
      const messages = await store.unfinishedMessages();
      for (const m of messages) await queueOf.sendOrdered(m.body, m.group, m.dedupe);
      return messages.length;
    },
    async close() {
      await local.workerSource?.stop();
    },
  };
  return local;
}
