/** `intercom-actions automations validate|log` against a file and the local stack. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { runCli } from '../../lib/cli/main.ts';
import { type BulkTestStack, startBulkTestStack } from '../helpers/bulk-stack.ts';

const RULES = fileURLToPath(new URL('../fixtures/webhooks/rules.yaml', import.meta.url));

function io(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t), env }, out, err };
}

let t: BulkTestStack;
beforeAll(async () => {
  t = await startBulkTestStack({}, { AUTOMATIONS_FILE: RULES });
}, 30_000);
afterAll(async () => t?.close());

describe('automations CLI', () => {
  it('validates a good file and lists every problem of a bad one', async () => {
    const good = io();
    expect(await runCli(['automations', 'validate', '--file', RULES], good.io)).toBe(0);
    expect(good.out.join('')).toMatch(/5 rule\(s\), valid/);
    const file = join(mkdtempSync(join(tmpdir(), 'rules-')), 'bad.yaml');
    writeFileSync(
      file,
      'rules:\n  - name: x\n    topics: [user.creatd]\n    actions:\n      - operation: tag_userz\n',
    );
    const bad = io();
    expect(await runCli(['automations', 'validate', '--file', file], bad.io)).toBe(1);
    expect(bad.err.join('')).toMatch(/user\.creatd/);
    expect(bad.err.join('')).toMatch(/tag_userz/);
  });

  it('shows the run log of the stack', async () => {
    await t.request('POST', '/actions/create_user', {
      body: { user_id: 'cli-log', email: 'log@cli.example' },
    });
    let sent = -1;
    while (t.stack.sandbox!.stats().webhooks.sent !== sent) {
      sent = t.stack.sandbox!.stats().webhooks.sent;
      await t.stack.sandbox!.webhooks.idle();
      await t.stack.automations.workerSource!.drained(20_000);
    }
    const env = { INTERCOM_ACTIONS_URL: t.stack.url, INTERCOM_ACTIONS_KEY: t.stack.apiKey };
    const log = io(env);
    expect(await runCli(['automations', 'log', '--limit', '10'], log.io)).toBe(0);
    expect(log.out.join('\n')).toMatch(/user\.created .* tag-by-domain: create_tag succeeded/);
    const runs = io(env);
    expect(await runCli(['automations', 'log', '--json'], runs.io)).toBe(0);
    const id = JSON.parse(runs.out.join(''))[0].notificationId;
    const one = io(env);
    expect(await runCli(['automations', 'log', '--notification', id, '--json'], one.io)).toBe(0);
    expect(JSON.parse(one.out.join('')).notificationId).toBe(id);
  });

  it('prints the API error JSON and exits 1 on a bad key, 2 on usage errors', async () => {
    const bad = io({ INTERCOM_ACTIONS_URL: t.stack.url, INTERCOM_ACTIONS_KEY: 'wrong-key-000000000' });
    expect(await runCli(['automations', 'log'], bad.io)).toBe(1);
    expect(JSON.parse(bad.err.join('')).error.code).toBe('unauthorized');
    const usage = io();
    expect(await runCli(['automations', 'frobnicate'], usage.io)).toBe(2);
    expect(await runCli(['automations', 'log', '--limit', '0'], usage.io)).toBe(2);
  });
});
