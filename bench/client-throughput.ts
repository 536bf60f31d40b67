/**
 * Client throughput: requests per second of three clients doing the same GET against one loopback
 * Intercom, 50 requests in flight on keep-alive connections: our IntercomClient on an undici Agent,
 * bare global fetch, and the official intercom-client SDK. Goals (issue "Intercom client"): ours >=
 * 1.5x fetch and >= 2x the SDK.
 *
 * The server and each client run in processes of their own (loopback-server.ts,
 * client-throughput-worker.ts), so no two share an event loop or a heap; this process only conducts.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import {
  CLIENTS,
  type ClientName,
  IN_FLIGHT,
  type RoundResult,
  type WorkerMessage,
} from './client-throughput-worker.ts';
import type { BenchResult } from './cold-start.ts';
import { USER_JSON } from './loopback-server.ts';

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 20_000);
// V8 needs ~15,000 of these calls to reach its optimised code (measured: the first 1,000 ran at a
// quarter of the steady rate), so a shorter warm-up leaves its cost in the first round.
const WARMUP = Number(process.env.BENCH_WARMUP ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
/** `http` runs the loopback server on node:http instead of raw sockets (see loopback-server.ts). */
const SERVER_MODE = process.env.BENCH_SERVER === 'http' ? 'http' : 'raw';
const GOAL_VS_FETCH = 1.5;
const GOAL_VS_SDK = 2;

const LABELS: Record<ClientName, string> = {
  ours: 'intercom-actions `IntercomClient` (undici Agent, 50 connections)',
  fetch: 'global `fetch` + `res.json()`',
  sdk: 'official `intercom-client` SDK (v7)',
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The child's next IPC message; rejects if it exits first, so a crashed child cannot hang the bench. */
function nextMessage<T>(child: ChildProcess, who: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown) => {
      child.off('exit', onExit);
      resolve(message as T);
    };
    const onExit = (code: number | null, signal: string | null) => {
      child.off('message', onMessage);
      reject(new Error(`${who} exited (${signal ?? code})`));
    };
    child.once('message', onMessage);
    child.once('exit', onExit);
  });
}

/** Disconnecting ends a child (each exits on 'disconnect'); the kill is for one that hangs. */
function stop(child: ChildProcess): void {
  if (child.connected) child.disconnect();
  setTimeout(() => child.kill(), 2_000).unref();
}

