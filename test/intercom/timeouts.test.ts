import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Agent } from 'undici';
import { IntercomClient, IntercomTimeoutError } from '../../lib/intercom/index.ts';

/** A loopback server whose behaviour per path simulates a slow Intercom. */
let server: Server;
let baseUrl: string;
const agent = new Agent({ keepAliveTimeout: 1_000 });
const held: ServerResponse[] = [];
let hangingHeadersCalls = 0;
let tricklingBodyDone = false;

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/tags') {
      held.push(res); // never answers
    } else if (req.url === '/teams') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"type":"team.list",'); // then stalls mid-body
      held.push(res);
    } else if (req.url === '/admins') {
      // Headers at once, then one byte every 100 ms: no gap is long, the whole body is.
      res.writeHead(200, { 'content-type': 'application/json' });
      const body = '{"type":"admin.list","admins":[]}';
      let sent = 0;
      const drip = setInterval(() => {
        if (res.destroyed || sent >= body.length) {
          clearInterval(drip);
          tricklingBodyDone = true;
          if (!res.destroyed) res.end();
          return;
        }
        res.write(body[sent++]);
      }, 100);
      held.push(res);
    } else if (req.url === '/me') {
      hangingHeadersCalls++;
      if (hangingHeadersCalls === 1) held.push(res);
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"type":"admin"}');
    } else {
      res.writeHead(404).end();
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const res of held) res.destroy();
  server.closeAllConnections();
  server.close();
  await agent.close();
});

function client(
  timeouts: Partial<{ headersMs: number; bodyMs: number; deadlineMs: number }>,
  maxRetries = 0,
) {
  return new IntercomClient({
    token: 't',
    baseUrl,
    dispatcher: agent,
    timeouts,
    retry: { maxRetries, baseDelayMs: 1 },
  });
}

describe('IntercomClient timeouts (real sockets on loopback)', () => {
  it('times out waiting for headers', async () => {
    const error = await client({ headersMs: 150, deadlineMs: 5_000 })
      .call('list_tags')
      .catch((e) => e);
    expect(error).toBeInstanceOf(IntercomTimeoutError);
    expect(error).toMatchObject({ code: 'INTERCOM_TIMEOUT', phase: 'headers', retryable: true });
  });

  it('times out when the body stalls', async () => {
    const error = await client({ bodyMs: 150, deadlineMs: 5_000 })
      .call('list_teams')
      .catch((e) => e);
    expect(error).toMatchObject({ code: 'INTERCOM_TIMEOUT', phase: 'body' });
  });

  it('stops the whole call at its deadline', async () => {
    const error = await client({ headersMs: 10_000, deadlineMs: 200 })
      .call('list_tags')
      .catch((e) => e);
    expect(error).toMatchObject({ code: 'INTERCOM_TIMEOUT', phase: 'deadline' });
  });

  it('stops a body that trickles in past the deadline (bodyMs bounds gaps, not the whole body)', async () => {
    const error = await client({ bodyMs: 1_000, deadlineMs: 400 })
      .call('list_admins')
      .catch((e) => e);
    expect(error).toMatchObject({ code: 'INTERCOM_TIMEOUT', phase: 'deadline' });
    // The body takes ~3.4 s to arrive; the call ended at its deadline, before the body did.
    expect(tricklingBodyDone).toBe(false);
  });

  it('retries a retry-safe call after a headers timeout', async () => {
    const result = await client({ headersMs: 150, deadlineMs: 5_000 }, 2).call('get_current_admin_and_app');
    expect(result).toMatchObject({ attempts: 2, data: { type: 'admin' } });
  });

  it("passes a caller's abort through untouched", async () => {
    const controller = new AbortController();
    const pending = client({ deadlineMs: 5_000 }).call('list_tags', {}, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('lambda is out of time')), 50);
    await expect(pending).rejects.toThrow('lambda is out of time');
  });
});
