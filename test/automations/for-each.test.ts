/**
 * For-each rules end to end on the local stack: a notification triggers a rule that scrolls every
 * user, keeps the ones its `where` holds for, and hands one write per match to the bulk path as a job
 * the workspace owns; the sandbox receives exactly those writes. And a run triggered while another
 * run of the rule is still enumerating is skipped, with the reason in the run log.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type BulkTestStack, startBulkTestStack } from '../helpers/bulk-stack.ts';

const dir = mkdtempSync(join(tmpdir(), 'for-each-'));
const RULES = join(dir, 'rules.yaml');
writeFileSync(
  RULES,
  `rules:
  - name: nurture-free-users
    topics: [user.created]
    when:
      - path: data.item.email
        equals: go@trigger.example
    forEach:
      operation: scroll_users
      where:
        - path: item.custom_attributes.cohort
          equals: for-each-test
        - path: item.custom_attributes.plan
          equals: free
    actions:
      - operation: create_update_user
        params:
          body:
            user_id: "{{item.user_id}}"
            custom_attributes: { nurtured_by: "{{data.item.email}}" }
`,
);

/** The local stack's one workspace (INTERCOM_ACCESS_TOKEN alone configures `default`). */
const WORKSPACE = 'default';
let t: BulkTestStack;
beforeAll(async () => {
  t = await startBulkTestStack({}, { AUTOMATIONS_FILE: RULES });
}, 30_000);
afterAll(async () => {
  await t?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function settle(): Promise<void> {
  let sent = -1;
  for (let round = 0; round < 20; round++) {
    await t.stack.sandbox!.webhooks.idle();
    await t.stack.automations.workerSource!.drained(20_000);
    await t.stack.bulk.workerSource!.drained(20_000);
    const now = t.stack.sandbox!.stats().webhooks.sent;
    if (now === sent) return;
    sent = now;
  }
}

async function runOf(userId: string) {
  const runs = (await t.request('GET', '/automations/runs?limit=200')).json.runs as any[];
  return runs.find((r) => r.topic === 'user.created' && r.objectKey === `user:${userId}`);
}

const nurtured = () =>
  t.stack
    .sandbox!.requests()
    .filter((r) => r.method === 'POST' && r.path === '/users' && r.rawBody?.includes('nurtured_by'))
    .map((r) => JSON.parse(r.rawBody!).user_id as string)
    .sort();

describe('for-each rules', () => {
  it('runs one bulk job whose items are exactly the records the filter keeps', async () => {
    const free: string[] = [];
    for (let i = 0; i < 24; i++) {
      const plan = i % 3 === 0 ? 'free' : 'paid';
      const userId = `fe-${String(i).padStart(2, '0')}`;
      if (plan === 'free') free.push(userId);
      const res = await t.request('POST', '/actions/create_user', {
        body: {
          user_id: userId,
          email: `${userId}@example.com`,
          custom_attributes: { plan, cohort: 'for-each-test' },
        },
      });
      expect(res.status).toBe(200);
    }
    await settle();
    const trigger = await t.request('POST', '/actions/create_user', {
      body: { user_id: 'fe-trigger', email: 'go@trigger.example', custom_attributes: { plan: 'free' } },
    });
    await settle();

    const run = await runOf(trigger.json.data.id);
    expect(run.rules).toHaveLength(1);
    const [action] = run.rules[0].actions;
    expect(run.rules[0]).toMatchObject({ rule: 'nurture-free-users', status: 'ran' });
    expect(action).toMatchObject({
      operation: 'create_update_user',
      status: 'succeeded',
      matched: free.length,
      truncated: false,
    });
    expect(action.scanned).toBeGreaterThanOrEqual(25);
    expect(action.jobId).toMatch(/^job_/);

    // The job belongs to the workspace: any of its keys with the scope sees it, complete.
    const job = await t.request('GET', `/bulk/jobs/${action.jobId}`);
    expect(job.status).toBe(200);
    expect(job.json).toMatchObject({
      operation: 'create_update_user',
      total: free.length,
      succeeded: free.length,
    });
    expect(job.json.status).toBe('completed');
    expect(nurtured()).toEqual(free);

    // The CLI's run log shows the job and the counts.
    const { automationsCommand } = await import('../../lib/cli/automations.ts');
    const out: string[] = [];
    const io = { out: (text: string) => out.push(text), err: (text: string) => out.push(text), env: {} };
    const code = await automationsCommand(
      ['log', '--notification', run.notificationId, '--url', t.stack.url, '--key', t.stack.apiKey],
      io,
    );
    expect(code).toBe(0);
    expect(out.join('\n')).toContain(
      `nurture-free-users: create_update_user succeeded [${free.length} of ${action.scanned} records, job ${action.jobId}]`,
    );
  });

  it('skips a run while an earlier run of the rule is still enumerating, and says why', async () => {
    const { ForEachStore } = await import('../../lib/automations/for-each-store.ts');
    const { documentClient } = await import('../../lib/aws/clients.ts');
    const store = new ForEachStore(documentClient(), process.env.AUTOMATIONS_TABLE!, 1);
    const now = Date.now();
    const taken = await store.takeLease(
      WORKSPACE,
      'nurture-free-users',
      'notif_still_running',
      now + 600_000,
      now,
    );
    expect(taken).toEqual({ ok: true });
    const before = nurtured().length;

    const trigger = await t.request('POST', '/actions/create_user', {
      body: { user_id: 'fe-trigger-2', email: 'go@trigger.example' },
    });
    await settle();
    const run = await runOf(trigger.json.data.id);
    expect(run.rules).toEqual([
      { rule: 'nurture-free-users', status: 'skipped', reason: 'still_enumerating', actions: [] },
    ]);
    expect(nurtured()).toHaveLength(before);
    await store.releaseLease(WORKSPACE, 'nurture-free-users', 'notif_still_running');
  });
});
