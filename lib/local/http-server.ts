/**
 * The local API Gateway: turns each HTTP request into the payload 2.0 event AWS would send, routes it
 * with the same table as the CDK app, and invokes the same exported handler the Lambda runs.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { DEFAULT_TARGET, type FunctionName, matchRoute, routeKey } from '../http/routes.ts';
import { withInvocationLog } from '../observability/logger.ts';
import { apiGatewayEvent, assertLambdaResponseSize, lambdaContext, localUrl } from './apigw.ts';

export type HttpHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

export interface RequestLogLine {
  method: string;
  path: string;
  status: number;
  ms: number;
  requestId: string;
}

export interface LocalServerOptions {
  handlers: Readonly<Record<FunctionName, HttpHandler>>;
  port?: number;
  host?: string;
  /** Lambda timeout given to each invocation (the deployed functions' timeout). */
  functionTimeoutMs?: number;
  /** API Gateway's payload limit (10 MB); larger requests get 413 before any handler runs. */
  maxRequestBytes?: number;
  onRequest?: (line: RequestLogLine) => void;
}

export interface LocalServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

export async function startLocalServer(options: LocalServerOptions): Promise<LocalServer> {
  const timeoutMs = options.functionTimeoutMs ?? 30_000;
  const maxBytes = options.maxRequestBytes ?? 10 * 1024 * 1024;
  const server: Server = createServer(async (req, res) => {
    const started = Date.now();
    const method = req.method ?? 'GET';
    const path = localUrl(req.url).pathname;
    let status = 500;
    let requestId = '';
    try {
      const body = await readBody(req, maxBytes);
      if (!body) {
        status = 413;
        res
          .writeHead(413, { 'content-type': 'application/json' })
          .end('{"message":"Request Entity Too Large"}');
        return;
      }
      const match = matchRoute(method, path);
      const target = match?.route.target ?? DEFAULT_TARGET;
      const event = apiGatewayEvent(
        {
          method,
          url: req.url ?? '/',
          headers: req.headersDistinct,
          body,
          sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        },
        match ? routeKey(match.route) : '$default',
        match?.pathParameters,
      );
      // Its own log context, as in a Lambda of its own: nothing it logs is tagged by another request.
      const handler = options.handlers[target];
      const context = lambdaContext(`intercom-actions-${target}`, timeoutMs);
      const result = await withInvocationLog(() => handler(event, context));
      // Lambda's 6 MB response limit, counted on the serialized return value as AWS counts it.
      assertLambdaResponseSize(result);
      status = result.statusCode ?? 200;
      const headers = { ...result.headers } as Record<string, string>;
      requestId = headers['x-request-id'] ?? '';
      const payload =
        result.body === undefined
          ? ''
          : result.isBase64Encoded
            ? Buffer.from(result.body, 'base64')
            : result.body;
      res.writeHead(status, headers).end(payload);
    } catch (error) {
      // A handler that throws (or returns more than Lambda carries) is what the HTTP API reports as
      // 500 "Internal Server Error".
      status = 500;
      console.error('handler failed:', error instanceof Error ? error.message : error);
      if (!res.headersSent)
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"message":"Internal Server Error"}');
    } finally {
      options.onRequest?.({ method, path, status, ms: Date.now() - started, requestId });
    }
  });
  server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}`,
    port,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close').catch(() => undefined);
    },
  };
}
