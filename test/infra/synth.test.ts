import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { httpEvent, testContext } from '../helpers/events.ts';

const run = promisify(execFile);
const out = mkdtempSync(join(tmpdir(), 'cdk-out-'));
let template: { Resources: Record<string, { Type: string; Properties: any; Metadata?: any }> };

beforeAll(async () => {
  // `npx cdk synth` exactly as a user runs it: offline, no AWS credentials, real esbuild bundling.
  const env = {
    ...process.env,
    AWS_ACCESS_KEY_ID: '',
    AWS_SECRET_ACCESS_KEY: '',
    AWS_PROFILE: '',
    CDK_DEFAULT_ACCOUNT: '',
  };
  await run('npx', ['cdk', 'synth', '--quiet', '--output', out, '-c', 'stage=ci'], {
    env,
    cwd: new URL('../..', import.meta.url).pathname,
  });
  template = JSON.parse(readFileSync(join(out, 'IntercomActions-ci.template.json'), 'utf8'));
}, 120_000);
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** The bundle directory of the function whose logical id starts with `prefix`. */
function assetOf(prefix: string): string {
  const [, fn] = Object.entries(template.Resources).find(
    ([id, r]) => r.Type === 'AWS::Lambda::Function' && id.startsWith(prefix),
  )!;
  return join(out, fn.Metadata['aws:asset:path']);
}

describe('npx cdk synth', () => {
  it('bundles each function as minified ESM with source maps and the require banner', () => {
    // The bulk functions also bundle the DynamoDB and SQS clients (the action bundles use no AWS SDK).
    const budgets = {
      usersFunction: 1024 * 1024,
      bulkFunction: 2 * 1024 * 1024,
      BulkWorkerFunction: 2 * 1024 * 1024,
    };
    for (const [prefix, budget] of Object.entries(budgets)) {
      const dir = assetOf(prefix);
      expect(readdirSync(dir).sort()).toEqual(['index.mjs', 'index.mjs.map']);
      const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
      expect(code.startsWith("import { createRequire as __createRequire } from 'node:module'")).toBe(true);
      // Minified: a few very long lines.
      expect(code.length / code.split('\n').length).toBeGreaterThan(5_000);
      expect([prefix, statSync(join(dir, 'index.mjs')).size < budget]).toEqual([prefix, true]);
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
