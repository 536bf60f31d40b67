/** Builds the API Gateway HTTP API (payload 2.0) event and Lambda context AWS would pass a handler. */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { LAMBDA_RESPONSE_LIMIT_BYTES, lambdaResponseBytes } from '../validation/response-size.ts';

export interface IncomingRequest {
  method: string;
  /** Path and query as received (`/actions/get_user?x=1`). */
  url: string;
  /**
   * Every header line as received (names lower-cased). Not `req.headers`: Node keeps only the first
   * `authorization` (and other singular headers) there, where API Gateway joins them all.
   */
  headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  body: Buffer;
  sourceIp: string;
}

function isText(contentType: string | undefined): boolean {
  return (
    !contentType ||
    /^(text\/|application\/([a-z0-9.+-]*\+)?(json|xml|x-www-form-urlencoded))/i.test(contentType)
  );
}

/** API Gateway hands path parameters over decoded; an undecodable one stays as sent. */
function decodeParameters(parameters: Record<string, string>): Record<string, string> {
  const decoded: Record<string, string> = {};
  for (const [name, value] of Object.entries(parameters)) {
    try {
      decoded[name] = decodeURIComponent(value);
    } catch {
      decoded[name] = value;
    }
  }
  return decoded;
}

/**
 * The request target as a URL. Not `new URL(target, base)`: that reads `//actions/x` as the host
 * `actions`, where API Gateway keeps the path `//actions/x` (and routes it nowhere).
 */
export function localUrl(target: string | undefined): URL {
  const value = target ?? '/';
  if (value.startsWith('/')) return new URL(`http://local${value}`);
  return URL.canParse(value) ? new URL(value) : new URL(`http://local/${value}`);
}

export function apiGatewayEvent(
  request: IncomingRequest,
  routeKey: string,
  pathParameters?: Record<string, string>,
  now = new Date(),
): APIGatewayProxyEventV2 {
  const url = localUrl(request.url);
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    const values: readonly string[] = typeof value === 'string' ? [value] : value;
    if (name === 'cookie') cookies.push(...values.flatMap((v) => v.split(/;\s*/)));
    // API Gateway joins repeated headers with commas: two `Authorization` lines become one value
    // that no Bearer scheme matches.
    else headers[name] = values.join(',');
  }
  const text = isText(headers['content-type']);
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams)
    query[key] = query[key] === undefined ? value : `${query[key]},${value}`;
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: 'local',
      http: {
        method: request.method,
        path: url.pathname,
        protocol: 'HTTP/1.1',
        sourceIp: request.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    isBase64Encoded: request.body.length > 0 && !text,
  };
  if (cookies.length > 0) event.cookies = cookies;
  if (pathParameters) event.pathParameters = decodeParameters(pathParameters);
  if (url.search) event.queryStringParameters = query;
  if (request.body.length > 0)
    event.body = text ? request.body.toString('utf8') : request.body.toString('base64');
  return event;
}

/** A Lambda context whose remaining time counts down from `timeoutMs`, as in AWS. */
export function lambdaContext(functionName: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  const fail = () => {
    throw new Error('callback-style completion is not supported; return a promise');
  };
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: fail,
    fail,
    succeed: fail,
  };
}

/**
 * What Lambda does with a return value larger than it carries: the runtime serializes it (JSON), the
 * Runtime API refuses it over 6,291,556 bytes and the invocation fails with this message
 * (`Function.ResponseSizeTooLarge`, as in DataBiosphere/azul#8258). An HTTP API answers a failed
 * Lambda integration with 500 `{"message":"Internal Server Error"}` ("Troubleshooting issues with
 * HTTP API Lambda integrations", API Gateway developer guide), which the local server does for any
 * handler that throws.
 */
export function assertLambdaResponseSize(result: unknown): void {
  const bytes = lambdaResponseBytes(result);
  if (bytes > LAMBDA_RESPONSE_LIMIT_BYTES) {
    throw new Error(
      `Response payload size exceeded maximum allowed payload size (${LAMBDA_RESPONSE_LIMIT_BYTES} bytes): ${bytes} bytes`,
    );
  }
}
