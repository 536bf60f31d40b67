/**
 * The control API under `/__sandbox/` (no token, no rate limit, no faults, not logged as API requests):
 * health, reset, config, stats, the recorded requests, visitors (which only Intercom's Messenger
 * creates, so tests need another way to make them) and webhook subscriptions.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { mergeConfig, SandboxConfigError } from './config.ts';
import { createCustomer, newCustomer } from './customer-updates.ts';
import { errorList, newRequestId, SandboxHttpError } from './errors.ts';
import { parseJson, readBody, send } from './http-io.ts';
import { isObject, objectBody } from './input.ts';
import { applyConfig, resetState, type SandboxState } from './state.ts';
import type { SandboxStats } from './types.ts';
import { renderCustomer } from './views.ts';
import { readSubscription } from './webhooks/input.ts';

export function objectCounts(state: SandboxState): SandboxStats['objects'] {
  const { ws } = state;
  const kinds = { user: 0, contact: 0, visitor: 0 };
  for (const c of ws.customers.values()) kinds[c.kind]++;
  return {
    users: kinds.user,
    leads: kinds.contact,
    visitors: kinds.visitor,
    companies: ws.companies.size,
    conversations: ws.conversations.size,
    tags: ws.tags.size,
    notes: ws.notes.size,
    events: ws.events.length,
    admins: ws.admins.size,
    teams: ws.teams.size,
    segments: ws.segments.size,
  };
}

export function statsOf(state: SandboxState): SandboxStats {
  const { recorder } = state;
  return {
    requests: { ...recorder.requests },
    responses: { ...recorder.responses },
    faults: { ...recorder.faults },
    objects: objectCounts(state),
    webhooks: state.webhooks.totals(),
    answersHeld: state.latency.pending,
  };
}

function publicConfig(state: SandboxState) {
  return structuredClone(state.config);
}

type Outcome = { status: number; body: unknown };

function invalidControl(message: string, problems?: string[]): Outcome {
  return {
    status: 400,
    body: { ...errorList(newRequestId(), 'parameter_invalid', message), ...(problems ? { problems } : {}) },
  };
}

/** `POST /__sandbox/visitors`: a new visitor with optional attributes (`name`, `custom_attributes`, ...). */
function createVisitor(state: SandboxState, body: unknown): Outcome {
  try {
    const attributes = objectBody(body);
    if (attributes.email !== undefined)
      return invalidControl('A visitor has no email: with one it is a lead');
    const visitor = createCustomer(state.ws, 'visitor', attributes);
    return { status: 200, body: renderCustomer(state.ws, visitor) };
  } catch (error) {
    if (error instanceof SandboxHttpError) return invalidControl(error.message);
    throw error;
  }
}

/** `POST /__sandbox/webhooks`: 201 with the subscription, which is pinged first. */
function subscribe(state: SandboxState, body: unknown): Outcome {
  const input = readSubscription(body);
  if (!input.ok)
    return invalidControl(`Invalid webhook subscription: ${input.problems.join('; ')}`, input.problems);
  return { status: 201, body: state.webhooks.register(input.value) };
}

/** Most users one `POST /__sandbox/users` adds. */
const MAX_GENERATED_USERS = 1_000_000;

/**
 * `POST /__sandbox/users` `{"count": n}`: n more users at once (`gen-<n>@example.com`), for exports
 * and benchmarks of a large workspace without n API calls.
 */
function generateUsers(state: SandboxState, body: unknown): Outcome {
  const count = isObject(body) ? body.count : undefined;
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 1 || count > MAX_GENERATED_USERS)
    return invalidControl(`users takes {"count": n} with n from 1 to ${MAX_GENERATED_USERS}`);
  const ws = state.ws;
  const now = Math.floor(ws.clock() / 1000);
  const start = ws.customers.size;
  for (let i = 1; i <= count; i++) {
    const n = start + i;
    const user = newCustomer(ws, 'user', {
      user_id: `gen-${n}`,
      email: `gen-${n}@example.com`,
      name: `Generated ${n}`,
      created_at: now,
      updated_at: now,
      signed_up_at: now,
    });
    ws.customers.set(user.id, user);
  }
  return { status: 201, body: { created: count, objects: objectCounts(state) } };
}

function route(state: SandboxState, method: string, path: string, body: unknown): Outcome {
  const key = `${method} ${path}`;
  switch (key) {
    case 'GET /__sandbox/health':
      return { status: 200, body: { status: 'ok' } };
    case 'POST /__sandbox/reset': {
      const input = body ?? {};
      if (!isObject(input) || (input.seed !== undefined && typeof input.seed !== 'boolean'))
        return invalidControl('reset takes {"seed": true|false}');
      const seed = input.seed !== false;
      resetState(state, seed);
      return { status: 200, body: { status: 'ok', seed, objects: objectCounts(state) } };
    }
    case 'GET /__sandbox/config':
      return { status: 200, body: publicConfig(state) };
    case 'PUT /__sandbox/config':
      try {
        applyConfig(state, mergeConfig(state.config, body));
        return { status: 200, body: publicConfig(state) };
      } catch (error) {
        if (error instanceof SandboxConfigError) return invalidControl(error.message, error.problems);
        throw error;
      }
    case 'GET /__sandbox/stats':
      return { status: 200, body: statsOf(state) };
    case 'GET /__sandbox/requests':
      return { status: 200, body: { requests: state.recorder.log() } };
    case 'POST /__sandbox/visitors':
      return createVisitor(state, body);
    case 'POST /__sandbox/webhooks':
      return subscribe(state, body);
    case 'GET /__sandbox/webhooks':
      return {
        status: 200,
        body: { subscriptions: state.webhooks.list(), pending: state.webhooks.pending() },
      };
    case 'DELETE /__sandbox/webhooks':
      return { status: 200, body: { removed: state.webhooks.clear() } };
    case 'POST /__sandbox/users':
      return generateUsers(state, body);
    case 'POST /__sandbox/scroll/expire': {
      // What a minute idle does to the open scroll, at once: its scroll_param is gone (404).
      const open = state.ws.scroll !== null;
      state.ws.scroll = null;
      return { status: 200, body: { expired: open } };
    }
  }
  const known = [
    'health',
    'reset',
    'config',
    'stats',
    'requests',
    'visitors',
    'webhooks',
    'users',
    'scroll/expire',
  ].some((name) => path === `/__sandbox/${name}`);
  return {
    status: known ? 405 : 404,
    body: errorList(
      newRequestId(),
      known ? 'unsupported' : 'not_found',
      known ? `${method} is not supported on ${path}` : `No control route ${path}`,
    ),
  };
}

export async function handleControl(
  state: SandboxState,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
) {
  const raw = await readBody(req);
  const parsed = raw ? parseJson(raw) : { ok: false as const };
  const outcome: Outcome = parsed.ok
    ? route(state, req.method ?? 'GET', url.pathname.replace(/\/+$/, ''), parsed.value)
    : invalidControl(raw ? 'The request body is not valid JSON' : 'The request body is too large');
  send(res, outcome.status, outcome.body, {});
}
