/** Real API Gateway v2 events and Lambda contexts for handler tests (the local server's own factory). */
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { apiGatewayEvent, lambdaContext } from '../../lib/local/apigw.ts';

export interface EventInput {
  method?: string;
  path: string;
  body?: string | Buffer | object;
  headers?: Record<string, string>;
  /** The route key API Gateway matched; `$default` for unmatched routes. */
  routeKey?: string;
  /** Pass the body base64-encoded, as API Gateway does with payloads it does not take for text. */
  base64?: boolean;
  /** API Gateway's own request id (`requestContext.requestId`, in its access log); random otherwise. */
  gatewayRequestId?: string;
}

export function httpEvent(input: EventInput): APIGatewayProxyEventV2 {
  const method = input.method ?? 'POST';
  const body =
    input.body === undefined
      ? Buffer.alloc(0)
      : Buffer.isBuffer(input.body)
        ? input.body
        : Buffer.from(typeof input.body === 'string' ? input.body : JSON.stringify(input.body));
  const headers: Record<string, string> = { host: 'api.test', 'user-agent': 'jest', ...input.headers };
  if (
    input.body !== undefined &&
    typeof input.body === 'object' &&
    !Buffer.isBuffer(input.body) &&
    !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')
  ) {
    headers['content-type'] = 'application/json';
  }
  const event = apiGatewayEvent(
    { method, url: input.path, headers, body, sourceIp: '127.0.0.1' },
    input.routeKey ?? `${method} ${input.path}`,
  );
  if (input.gatewayRequestId !== undefined) event.requestContext.requestId = input.gatewayRequestId;
  if (input.base64 && body.length > 0)
    Object.assign(event, { isBase64Encoded: true, body: body.toString('base64') });
  return event;
}

/** A context without getRemainingTimeInMillis, so middy arms no timeout timer. */
export function testContext(name = 'test'): Context {
  const { getRemainingTimeInMillis: _, ...context } = lambdaContext(name, 30_000);
  return context as Context;
}
