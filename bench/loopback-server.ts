/**
 * The Intercom stand-in of the throughput benchmark, run in its own process (forked by
 * client-throughput.ts) so it does not share an event loop with the client being measured. Every
 * request gets the same ~600-byte `user` JSON with keep-alive and `X-RateLimit-*` headers.
 *
 * It answers from raw sockets with a prebuilt response: on a 2-core machine every cycle the server
 * spends is taken from the client being measured, and this takes about half of node:http's CPU per
 * request (measured: ~18 µs against ~35 µs). `http` as the first argument uses node:http, to compare.
 *
 * Talks to the parent over IPC: sends `{ port }` once listening, answers `'stats'` with the request
 * count per method and path and its CPU time, and exits when the parent disconnects (so it never
 * outlives the bench).
 */
import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, createServer as createNetServer, type Server, type Socket } from 'node:net';

export const USER_JSON = JSON.stringify({
  type: 'user',
  id: 'u1',
  user_id: 'ext-1',
  email: 'ada.lovelace@example.com',
  name: 'Ada Lovelace',
  avatar: { type: 'avatar', image_url: null },
  app_id: 'abc12345',
  companies: { type: 'company.list', companies: [] },
  location_data: { type: 'location_data', city_name: 'London', country_code: 'GBR' },
  last_request_at: 1732500000,
  created_at: 1700000000,
  signed_up_at: 1700000000,
  updated_at: 1732500000,
  session_count: 42,
  unsubscribed_from_emails: false,
  marked_email_as_spam: false,
  tags: { type: 'tag.list', tags: [] },
  segments: { type: 'segment.list', segments: [] },
  custom_attributes: { plan: 'pro', seats: 5 },
});

const BODY = Buffer.from(USER_JSON);
const HEADER_END = Buffer.from('\r\n\r\n');

function rateLimitHeaders(): Record<string, string> {
  return {
    'x-ratelimit-limit': '1000',
    'x-ratelimit-remaining': '999',
    'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 10),
  };
}

/** The whole response as bytes; rebuilt once a second so Date and the reset time move like Intercom's. */
function buildResponse(): Buffer {
  const headers = {
    date: new Date().toUTCString(),
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(BODY.length),
    connection: 'keep-alive',
    'keep-alive': 'timeout=30',
    ...rateLimitHeaders(),
  };
  const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
  return Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\n${head.join('')}\r\n`), BODY]);
}

const counts = new Map<string, number>();

function count(key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

function contentLength(head: string): number {
  const match = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  return match ? Number(match[1]) : 0;
}

function rawServer(): Server {
  let response = buildResponse();
  setInterval(() => {
    response = buildResponse();
  }, 1_000).unref();
  return createNetServer((socket: Socket) => {
    socket.setNoDelay(true);
    let pending: Buffer = Buffer.alloc(0);
    // Bytes of a request body still to skip (the clients only GET; this keeps framing right anyway).
    let skip = 0;
    socket.on('data', (chunk: Buffer) => {
      let buffer = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      let answered = 0;
      for (;;) {
        if (skip > 0) {
          const n = Math.min(skip, buffer.length);
          skip -= n;
          buffer = buffer.subarray(n);
          if (skip > 0) break;
        }
        const end = buffer.indexOf(HEADER_END);
        if (end === -1) break;
        const head = buffer.toString('latin1', 0, end);
        const requestLine = head.slice(0, head.indexOf('\r\n'));
        const [method = '?', target = '?'] = requestLine.split(' ');
        count(`${method} ${target.split('?')[0]}`);
        skip = contentLength(head);
        buffer = buffer.subarray(end + HEADER_END.length);
        answered++;
      }
      pending = buffer.length === 0 ? Buffer.alloc(0) : Buffer.from(buffer);
      if (answered === 1) socket.write(response);
      else if (answered > 1) socket.write(Buffer.concat(Array.from({ length: answered }, () => response)));
    });
    socket.on('error', () => socket.destroy());
  });
}

function httpServer() {
  return createHttpServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    count(`${req.method} ${req.url?.split('?')[0]}`);
    req.resume();
    res.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': BODY.length,
      ...rateLimitHeaders(),
    });
    res.end(BODY);
  });
}

if (import.meta.main) {
  const server = process.argv[2] === 'http' ? httpServer() : rawServer();
  server.listen(0, '127.0.0.1', () => {
    process.send?.({ port: (server.address() as AddressInfo).port });
  });
  process.on('message', (message) => {
    if (message === 'stats') {
      const { user, system } = process.cpuUsage();
      process.send?.({ stats: Object.fromEntries(counts), cpuUs: user + system });
    }
  });
  process.on('disconnect', () => process.exit(0));
}
