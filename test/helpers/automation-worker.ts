/**
 * The automation worker built as functions/automations-worker.ts builds it, from the environment the
 * local stack set, with test hooks (crashes) added: for tests that hand it to the stack's event source.
 */
import type { AutomationWorkerDeps } from '../../lib/automations/worker.ts';
import type { SqsHandler } from '../../lib/local/sqs-event-source.ts';

export async function buildAutomationWorker(
  hooks: Pick<AutomationWorkerDeps, 'afterCall'> & {
    afterChunk?: NonNullable<AutomationWorkerDeps['forEach']>['afterChunk'];
  } = {},
): Promise<SqsHandler> {
  const { createRuleEngine, loadRulesFile } = await import('../../lib/automations/index.ts');
  const { documentClient, sqsClient } = await import('../../lib/aws/clients.ts');
  const { rateGovernor, rateSettings } = await import('../../lib/governor/settings.ts');
  const { WorkQueue } = await import('../../lib/queue/work-queue.ts');
  const { workerClientFactory } = await import('../../lib/workspaces/worker-clients.ts');
  const { workspaceClients } = await import('../../lib/workspaces/clients.ts');
  const { loadConfig } = await import('../../lib/config/index.ts');
  const validators = await import('../../lib/validation/generated/index.ts');
  const { automationSettings } = await import('../../lib/automations/settings.ts');
  const { NotificationStore } = await import('../../lib/automations/notification-store.ts');
  const { ForEachStore } = await import('../../lib/automations/for-each-store.ts');
  const { ScrollLock } = await import('../../lib/scroll/lock.ts');
  const { BulkService } = await import('../../lib/bulk/service.ts');
  const { bulkParts, bulkSettings } = await import('../../lib/bulk/index.ts');
  const { createAutomationWorker } = await import('../../lib/automations/worker.ts');
  const settings = automationSettings();
  const db = documentClient();
  const bulk = new BulkService({ ...bulkParts(bulkSettings()), validators });
  return createAutomationWorker({
    rules: createRuleEngine(loadRulesFile(settings.rulesFile), { botAdminIds: settings.botAdminIds }),
    store: new NotificationStore(db, settings.table, settings.retentionDays),
    governor: rateGovernor(rateSettings()),
    queue: new WorkQueue(sqsClient(), settings.queueUrl),
    validators,
    clientFor: workspaceClients(
      await loadConfig(process.env, { requireApiKeys: false }),
      workerClientFactory,
    ),
    maxReceiveCount: settings.maxReceiveCount,
    forEach: {
      store: new ForEachStore(db, settings.table, settings.retentionDays),
      jobs: { submit: (chunk) => bulk.submitForWorkspace(chunk) },
      lock: new ScrollLock(db, rateSettings().rateTable),
      ...(hooks.afterChunk ? { afterChunk: hooks.afterChunk } : {}),
    },
    ...(hooks.afterCall ? { afterCall: hooks.afterCall } : {}),
  }) as SqsHandler;
}
