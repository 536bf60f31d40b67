/**
 * Cold path of an action function, bundled as the CDK app bundles it: module init plus the first
 * request to a loopback Intercom, in fresh processes; side by side with the same action on the
 * official intercom-client SDK. Goal (issue "HTTP action endpoints"): <= 1.0x the SDK handler,
 * stretch 0.75x, while ours also does auth, validation and structured logging. Ours runs twice: as
 * locally (no tracing), and as deployed with active tracing on a sampled invocation (a loopback UDP
 * socket stands in for Lambda's X-Ray daemon and counts the subsegments). Rounds of interleaved
 * probes; each round's medians give its ratios, and the result is the median round.
 */
import { fork } from 'node:child_process';
import { createSocket } from 'node:dgram';
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
const ROUNDS = Number(process.env.BENCH_COLD_ROUNDS ?? 3);
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
  /** CPU time of init and first request, all threads (less sensitive to a busy machine than wall time). */
  cpuMs: number;
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

interface Summary {
  initMs: number;
  firstRequestMs: number;
  totalMs: number;
  cpuMs: number;
}

function summary(probes: Probe[]): Summary {
  return {
    initMs: median(probes.map((p) => p.initMs)),
    firstRequestMs: median(probes.map((p) => p.firstRequestMs)),
    totalMs: median(probes.map((p) => p.initMs + p.firstRequestMs)),
    cpuMs: median(probes.map((p) => p.cpuMs)),
  };
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
  // Lambda's X-Ray daemon, for the traced probes: it counts the subsegments they send.
  let subsegments = 0;
  const daemon = createSocket('udp4');
  daemon.on('message', (message) => {
    if (message.toString('utf8').startsWith('{"format":"json","version":1}\n')) subsegments++;
  });
  daemon.bind(0, '127.0.0.1');
  await once(daemon, 'listening');
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
    // What Lambda adds with active tracing, for a sampled invocation.
    const tracedEnv = {
      ...env,
      AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${(daemon.address() as AddressInfo).port}`,
      _X_AMZN_TRACE_ID: 'Root=1-67891233-abcdef012345678912345678;Parent=53995c3f42cd8ad8;Sampled=1',
    };
    const rounds: Array<{ ours: Summary; traced: Summary; sdk: Summary }> = [];
    for (let round = 0; round < ROUNDS; round++) {
      const ours: Probe[] = [];
      const traced: Probe[] = [];
      const sdk: Probe[] = [];
      // Interleaved, so drift on the machine hits all three alike.
      for (let i = 0; i < RUNS; i++) {
        ours.push(await probe(oursPath, event, env));
        traced.push(await probe(oursPath, event, tracedEnv));
        sdk.push(await probe(sdkPath, event, env));
      }
      for (const p of [...ours, ...traced, ...sdk])
        if (p.status !== 200) throw new Error(`a cold-start probe answered ${p.status}`);
      rounds.push({ ours: summary(ours), traced: summary(traced), sdk: summary(sdk) });
    }
    // Each traced probe makes one Intercom call, so one subsegment each reached the daemon.
    if (subsegments < ROUNDS * RUNS)
      throw new Error(`${subsegments} subsegments for ${ROUNDS * RUNS} traced probes`);
    const ratios = rounds.map((r) => ({
      ours: r.ours.totalMs / r.sdk.totalMs,
      traced: r.traced.totalMs / r.sdk.totalMs,
      tracingMs: r.traced.totalMs - r.ours.totalMs,
      tracingCpuMs: r.traced.cpuMs - r.ours.cpuMs,
    }));
    // The median round by the traced ratio (the deployed path), with its own figures.
    const order = ratios.map((_, i) => i).sort((a, b) => ratios[a]!.traced - ratios[b]!.traced);
    const mid = order[Math.floor(order.length / 2)]!;
    const { ours: o, traced: t, sdk: s } = rounds[mid]!;
    const ratio = ratios[mid]!.ours;
    const tracedRatio = ratios[mid]!.traced;
    const row = (name: string, r: Summary, bytes: number, vs: string) =>
      `| ${name} | ${(bytes / 1024).toFixed(0)} KiB | ${r.initMs.toFixed(1)} | ${r.firstRequestMs.toFixed(1)} | ${r.totalMs.toFixed(1)} | ${r.cpuMs.toFixed(1)} | ${vs} |`;
    const list = (values: number[], digits: number) => values.map((v) => v.toFixed(digits)).join(', ');
    const markdown = [
      `Cold start (the median of ${ROUNDS} rounds, each the medians of ${RUNS} interleaved fresh processes per handler; Node ${process.versions.node}; bundles built like the CDK app's)`,
      '',
      '| handler | bundle (minified) | module init ms | first request ms | total ms | CPU ms | vs SDK |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      row(
        'intercom-actions `users` function (auth, validation, logging, metrics)',
        o,
        oursBytes,
        `${ratio.toFixed(2)}x`,
      ),
      row(
        'the same, traced (active tracing, sampled: its Intercom call sent as a subsegment)',
        t,
        oursBytes,
        `${tracedRatio.toFixed(2)}x`,
      ),
      row('official `intercom-client` SDK handler', s, sdkBytes, '1.00x'),
      '',
      `Rounds: untraced ${list(
        ratios.map((r) => r.ours),
        2,
      )}x; traced ${list(
        ratios.map((r) => r.traced),
        2,
      )}x; tracing's cost ${list(
        ratios.map((r) => r.tracingMs),
        1,
      )} ms (CPU ${list(
        ratios.map((r) => r.tracingCpuMs),
        1,
      )} ms).`,
      `Goal <= 1.0x the SDK, traced: ${tracedRatio <= 1 ? 'met' : 'NOT met'}; stretch 0.75x: ${tracedRatio <= 0.75 ? 'met' : 'not met'}.`,
    ].join('\n');
    return {
      title: 'cold start',
      markdown,
      results: {
        runs: RUNS,
        rounds: rounds.map((r, i) => ({ ...r, ...ratios[i] })),
        ours: { ...o, bundleBytes: oursBytes },
        traced: { ...t, bundleBytes: oursBytes },
        sdk: { ...s, bundleBytes: sdkBytes },
        ratio,
        tracedRatio,
        subsegments,
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    daemon.close();
    server.closeAllConnections();
    server.close();
  }
}

if (import.meta.main) console.log((await run()).markdown);
