/**
 * Webhook intake under a burst: 1,000 signed notifications posted to the local stack (50 in flight),
 * the acknowledgement latency of each (p50/p99), then the time until the automation worker has run
 * every one (one Intercom call each, against the sandbox). Baseline: Intercom expects an answer
 * within seconds and pauses a subscription after 1,000 consecutive failures; the acknowledgement
 * must stay far below that and never fail.
 */
import { createHmac } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './cold-start.ts';

const NOTIFICATIONS = 1_000;
const IN_FLIGHT = 50;
const SECRET = 'bench-webhook-secret';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function run(): Promise<BenchResult> {
  for (const key of ['INTERCOM_ACCESS_TOKEN', 'INTERCOM_BASE_URL', 'API_KEY']) delete process.env[key];
  Object.assign(process.env, {
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    INTERCOM_WEBHOOK_SECRET: SECRET,
    AUTOMATIONS_FILE: fileURLToPath(new URL('./fixtures/automations-bench.yaml', import.meta.url)),
  });
  const { startLocalStack } = await import('../lib/local/stack.ts');
  const stack = await startLocalStack({ port: 0, sandboxPort: 0 });
  try {
    const bodies = Array.from({ length: NOTIFICATIONS }, (_, i) =>
      JSON.stringify({
        type: 'notification_event',
        id: `notif_bench-${i}`,
        topic: 'company.created',
        app_id: 'local',
        created_at: Math.floor(Date.now() / 1000),
        data: {
          type: 'notification_event_data',
          item: { type: 'company', id: `bench-company-${i}`, name: `Company ${i}` },
        },
      }),
    );
    const sign = (body: string) => `sha1=${createHmac('sha1', SECRET).update(body).digest('hex')}`;
    const post = async (body: string) => {
      const res = await fetch(`${stack.url}/webhooks/intercom`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hub-signature': sign(body) },
        body,
      });
      await res.arrayBuffer();
      return res.status;
    };
    // Unloaded first: one at a time, the cost of one acknowledgement without queueing behind others.
    const single: number[] = [];
    for (let i = 0; i < 100; i++) {
      const body = bodies[i]!.replace('notif_bench-', 'notif_single-').replace(
        'bench-company-',
        'single-company-',
      );
      const t0 = performance.now();
      await post(body);
      single.push(performance.now() - t0);
    }
    await stack.automations.workerSource!.drained(60_000);
    single.sort((a, b) => a - b);
    const latencies: number[] = [];
    const statuses = new Map<number, number>();
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < NOTIFICATIONS) {
          const body = bodies[next++]!;
          const t0 = performance.now();
          const status = await post(body);
          latencies.push(performance.now() - t0);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }
      }),
    );
    const acknowledged = (performance.now() - started) / 1000;
    await stack.automations.workerSource!.drained(300_000);
    const finished = (performance.now() - started) / 1000;
    const created = stack.sandbox!.stats().objects.tags;
    latencies.sort((a, b) => a - b);
    const results = {
      notifications: NOTIFICATIONS,
      singleP50Ms: percentile(single, 50),
      singleP99Ms: percentile(single, 99),
      statuses: Object.fromEntries(statuses),
      ackP50Ms: percentile(latencies, 50),
      ackP99Ms: percentile(latencies, 99),
      ackMaxMs: latencies.at(-1)!,
      acknowledgedInSeconds: acknowledged,
      acknowledgedPerSecond: NOTIFICATIONS / acknowledged,
      automationsFinishedInSeconds: finished,
      notificationsPerSecond: NOTIFICATIONS / finished,
      tagsInSandbox: created,
    };
    const markdown = [
      `${NOTIFICATIONS} signed company.created notifications, ${IN_FLIGHT} in flight, through the local stack (intake -> FIFO queue emulator -> worker -> sandbox); one rule with one action each.`,
      '',
      '| measure | value |',
      '| --- | ---: |',
      `| one at a time (100): acknowledgement p50 / p99 | ${results.singleP50Ms.toFixed(1)} / ${results.singleP99Ms.toFixed(1)} ms |`,
      `| burst responses | ${[...statuses].map(([s, n]) => `${n} x ${s}`).join(', ')} |`,
      `| burst: acknowledgement p50 / p99 / max | ${results.ackP50Ms.toFixed(1)} / ${results.ackP99Ms.toFixed(1)} / ${results.ackMaxMs.toFixed(1)} ms |`,
      `| burst acknowledged in | ${acknowledged.toFixed(2)} s (${results.acknowledgedPerSecond.toFixed(0)}/s) |`,
      `| automations finished after | ${finished.toFixed(2)} s (${results.notificationsPerSecond.toFixed(0)} notifications/s) |`,
    ].join('\n');
    return { title: 'Webhook burst: acknowledgement latency and automation throughput', markdown, results };
  } finally {
    await stack.close();
  }
}