function forkChild(file: string, args: string[]): ChildProcess {
  return fork(new URL(file, import.meta.url), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

interface Worker {
  name: ClientName;
  request: string;
  child: ChildProcess;
}

async function startWorker(name: ClientName, baseUrl: string, children: ChildProcess[]): Promise<Worker> {
  const child = forkChild('./client-throughput-worker.ts', [name, baseUrl]);
  children.push(child);
  const message = await nextMessage<WorkerMessage>(child, `the ${name} worker`);
  if (!('ready' in message)) throw new Error(`the ${name} worker failed: ${JSON.stringify(message)}`);
  return { name, request: message.ready.request, child };
}

async function load(worker: Worker, total: number): Promise<RoundResult> {
  worker.child.send({ load: total });
  const message = await nextMessage<WorkerMessage>(worker.child, `the ${worker.name} worker`);
  if (!('result' in message)) throw new Error(`the ${worker.name} worker failed: ${JSON.stringify(message)}`);
  return message.result;
}

export async function run(): Promise<BenchResult> {
  const children: ChildProcess[] = [];
  const rounds = new Map<ClientName, RoundResult[]>(CLIENTS.map((name) => [name, []]));
  const workers: Worker[] = [];
  let serverRequests: Record<string, number> = {};
  let serverCpuUs = 0;
  try {
    const server = forkChild('./loopback-server.ts', [SERVER_MODE]);
    children.push(server);
    const { port } = await nextMessage<{ port: number }>(server, 'the loopback server');
    const baseUrl = `http://127.0.0.1:${port}`;
    for (const name of CLIENTS) workers.push(await startWorker(name, baseUrl, children));
    for (const w of workers) await load(w, WARMUP);
    // One client at a time; rounds interleave the clients and rotate their order, so drift on the
    // machine hits all alike.
    for (let round = 0; round < ROUNDS; round++) {
      for (let k = 0; k < workers.length; k++) {
        const w = workers[(round + k) % workers.length]!;
        rounds.get(w.name)!.push(await load(w, REQUESTS));
      }
    }
    server.send('stats');
    ({ stats: serverRequests, cpuUs: serverCpuUs } = await nextMessage<{
      stats: Record<string, number>;
      cpuUs: number;
    }>(server, 'the loopback server'));
  } finally {
    for (const child of children) stop(child);
  }

  const rows = workers.map((w) => {
    const rs = rounds.get(w.name)!;
    return {
      client: w.name,
      label: LABELS[w.name],
      request: w.request,
      rpsPerRound: rs.map((r) => Math.round(r.rps)),
      rps: median(rs.map((r) => r.rps)),
      p50Ms: median(rs.map((r) => r.p50Ms)),
      p99Ms: median(rs.map((r) => r.p99Ms)),
      cpuUs: median(rs.map((r) => r.cpuUs)),
    };
  });
  const rps = (name: ClientName) => rows.find((r) => r.client === name)!.rps;
  const vsFetch = rps('ours') / rps('fetch');
  const vsSdk = rps('ours') / rps('sdk');
  const sent = (1 + WARMUP + ROUNDS * REQUESTS) * workers.length;
  const seen = Object.values(serverRequests).reduce((a, b) => a + b, 0);
  const fmt = (n: number, digits = 2) => n.toFixed(digits);
  const met = (ratio: number, goal: number) => `${ratio >= goal ? 'met' : 'NOT met'} (${fmt(ratio)}x)`;
  const markdown = [
    `Client throughput (Node ${process.versions.node}, ${availableParallelism()} cores; loopback server ` +
      `(${SERVER_MODE === 'raw' ? 'raw sockets' : 'node:http'}) and each client in a process of its own; ` +
      `${IN_FLIGHT} in flight, keep-alive; ${ROUNDS} rounds x ${REQUESTS} requests per client after ` +
      `${WARMUP} warm-up; ${Buffer.byteLength(USER_JSON)}-byte user JSON)`,
    '',
    `| client | request | req/s (median of ${ROUNDS}) | p50 ms | p99 ms | client CPU µs/req | ` +
      'ratio vs fetch | ratio vs SDK |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.label} | ${r.request} | ${Math.round(r.rps)} | ${fmt(r.p50Ms)} | ${fmt(r.p99Ms)} | ` +
        `${fmt(r.cpuUs, 1)} | ${fmt(r.rps / rps('fetch'))}x | ${fmt(r.rps / rps('sdk'))}x |`,
    ),
    '',
    `req/s per round: ${rows.map((r) => `${r.client} ${r.rpsPerRound.join(' / ')}`).join('; ')}.`,
    `Server saw ${seen} requests (${sent} sent${seen === sent ? '' : ': retries or lost requests!'}): ` +
      `${Object.entries(serverRequests)
        .map(([path, n]) => `${path} x${n}`)
        .join(', ')}; server CPU ${fmt(serverCpuUs / seen, 1)} µs/req.`,
    '',
    `Goal ours >= ${GOAL_VS_FETCH}x fetch: ${met(vsFetch, GOAL_VS_FETCH)}; ` +
      `ours >= ${GOAL_VS_SDK}x the SDK: ${met(vsSdk, GOAL_VS_SDK)}.`,
  ].join('\n');
  return {
    title: 'client throughput',
    markdown,
    results: {
      node: process.versions.node,
      cores: availableParallelism(),
      server: SERVER_MODE,
      inFlight: IN_FLIGHT,
      requests: REQUESTS,
      warmup: WARMUP,
      rounds: ROUNDS,
      clients: rows,
      goals: {
        vsFetch: { target: GOAL_VS_FETCH, actual: vsFetch, met: vsFetch >= GOAL_VS_FETCH },
        vsSdk: { target: GOAL_VS_SDK, actual: vsSdk, met: vsSdk >= GOAL_VS_SDK },
      },
      serverRequests,
      serverCpuUsPerRequest: serverCpuUs / seen,
    },
  };
}

if (import.meta.main) console.log((await run()).markdown);
