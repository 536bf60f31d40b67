/** A loopback HTTP server that records webhook deliveries and answers with the status a test picks. */
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Delivery {
  headers: IncomingHttpHeaders;
  /** The exact body bytes, as a signature is computed over them. */
  raw: Buffer;
  body: any;
}

export type Responder = (delivery: Delivery, index: number) => number | Promise<number>;

export async function startReceiver(respond: Responder = () => 200) {
  const received: Delivery[] = [];
  const server = createServer(async (req, res) => {
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const raw = Buffer.concat(chunks);
      const delivery = { headers: req.headers, raw, body: JSON.parse(raw.toString('utf8')) };
      received.push(delivery);
      const status = await respond(delivery, received.length - 1);
      if (!res.destroyed) res.writeHead(status).end();
    } catch {
      // A delivery the sandbox aborted (its subscription was removed) is not recorded.
      res.destroy();
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/intercom`,
    received,
    topics: () => received.map((d) => d.body.topic as string),
    /** The deliveries of one topic, oldest first. */
    of: (topic: string) => received.filter((d) => d.body.topic === topic).map((d) => d.body),
    async close() {
      if (!server.listening) return;
      const closed = once(server, 'close');
      server.close();
      server.closeAllConnections();
      await closed;
    },
  };
}
