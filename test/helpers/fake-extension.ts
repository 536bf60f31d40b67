/**
 * The AWS Parameters and Secrets Lambda Extension's HTTP interface on a loopback port, with an answer
 * a test can change: edit `secrets`, or set `status` to make every read fail.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export const SESSION_TOKEN = 'session-token-for-tests';

export interface FakeExtension {
  port: number;
  secrets: Map<string, string>;
  /** Answer every read with this status instead (a broken extension or Secrets Manager outage). */
  status: number | undefined;
  /** The secret ids read, in order. */
  reads: string[];
  close(): Promise<void>;
}

export async function startFakeExtension(initial: Record<string, string>): Promise<FakeExtension> {
  const fake: FakeExtension = {
    port: 0,
    secrets: new Map(Object.entries(initial)),
    status: undefined,
    reads: [],
    close: async () => {
      server.closeAllConnections();
      server.close();
    },
  };
  const server = createServer((req, res) => {
    if (req.headers['x-aws-parameters-secrets-token'] !== SESSION_TOKEN)
      return void res.writeHead(401).end('unauthorized');
    const id = new URL(req.url ?? '/', 'http://x').searchParams.get('secretId') ?? '';
    fake.reads.push(id);
    if (fake.status !== undefined) return void res.writeHead(fake.status).end('{"message":"unavailable"}');
    const value = fake.secrets.get(id);
    if (value === undefined) return void res.writeHead(400).end('{"message":"not found"}');
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ Name: id, SecretString: value }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  fake.port = (server.address() as AddressInfo).port;
  return fake;
}
