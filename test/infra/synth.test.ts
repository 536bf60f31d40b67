import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { httpEvent, testContext } from '../helpers/events.ts';
import { TAG_NEW_USERS_RULES } from './sample-rules.ts';

const run = promisify(execFile);
const out = mkdtempSync(join(tmpdir(), 'cdk-out-'));
const rulesDir = mkdtempSync(join(tmpdir(), 'cdk-rules-'));
/** A valid rules file from outside the project, as `-c automationsFile=...` may name. */
const RULES = TAG_NEW_USERS_RULES;
const rulesFile = join(rulesDir, 'rules.yaml');
let template: { Resources: Record<string, { Type: string; Properties: any; Metadata?: any }> };
/** What `cdk synth` printed (bundling, warnings). */
let printed = '';

beforeAll(async () => {
  // `npx cdk synth` exactly as a user runs it: offline, no AWS credentials, real esbuild bundling.
  const env = {
    ...process.env,
    AWS_ACCESS_KEY_ID: '',
    AWS_SECRET_ACCESS_KEY: '',
    AWS_PROFILE: '',
    CDK_DEFAULT_ACCOUNT: '',
  };
  writeFileSync(rulesFile, RULES);
  const context = ['-c', 'stage=ci', '-c', `automationsFile=${rulesFile}`];
  const { stdout, stderr } = await run('npx', ['cdk', 'synth', '--quiet', '--output', out, ...context], {
    env,
    cwd: new URL('../..', import.meta.url).pathname,
  });
  printed = `${stdout}\n${stderr}`;
  template = JSON.parse(readFileSync(join(out, 'IntercomActions-ci.template.json'), 'utf8'));
}, 120_000);
afterAll(() => {
  for (const dir of [out, rulesDir]) rmSync(dir, { recursive: true, force: true });
});

/** The function whose logical id starts with `prefix`. */
function functionOf(prefix: string) {
  return Object.entries(template.Resources).find(
    ([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith(prefix),
  )![1];
}

/** The bundle directory of the function whose logical id starts with `prefix`. */
function assetOf(prefix: string): string {
  return join(out, functionOf(prefix).Metadata['aws:asset:path']);
}

describe('npx cdk synth', () => {
  it('warns of no unconfigured feature flag (cdk.json sets the recommended ones)', () => {
    expect(printed).toContain('Bundling asset');
    expect(printed).not.toMatch(/feature flags? (are|is) not configured/);
  });

  it('bundles each function as minified ESM with source maps and the require banner', () => {
    // The bulk functions also bundle the DynamoDB and SQS clients (the action bundles use no AWS SDK).
    // So do the webhook and automation functions; the automation worker also the rules engine.
    const budgets = {
      usersFunction: 1024 * 1024,
      bulkFunction: 2 * 1024 * 1024,
      BulkWorkerFunction: 2 * 1024 * 1024,
      webhooksFunction: 2 * 1024 * 1024,
      automationsFunction: 2 * 1024 * 1024,
      AutomationsWorkerFunction: 3 * 1024 * 1024,
    };
    for (const [prefix, budget] of Object.entries(budgets)) {
      const dir = assetOf(prefix);
      const files = prefix === 'AutomationsWorkerFunction' ? ['automations.yaml'] : [];
      expect([prefix, readdirSync(dir).sort()]).toEqual([prefix, [...files, 'index.mjs', 'index.mjs.map']]);
      const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
      expect(code.startsWith("import { createRequire as __createRequire } from 'node:module'")).toBe(true);
      // Minified: a few very long lines.
      expect(code.length / code.split('\n').length).toBeGreaterThan(5_000);
      expect([prefix, statSync(join(dir, 'index.mjs')).size < budget]).toEqual([prefix, true]);
    }
  });

  it('ships the rules file validated at synth with the automation worker, where its environment points', () => {
    const worker = functionOf('AutomationsWorkerFunction');
    const bundled = worker.Properties.Environment.Variables.AUTOMATIONS_FILE;
    expect(bundled).toBe('automations.yaml');
    expect(readFileSync(join(assetOf('AutomationsWorkerFunction'), bundled), 'utf8')).toBe(RULES);
  });

  it("loads none of Node's heavy built-ins while an action function starts (its cold start)", async () => {
    // Measured costs of module init: an ESM import of node:http loads Node's own bundled undici (its
    // namespace evaluates the lazy WebSocket export: ~10-20 ms); zlib, worker_threads and web streams
    // come with undici's fetch parts, which the client never uses. None may come back unnoticed.
    const probe = [
      'const before = new Set(process.moduleLoadList);',
      'await import(process.argv[1]);',
      'console.log(JSON.stringify(process.moduleLoadList.filter((m) => !before.has(m))));',
    ].join('\n');
    for (const prefix of ['usersFunction', 'metaFunction']) {
      const { stdout } = await run(
        process.execPath,
        ['--input-type=module', '-e', probe, join(assetOf(prefix), 'index.mjs')],
        {
          env: {
            PATH: process.env.PATH,
            INTERCOM_ACCESS_TOKEN: 'tok_synth_test',
            API_KEY: 'ia_synth_test_key_0123456789',
            POWERTOOLS_LOG_LEVEL: 'SILENT',
          },
        },
      );
      const loaded = (JSON.parse(stdout) as string[]).map((m) => m.replace(/^NativeModule /, ''));
      const heavy = [
        'internal/deps/undici/undici',
        'zlib',
        'worker_threads',
        'internal/webstreams/readablestream',
      ];
      expect([prefix, heavy.filter((m) => loaded.includes(m))]).toEqual([prefix, []]);
      expect(loaded).toContain('crypto');
    }
  });

  it('produces a bundle that runs: the meta function answers /health', async () => {
    process.env.API_KEY = 'ia_synth_test_key_0123456789';
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    const { handler } = (await import(join(assetOf('metaFunction'), 'index.mjs'))) as {
      handler: (e: unknown, c: unknown) => Promise<any>;
    };
    const result = await handler(httpEvent({ method: 'GET', path: '/health' }), testContext());
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toEqual({ status: 'ok' });
  });
});
