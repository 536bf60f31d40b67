/**
 * Cold path of an action function, bundled as the CDK app bundles it: module init plus the first
 * request to a loopback Intercom, median of fresh processes; side by side with the same action on
 * the official intercom-client SDK. Goal (issue "HTTP action endpoints"): <= 1.0x the SDK handler,
 * stretch 0.75x, while ours also does auth, validation and structured logging.
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { LAMBDA_BUNDLE } from '../infra/bundling.ts';
import { apiGatewayEvent } from '../lib/local/apigw.ts';

const RUNS = Number(process.env.BENCH_COLD_RUNS ?? 21);
const API_KEY = 'ia_bench_key_0123456789abcdef';
const USER = JSON.stringify({
  type: 'user',
  id: 'u1',
  user_id: 'ext-1',
  email: 'ada@example.com',
  name: 'Ada',
  custom_attributes: {},
});

async function bundle(entry: string, outfile: string): Promise<number> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: LAMBDA_BUNDLE.target,
    format: LAMBDA_BUNDLE.format,
    minify: LAMBDA_BUNDLE.minify,
    sourcemap: LAMBDA_BUNDLE.sourcemap,
    mainFields: [...LAMBDA_BUNDLE.mainFields],
    banner: { js: LAMBDA_BUNDLE.banner },
    logLevel: 'error',
  });
  return statSync(outfile).size;
}

interface Probe {
  initMs: number;
  firstRequestMs: number;
  status: number;
}

async function probe(bundlePath: string, event: unknown, env: NodeJS.ProcessEnv): Promise<Probe> {
  const child = fork(new URL('./cold-start-probe.ts', import.meta.url), [bundlePath, JSON.stringify(event)], {
    env,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const [message] = (await once(child, 'message')) as [Probe];
  await once(child, 'exit');
  return message;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export interface BenchResult {
  title: string;
  markdown: string;
  results: unknown;
}

export async function run(): Promise<BenchResult> {
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, {
      'content-type': 'application/json',
      'x-ratelimit-limit': '1667',
      'x-ratelimit-remaining': '1666',
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 10),
    });
    res.end(USER);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const dir = mkdtempSync(join(tmpdir(), 'intercom-actions-bench-'));
  try {
    const oursPath = join(dir, 'users.mjs');
    const sdkPath = join(dir, 'sdk.mjs');
    const oursBytes = await bundle(new URL('../functions/users.ts', import.meta.url).pathname, oursPath);
    const sdkBytes = await bundle(new URL('./fixtures/sdk-handler.ts', import.meta.url).pathname, sdkPath);
    const body = Buffer.from(JSON.stringify({ id: 'u1' }));
    const headers = { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', host: 'bench' };
    const event = apiGatewayEvent(
      { method: 'POST', url: '/actions/get_user', headers, body, sourceIp: '127.0.0.1' },
      'POST /actions/get_user',
    );
    // As deployed: INFO logs and EMF metrics on (their output goes nowhere here).
    const env = {
      PATH: process.env.PATH,
      INTERCOM_ACCESS_TOKEN: 'tok_bench',
      INTERCOM_BASE_URL: baseUrl,
      API_KEY,
      POWERTOOLS_LOG_LEVEL: 'INFO',
      POWERTOOLS_METRICS_NAMESPACE: 'Bench',
      NODE_ENV: 'production',
    };
    const ours: Probe[] = [];
    const sdk: Probe[] = [];
    // Interleaved, so drift on the machine hits both alike.
    for (let i = 0; i < RUNS; i++) {
      ours.push(await probe(oursPath, event, env));
      sdk.push(await probe(sdkPath, event, env));
    }
    for (const p of [...ours, ...sdk])
      if (p.status !== 200) throw new Error(`a cold-start probe answered ${p.status}`);
    const summary = (probes: Probe[]) => ({
      initMs: median(probes.map((p) => p.initMs)),
      firstRequestMs: median(probes.map((p) => p.firstRequestMs)),
      totalMs: median(probes.map((p) => p.initMs + p.firstRequestMs)),
    });
    const o = summary(ours);
    const s = summary(sdk);
    const ratio = o.totalMs / s.totalMs;
    const row = (name: string, r: typeof o, bytes: number, vs: string) =>
      `| ${name} | ${(bytes / 1024).toFixed(0)} KiB | ${r.initMs.toFixed(1)} | ${r.firstRequestMs.toFixed(1)} | ${r.totalMs.toFixed(1)} | ${vs} |`;
    const markdown = [
      `Cold start (median of ${RUNS} fresh processes, Node ${process.versions.node}, bundles built like the CDK app's)`,
      '',
      '| handler | bundle (minified) | module init ms | first request ms | total ms | vs SDK |',
      '| --- | --- | --- | --- | --- | --- |',
      row(
        'intercom-actions `users` function (auth, validation, logging, metrics)',
        o,
        oursBytes,
        `${ratio.toFixed(2)}x`,
      ),
      row('official `intercom-client` SDK handler', s, sdkBytes, '1.00x'),
      '',
      `Goal <= 1.0x the SDK: ${ratio <= 1 ? 'met' : 'NOT met'}; stretch 0.75x: ${ratio <= 0.75 ? 'met' : 'not met'}.`,
    ].join('\n');
    return {
      title: 'cold start',
      markdown,
      results: {
        runs: RUNS,
        ours: { ...o, bundleBytes: oursBytes },
        sdk: { ...s, bundleBytes: sdkBytes },
        ratio,
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    server.closeAllConnections();
    server.close();
  }
}

if (import.meta.main) console.log((await run()).markdown);
