/**
 * An automation worker that dies after Intercom applied an action but before it recorded it: the
 * next delivery looks a note up instead of writing it twice, and records a lead it cannot look up
 * as outcome_unknown instead of creating a second one.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { SqsHandler } from '../../lib/local/sqs-event-source.ts';
import { buildAutomationWorker } from '../helpers/automation-worker.ts';
import { type BulkTestStack, startBulkTestStack } from '../helpers/bulk-stack.ts';

const RULES = fileURLToPath(new URL('../fixtures/webhooks/crash-rules.yaml', import.meta.url));
const crashed = new Set<string>();

function buildWorker(): Promise<SqsHandler> {
  return buildAutomationWorker({
    afterCall: (notificationId, operation) => {
      const key = `${notificationId}:${operation}`;
      if (crashed.has(key)) return;
      crashed.add(key);
      throw new Error('simulated crash after Intercom answered');
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
afterAll(async () => t?.close());

it('neither repeats the note (looked up) nor the lead (outcome_unknown) after a crash', async () => {
  await t.request('POST', '/actions/create_user', { body: { user_id: 'crash-user' } });
  await t.request('POST', '/actions/create_company', { body: { company_id: 'crash-co', name: 'Crashco' } });
  let sent = -1;
  const until = Date.now() + 40_000;
  for (;;) {
    await t.stack.sandbox!.webhooks.idle();
    await t.stack.automations.workerSource!.drained(30_000);
    const runs = (await t.request('GET', '/automations/runs?limit=50')).json.runs;
    if (
      runs.some((r: any) => r.topic === 'company.created') &&
      t.stack.sandbox!.stats().webhooks.sent === sent
    )
      break;
    sent = t.stack.sandbox!.stats().webhooks.sent;
    if (Date.now() > until) throw new Error('the automations did not finish');
    await new Promise((r) => setTimeout(r, 200));
  }
  const run = (await t.request('GET', '/automations/runs?limit=50')).json.runs.find(
    (r: any) => r.topic === 'company.created',
  );
  expect(run.rules).toEqual([
    { rule: 'note-per-company', status: 'ran', actions: [{ operation: 'create_note', status: 'succeeded' }] },
    {
      rule: 'lead-per-company',
      status: 'ran',
      actions: [expect.objectContaining({ operation: 'create_lead', status: 'outcome_unknown' })],
    },
  ]);
  const created = (path: string, text: string) =>
    t.stack
      .sandbox!.requests()
      .filter(
        (r) =>
          r.method === 'POST' && r.path === path && r.status === 200 && JSON.stringify(r.body).includes(text),
      ).length;
  expect(created('/notes', 'company Crashco created')).toBe(1);
  expect(created('/contacts', 'lead for Crashco')).toBe(1);
  expect(crashed.size).toBe(2);
});
