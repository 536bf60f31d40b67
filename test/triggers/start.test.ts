/** npm start refuses event and scheduled rules it could not run, naming each rule, before serving anything. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from '@jest/globals';
import { startLocalTriggers } from '../../lib/local/triggers.ts';

const INVALID = fileURLToPath(new URL('../fixtures/triggers/invalid.yaml', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'triggers-start-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const env = (file: string) => ({ AUTOMATIONS_FILE: file, INTERCOM_ACCESS_TOKEN: 'token-for-tests' });

describe('starting the local triggers', () => {
  it('fails on invalid event and scheduled rules, naming each', async () => {
    await expect(startLocalTriggers(env(INVALID), { port: 0 })).rejects.toThrow(
      /\(rule "bad-schedule"\): "cron\(0 9 \* \* \* \*\)": exactly one of[\s\S]*\(rule "bad-event"\): the "suffix" matcher is not supported/,
    );
  });

  it('fails on a rule whose workspace is not configured, naming it', async () => {
    const file = join(dir, 'rules.yaml');
    writeFileSync(
      file,
      `rules:
  - name: eu-nightly
    on: { schedule: "rate(1 day)" }
    workspace: eu
    actions: [{ operation: create_tag, params: { body: { name: x, users: [{ id: "1" }] } } }]
`,
    );
    await expect(startLocalTriggers(env(file), { port: 0 })).rejects.toThrow(
      '/rules/0/workspace (rule "eu-nightly"): "eu" is not a configured workspace (configured: default)',
    );
  });
});
