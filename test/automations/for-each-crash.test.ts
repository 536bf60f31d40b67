/**
 * A for-each run whose worker dies right after a chunk went to the bulk job, before the run recorded
 * it: the next delivery restarts the scroll from the beginning and skips what was handed over, so the
 * job holds each matching record once and the sandbox receives each write once.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { SqsHandler } from '../../lib/local/sqs-event-source.ts';
import { buildAutomationWorker } from '../helpers/automation-worker.ts';
import { type BulkTestStack, startBulkTestStack } from '../helpers/bulk-stack.ts';

const dir = mkdtempSync(join(tmpdir(), 'for-each-crash-'));
const RULES = join(dir, 'rules.yaml');
// Every seeded user (150, two scroll pages) with an email matches: chunks on both pages.
writeFileSync(
  RULES,
  `rules:
  - name: mark-all
    topics: [user.created]
    when: [{ path: data.item.email, equals: crash@trigger.example }]
    forEach:
      operation: scroll_users
      where: [{ path: item.custom_attributes.plan, exists: true }]
    actions:
      - operation: create_update_user
        params: { body: { user_id: "{{item.user_id}}", custom_attributes: { marked: "yes" } } }
`,
);
const crashes: number[] = [];

function buildWorker(): Promise<SqsHandler> {
  return buildAutomationWorker({
    afterChunk: async (_notificationId, offset) => {
      // Dies once after the first chunk and once after the second.
      if (crashes.includes(offset)) return;
      crashes.push(offset);
      // The dead invocation's scroll stays open on Intercom until a minute idle passes (the next
      // one gets scroll_exists and waits meanwhile): pass that minute now.
      await fetch(`${t.stack.sandbox!.url}/__sandbox/scroll/expire`, { method: 'POST' });
      throw new Error('simulated crash after a chunk went to the job');
    },
  });
}

let t: BulkTestStack;
beforeAll(async () => {
  t = await startBulkTestStack(
    { automations: { visibilityTimeoutSeconds: 1, workerTimeoutMs: 10_000, workerHandler: buildWorker } },
    { AUTOMATIONS_FILE: RULES },
  );
}, 30_000);
afterAll(async () => {
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('hands each matching record to the job once across crashes', async () => {
  const before = t.stack.sandbox!.requests().length;
  const trigger = await t.request('POST', '/actions/create_user', {
    body: { user_id: 'crash-trigger', email: 'crash@trigger.example' },
  });
  expect(trigger.status).toBe(200);
  const notificationRun = async () =>
    ((await t.request('GET', '/automations/runs?limit=200')).json.runs as any[]).find(
      (r) => r.objectKey === `user:${trigger.json.data.id}`,
    );
  const until = Date.now() + 90_000;
  while (!(await notificationRun()) && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
  const run = await notificationRun();
  expect(crashes.length).toBe(2);
  const [action] = run.rules[0].actions;
  expect(action).toMatchObject({ status: 'succeeded', matched: 150, truncated: false });
  const job = await t.waitForJob(action.jobId);
  expect(job).toMatchObject({ total: 150, succeeded: 150, failed: 0 });
  const marked = t.stack
    .sandbox!.requests()
    .slice(before)
    .filter((r) => r.method === 'POST' && r.path === '/users' && r.rawBody?.includes('"marked"'))
    .map((r) => JSON.parse(r.rawBody!).user_id as string);
  expect(marked).toHaveLength(150);
  expect(new Set(marked).size).toBe(150);
}, 120_000);
