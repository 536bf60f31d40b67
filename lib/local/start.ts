/** `npm start`: the local stack until Ctrl-C. */
import { resolve } from 'node:path';
import { RuleValidationError } from '../automations/index.ts';
import { ConfigError } from '../config/parse.ts';
import type { LatencyConfig } from '../sandbox/types.ts';
import { startLocalStack } from './stack.ts';

const latencyNote = (latency: LatencyConfig | null | undefined) =>
  latency ? `, answering after ${latency.baseMs} ms ± ${latency.jitterMs} ms` : '';

const scheduleNote = (next: ReadonlyMap<string, number>) =>
  next.size === 0
    ? ''
    : `; schedules: ${[...next].map(([rule, at]) => `${rule} next at ${new Date(at).toISOString()}`).join(', ')}`;

try {
  // Jobs, notifications and runs are kept on disk and resumed at the next start; `none` keeps them in memory.
  const dataDir =
    process.env.LOCAL_DATA_DIR === 'none' ? undefined : resolve(process.env.LOCAL_DATA_DIR || '.local-data');
  const workerTimeoutSeconds = Number(process.env.LOCAL_WORKER_TIMEOUT_SECONDS) || undefined;
  const stack = await startLocalStack({
    ...(dataDir ? { dataDir } : {}),
    ...(workerTimeoutSeconds ? { bulk: { workerTimeoutMs: workerTimeoutSeconds * 1000 } } : {}),
    onRequest: ({ method, path, status, ms, requestId }) =>
      console.log(`${new Date().toISOString()} ${method} ${path} ${status} ${ms}ms ${requestId}`),
    events: {
      onEvent: ({ id, source, detailType, bus, outcome }) =>
        console.log(
          `${new Date().toISOString()} EventBridge ${source} ${detailType} ${id} ${outcome === 'delivered' ? 'delivered' : outcome === 'no_rule' ? 'matches no rule' : `put on bus "${bus}", which no rule is on: dropped, as AWS does`}`,
        ),
    },
  });
  const lines = [
    '',
    `intercom-actions is running at ${stack.url}`,
    stack.sandboxUrl
      ? `Intercom: the embedded sandbox at ${stack.sandboxUrl}${latencyNote(stack.sandbox?.config().latency)} (set INTERCOM_ACCESS_TOKEN to use the real Intercom)`
      : `Intercom: ${stack.intercomUrl}`,
    `API key${stack.generated.apiKey ? ' (generated; set API_KEY to choose one)' : ''}: ${stack.apiKey}`,
    ...(stack.generated.webhookSecret
      ? [`Webhook secret (generated; set INTERCOM_WEBHOOK_SECRET): ${stack.webhookSecret}`]
      : []),
    `Data: ${dataDir ? `${dataDir} (delete it to start fresh)` : 'in memory (LOCAL_DATA_DIR=none)'}${stack.recovered.jobs + stack.recovered.notifications + stack.recovered.exports > 0 ? `; resumed ${stack.recovered.jobs} unfinished job(s) (${stack.recovered.items} item(s) queued again), ${stack.recovered.notifications} notification(s) and ${stack.recovered.exports} export(s)` : ''}`,
    `Webhooks: ${stack.url}/webhooks/intercom (the sandbox sends its notifications there); rules: ${stack.automations.rulesFile ?? 'none (set AUTOMATIONS_FILE)'}`,
    `EventBridge: PutEvents at ${stack.triggers.bus.url} (EVENTS_PORT), bus "${stack.triggers.bus.busName}"${scheduleNote(stack.triggers.schedules.next())}`,
    '',
    'Try:',
    `  curl -s -X POST ${stack.url}/actions/list_users -H 'Authorization: Bearer ${stack.apiKey}' \\`,
    `    -H 'content-type: application/json' -d '{"resultsPath": "users", "limit": 5}'`,
    `  curl -s -X POST ${stack.url}/bulk/create_tag -H 'Authorization: Bearer ${stack.apiKey}' \\`,
    `    -H 'content-type: application/json' -d '{"items": [{"body": {"name": "Gold"}}, {"body": {"name": "Silver"}}]}'`,
    `  curl -s ${stack.url}/automations/runs -H 'Authorization: Bearer ${stack.apiKey}'`,
    '',
    `API description: ${stack.url}/openapi.json   Stop: Ctrl-C`,
    '',
  ];
  console.log(lines.join('\n'));
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping...');
    await stack.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} catch (error) {
  if (error instanceof ConfigError) console.error(`configuration error: ${error.message}`);
  else if (error instanceof RuleValidationError) console.error(error.message);
  else if ((error as { code?: string }).code === 'EADDRINUSE')
    console.error(`port in use: ${(error as Error).message} (set PORT / SANDBOX_PORT / EVENTS_PORT)`);
  else console.error(error);
  process.exit(1);
}
