/**
 * Warm overhead of the middleware stack per invocation (header normalisation, request id, auth,
 * operation and scope, JSON body, validation, error shaping, access log, EMF metrics) over the bare
 * client call. Both go to the same MockAgent, so the difference is the stack. Goal: <= 50 µs.
 */
import { MockAgent } from 'undici';
import { getOperation } from '../lib/catalog/index.ts';
import { sha256Hex } from '../lib/config/parse.ts';
import type { AppConfig } from '../lib/config/types.ts';
import { createActionHandler } from '../lib/http/action-handler.ts';
import { IntercomClient } from '../lib/intercom/client.ts';
import { apiGatewayEvent, lambdaContext } from '../lib/local/apigw.ts';
import * as validators from '../lib/validation/generated/users.ts';
import { workspaceClientOptions } from '../lib/workspaces/clients.ts';
import type { BenchResult } from './cold-start.ts';

const ITERATIONS = Number(process.env.BENCH_WARM_ITERATIONS ?? 20_000);
const ROUNDS = 5;
const KEY = 'ia_bench_key_0123456789abcdef';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

interface PerCall {
  /** Wall time, µs per call. */
  wall: number;
  /** CPU time (user + system, all threads), µs per call: less sensitive to other load on the machine. */
  cpu: number;
}

/**
 * Calls between turns of the event loop. Lambda runs each invocation in a turn of its own; a loop of
 * awaits that never yields starves the tasks that run between turns, among them the cleanup of the
 * FinalizationRegistry undici registers every response body in: the heap then grows ~3.5 KB per call
 * (~700 MB over the benchmark), and garbage collection, slower with every round, is most of what is
 * measured. Both paths yield alike.
 */
const CALLS_PER_TURN = 100;

async function timePerCall(fn: () => Promise<unknown>): Promise<PerCall> {
  const started = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  for (let i = 0; i < ITERATIONS; i++) {
    await fn();
    if (i % CALLS_PER_TURN === CALLS_PER_TURN - 1) await new Promise(setImmediate);
  }
  const cpu = process.cpuUsage(cpuBefore);
  return {
    wall: Number(process.hrtime.bigint() - started) / 1_000 / ITERATIONS,
    cpu: (cpu.user + cpu.system) / ITERATIONS,
  };
}

export async function run(): Promise<BenchResult> {
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
  process.env.POWERTOOLS_METRICS_NAMESPACE = 'Bench';
  const agent = new MockAgent();
  agent.disableNetConnect();
  agent
    .get('https://api.intercom.io')
    .intercept({ path: () => true, method: 'GET' })
    .reply(
      200,
      { type: 'user', id: 'u1', email: 'ada@example.com' },
      { headers: { 'content-type': 'application/json' } },
    )
    .persist();
  const config: AppConfig = {
    workspaces: new Map([
      [
        'main',
        { name: 'main', accessToken: 'tok_bench_secret', region: 'us', version: '1.4', webhookSecrets: [] },
      ],
    ]),
    defaultWorkspace: 'main',
    apiKeys: [
      {
        id: 'key_bench',
        name: 'bench',
        sha256: sha256Hex(KEY),
        scopes: ['read', 'write', 'delete', 'bulk'],
        workspace: 'main',
      },
    ],
  };
  const client = new IntercomClient({
    ...workspaceClientOptions(config.workspaces.get('main')!),
    dispatcher: agent,
  });
  const handler = createActionHandler('users', validators, config, { createClient: () => client });
  const body = Buffer.from(JSON.stringify({ id: 'u1' }));
  const headers = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', host: 'bench' };
  const op = getOperation('get_user');
  const event = apiGatewayEvent(
    { method: 'POST', url: '/actions/get_user', headers, body, sourceIp: '127.0.0.1' },
    'POST /actions/get_user',
  );
  const { getRemainingTimeInMillis: _, ...context } = lambdaContext('bench', 30_000);

  // Log lines and EMF are serialised as in Lambda; only the write to stdout is skipped.
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (() => true) as typeof process.stdout.write;
  const bare: PerCall[] = [];
  const stacked: PerCall[] = [];
  try {
    const first = await handler(event, { ...context } as never);
    if (first.statusCode !== 200) throw new Error(`handler answered ${first.statusCode}`);
    for (let round = 0; round < ROUNDS; round++) {
      bare.push(await timePerCall(() => client.call(op, { id: 'u1' })));
      stacked.push(await timePerCall(() => handler(event, { ...context } as never)));
    }
  } finally {
    process.stdout.write = write;
    await agent.close();
  }
  const b = median(bare.map((r) => r.wall));
  const s = median(stacked.map((r) => r.wall));
  const overhead = s - b;
  const bCpu = median(bare.map((r) => r.cpu));
  const sCpu = median(stacked.map((r) => r.cpu));
  const overheadCpu = sCpu - bCpu;
  const markdown = [
    `Warm path (median of ${ROUNDS} rounds x ${ITERATIONS} sequential calls, Node ${process.versions.node}, MockAgent upstream)`,
    '',
    '| path | µs per call | CPU µs per call |',
    '| --- | --- | --- |',
    `| bare client call (\`client.call('get_user')\`) | ${b.toFixed(1)} | ${bCpu.toFixed(1)} |`,
    `| full handler (middy stack + client) | ${s.toFixed(1)} | ${sCpu.toFixed(1)} |`,
    `| **stack overhead** | **${overhead.toFixed(1)}** | **${overheadCpu.toFixed(1)}** |`,
    '',
    `Goal <= 50 µs: ${overhead <= 50 ? 'met' : 'NOT met'} (wall), ${overheadCpu <= 50 ? 'met' : 'NOT met'} (CPU; the wall figure is the goal's, the CPU one shows whether a miss is the machine's load).`,
  ].join('\n');
  return {
    title: 'warm overhead',
    markdown,
    results: {
      iterations: ITERATIONS,
      rounds: ROUNDS,
      bareUs: b,
      handlerUs: s,
      overheadUs: overhead,
      bareCpuUs: bCpu,
      handlerCpuUs: sCpu,
      overheadCpuUs: overheadCpu,
    },
  };
}

if (import.meta.main) console.log((await run()).markdown);
