/**
 * One Intercom API request, in Intercom's order: authentication, version, rate limit, then (sandbox
 * only) an injected fault, all before the request has any effect; then routing, the JSON body and the
 * route's handler. Every response carries `x-request-id`, and all but a 401 the `X-RateLimit-*` headers.
 * The changes a successful handler made are queued as webhook notifications before the response is
 * written. With a latency configured, the request is counted and has its effect on arrival, and its
 * answer (an error, a 429 or a dropped connection too) leaves after the drawn delay.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { authenticate, resolveVersion } from './auth.ts';
import type { Reply } from './context.ts';
import { errorList, newRequestId, notFound, SandboxHttpError } from './errors.ts';
import { headerRecord, type JsonParse, parseJson, queryRecord, readBody, send } from './http-io.ts';
import { type RateLimitStatus, rateLimitHeaders, rateLimitMessage } from './rate-limit.ts';
import type { RouteMatch } from './router.ts';
import type { SandboxState } from './state.ts';
import type { FaultKind, IntercomVersion } from './types.ts';

const rateLimited = (rate: RateLimitStatus) =>
  new SandboxHttpError(429, 'rate_limit_exceeded', rateLimitMessage(rate));

function stall(state: SandboxState, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      state.stalls.delete(timer);
      resolve();
    }, ms);
    state.stalls.add(timer);
  });
}

/** Applies an injected fault; returns 'reset' when the connection must be dropped. */
async function injectFault(state: SandboxState, kind: FaultKind, match: RouteMatch, rate: RateLimitStatus) {
  state.recorder.countFault(kind);
  switch (kind) {
    case '500':
      // Intercom: after a 500 mid-scroll the scroll cannot be resumed; restart it.
      if (match.kind === 'route' && match.route.template.endsWith('/scroll')) state.ws.scroll = null;
      throw new SandboxHttpError(
        500,
        'server_error',
        'Request failed due to an internal network error. Please restart the scroll operation.',
      );
    case '503':
      throw new SandboxHttpError(
        503,
        'service_unavailable',
        'Sorry, the API service is temporarily unavailable',
      );
    case '429':
      throw new SandboxHttpError(429, 'rate_limit_exceeded', rateLimitMessage(rate), undefined, {
        'x-ratelimit-remaining': '0',
      });
    case 'reset':
      return 'reset' as const;
    case 'stall':
      await stall(state, state.config.faults?.stallMs ?? 0);
      return undefined;
  }
}

interface Incoming {
  method: string;
  path: string;
  query: Record<string, string>;
  body: JsonParse;
  version: IntercomVersion;
  baseUrl: string;
}

function dispatch(state: SandboxState, match: RouteMatch, ctx: Incoming): Reply {
  if (match.kind === 'none') throw notFound(`No route for ${ctx.method} ${ctx.path}`);
  if (match.kind === 'method_not_allowed')
    throw new SandboxHttpError(
      405,
      'unsupported',
      `${ctx.method} is not supported on ${match.template}`,
      undefined,
      {
        allow: match.allowed.join(', '),
      },
    );
  const parsed = ctx.body;
  if (!parsed.ok) throw new SandboxHttpError(400, 'invalid_document', 'The request body is not valid JSON');
  const ws = state.ws;
  return state.webhooks.record(ws, () =>
    match.route.handler({
      ws,
      method: ctx.method,
      path: ctx.path,
      params: match.params,
      query: ctx.query,
      body: parsed.value,
      version: ctx.version,
      baseUrl: ctx.baseUrl,
    }),
  );
}

export async function handleApi(state: SandboxState, req: IncomingMessage, res: ServerResponse, url: URL) {
  const started = Date.now();
  // The sandbox's own clock (rate windows use it), so a receipt time lines up with the windows.
  const receivedAt = state.now();
  const method = req.method ?? 'GET';
  const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
  const query = queryRecord(url.searchParams);
  const headers = headerRecord(req);
  const requestId = newRequestId();
  const match = state.router.match(method, path);
  const routeKey = `${method} ${match.kind === 'route' ? match.route.template : match.kind === 'method_not_allowed' ? match.template : '(unmatched)'}`;
  state.recorder.countRequest(routeKey);
  const raw = (await readBody(req)) ?? null;
  const body: JsonParse = raw ? parseJson(raw) : { ok: false };
  /** Holds the answer for the configured latency (after the request has had its effect). */
  let delayMs = 0;
  const delay = () => {
    delayMs = state.latency.draw(routeKey);
    return state.latency.hold(delayMs);
  };
  const record = (status: number) =>
    state.recorder.finish({
      method,
      path,
      query,
      headers,
      body: body.ok ? body.value : undefined,
      ...(raw && raw.length > 0 ? { rawBody: raw.toString('utf8') } : {}),
      status,
      receivedAt,
      answeredAt: state.now(),
      delayMs,
    });

  let rate = state.limiter.peek(state.now());
  let reply: Reply;
  let extraHeaders: Record<string, string> = {};
  try {
    if (!raw) throw new SandboxHttpError(413, 'client_error', 'The request body is too large');
    authenticate(headers.authorization, state.token);
    const version = resolveVersion(headers['intercom-version'], state.config.defaultVersion);
    rate = state.limiter.take(state.now());
    if (!rate.allowed) throw rateLimited(rate);
    const fault = state.faults.draw();
    if (fault && (await injectFault(state, fault, match, rate)) === 'reset') {
      await delay();
      req.socket.destroy();
      record(0);
      return;
    }
    reply = dispatch(state, match, {
      method,
      path,
      query,
      body,
      version,
      baseUrl: `http://${headers.host ?? 'localhost'}`,
    });
  } catch (error) {
    if (!(error instanceof SandboxHttpError)) {
      console.error('sandbox: unexpected error', error);
    }
    const e =
      error instanceof SandboxHttpError ? error : new SandboxHttpError(500, 'server_error', 'Internal error');
    reply = { status: e.status, body: errorList(requestId, e.code, e.message, e.field) };
    extraHeaders = e.headers;
  }
  await delay();
  send(res, reply.status, reply.body, {
    // A request that fails authentication names no app, so there is no app budget to report.
    ...(reply.status === 401 ? {} : rateLimitHeaders(rate)),
    'x-request-id': requestId,
    ...extraHeaders,
  });
  record(reply.status);
  if (!state.quiet)
    process.stdout.write(
      `${method} ${url.pathname}${url.search} ${reply.status} ${Date.now() - started}ms\n`,
    );
}
