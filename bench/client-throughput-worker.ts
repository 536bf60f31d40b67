/**
 * One contender of the throughput benchmark in its own process, driven by client-throughput.ts over
 * IPC. Its own process so its heap is its own: the SDK's garbage must not trigger the collections
 * that pause our client, or the other way round.
 *
 * argv: `<client> <baseUrl>`. Sends `{ ready }` once one checked call went through, answers each
 * `{ load: n }` with `{ result }`, and exits when the parent disconnects.
 */

import { IntercomClient as SdkClient } from 'intercom-client';
import { Agent } from 'undici';
import { IntercomClient } from '../lib/intercom/index.ts';

export const CLIENTS = ['ours', 'fetch', 'sdk'] as const;
export type ClientName = (typeof CLIENTS)[number];

export const IN_FLIGHT = 50;
const TOKEN = 'tok_bench_0123456789';

export interface RoundResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** This process's CPU (all threads: JS, GC, I/O) per request; a busy machine skews it less than req/s. */
  cpuUs: number;
}

export type WorkerMessage = { ready: { request: string } } | { result: RoundResult } | { error: string };

interface Contender {
  /** What goes on the wire, for the table. */
  request: string;
  call: () => Promise<unknown>;
  close: () => Promise<void>;
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
}

/** `total` calls with exactly IN_FLIGHT outstanding until the last ones drain. */
async function load(call: () => Promise<unknown>, total: number): Promise<RoundResult> {
  const latencies = new Float64Array(total);
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const i = next++;
      const started = performance.now();
      await call();
      latencies[i] = performance.now() - started;
    }
  };
  const started = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const elapsedMs = performance.now() - started;
  const { user, system } = process.cpuUsage(cpu);
  latencies.sort();
  return {
    rps: total / (elapsedMs / 1000),
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    cpuUs: (user + system) / total,
  };
}

function assertUser(data: unknown, who: string): void {
  if ((data as { id?: unknown } | null)?.id !== 'u1') {
    throw new Error(`${who} did not return the loopback user: ${JSON.stringify(data)?.slice(0, 200)}`);
  }
}

/** Builds the client and makes one checked call, so one that talks past the server fails, not looks fast. */
async function contender(name: ClientName, baseUrl: string): Promise<Contender> {
  if (name === 'ours') {
    // connections = in-flight count: every request gets a socket, none waits in undici's queue.
    const agent = new Agent({ connections: IN_FLIGHT, keepAliveTimeout: 4_000, keepAliveMaxTimeout: 30_000 });
    const client = new IntercomClient({ token: TOKEN, baseUrl, dispatcher: agent });
    assertUser((await client.call('get_user', { id: 'u1' })).data, 'IntercomClient');
    return {
      request: "`client.call('get_user', { id: 'u1' })` → GET /users/u1",
      call: () => client.call('get_user', { id: 'u1' }),
      close: () => agent.close(),
    };
  }
  if (name === 'fetch') {
    const url = `${baseUrl}/users/u1`;
    const headers = {
      authorization: `Bearer ${TOKEN}`,
      accept: 'application/json',
      'intercom-version': '1.4',
    };
    const call = async () => {
      const res = await fetch(url, { headers });
      if (!res.ok) throw new Error(`fetch got HTTP ${res.status}`);
      return res.json();
    };
    assertUser(await call(), 'fetch');
    // The global dispatcher has no close; its idle sockets go with the process.
    return { request: 'GET /users/u1', call, close: async () => {} };
  }
  // As people use it: defaults (retries, 60 s timeout), only the base URL and API version changed.
  const sdk = new SdkClient({ token: TOKEN, baseUrl, version: '1.4' });
  const { data, rawResponse } = await sdk.contacts.find({ contact_id: 'u1' }).withRawResponse();
  assertUser(data, 'intercom-client');
  return {
    request: `\`contacts.find({ contact_id: 'u1' })\` → GET ${new URL(rawResponse.url).pathname}`,
    call: () => sdk.contacts.find({ contact_id: 'u1' }),
    close: async () => {},
  };
}

function reply(message: WorkerMessage): void {
  process.send!(message);
}

if (import.meta.main) {
  const [name, baseUrl] = process.argv.slice(2) as [ClientName, string];
  try {
    const c = await contender(name, baseUrl);
    process.on('message', (message: { load: number }) => {
      load(c.call, message.load).then(
        (result) => reply({ result }),
        (error: unknown) => reply({ error: String((error as Error)?.stack ?? error) }),
      );
    });
    process.on('disconnect', () => {
      // Exit rather than wait: idle keep-alive sockets would hold the process up to their timeout.
      void c.close().finally(() => process.exit(0));
    });
    reply({ ready: { request: c.request } });
  } catch (error) {
    reply({ error: String((error as Error)?.stack ?? error) });
    process.disconnect();
  }
}
