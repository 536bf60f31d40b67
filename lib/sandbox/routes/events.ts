/**
 * Events: submit (202, empty body) and list a user's events of the last 90 days, newest first, with a
 * `before=` cursor in `pages.next` and a `since=` link for newer ones; `summary=true` counts by name.
 */
import { type ApiContext, ok, type Route } from '../context.ts';
import { invalid, missing, notFound, typeMismatch } from '../errors.ts';
import { objectBody, optId, optObject, optString, queryFlag, queryInteger, reqString } from '../input.ts';
import type { Customer, EventRecord } from '../model.ts';
import { linkWith } from '../pagination.ts';
import type { Workspace } from '../store.ts';
import { renderEvent } from '../views.ts';

const RETENTION_SECONDS = 90 * 86_400;
const DEFAULT_PER_PAGE = 50;
const MAX_PER_PAGE = 100;

/** The cursor key: created_at in ms, plus the event's rank within that second for the customer. */
export function eventKey(ws: Workspace, customerId: string, createdAt: number): number {
  const second = `${customerId}:${createdAt}`;
  const rank = ws.eventRanks.get(second) ?? 0;
  ws.eventRanks.set(second, rank + 1);
  return createdAt * 1000 + Math.min(rank, 999);
}

function createEvent(ctx: ApiContext) {
  const { ws } = ctx;
  const body = objectBody(ctx.body);
  const name = reqString(body, 'event_name');
  if (body.created_at === undefined || body.created_at === null) throw missing('created_at');
  if (typeof body.created_at !== 'number' || !Number.isInteger(body.created_at))
    throw typeMismatch('created_at', 'an integer (unix seconds)');
  const ref = {
    id: optId(body, 'id'),
    user_id: optId(body, 'user_id'),
    email: optString(body, 'email') ?? undefined,
  };
  if (!ref.id && !ref.user_id && !ref.email) throw missing('user_id', 'A user_id, email or id is required');
  const customer = ws.findUserRef(ref, true);
  if (!customer) throw notFound('User Not Found');
  const metadata = optObject(body, 'metadata') ?? {};
  const event: EventRecord = {
    id: ws.ids.numeric('event'),
    event_name: name,
    created_at: body.created_at,
    customerId: customer.id,
    metadata,
    key: eventKey(ws, customer.id, body.created_at),
  };
  ws.events.push(event);
  ws.notify('event.created', () => renderEvent(ws, event));
  return { status: 202 };
}

function eventOwner(ctx: ApiContext): Customer {
  const { ws, query } = ctx;
  if (!query.type) throw missing('type');
  if (query.type !== 'user') throw invalid('type', 'type must be user');
  const ref = { id: query.intercom_user_id, user_id: query.user_id, email: query.email };
  if (!ref.id && !ref.user_id && !ref.email)
    throw missing('user_id', 'One of user_id, email or intercom_user_id is required');
  const customer = ws.findUserRef(ref, true);
  if (!customer) throw notFound('User Not Found');
  return customer;
}

function summary(customer: Customer, events: EventRecord[]) {
  const byName = new Map<string, { first: number; last: number; count: number }>();
  for (const e of events) {
    const s = byName.get(e.event_name) ?? { first: e.created_at, last: e.created_at, count: 0 };
    s.first = Math.min(s.first, e.created_at);
    s.last = Math.max(s.last, e.created_at);
    s.count++;
    byName.set(e.event_name, s);
  }
  const iso = (seconds: number) => new Date(seconds * 1000).toISOString();
  return {
    type: 'event.summary',
    email: customer.email,
    intercom_user_id: customer.id,
    user_id: customer.user_id,
    events: [...byName.entries()]
      .sort((a, b) => b[1].last - a[1].last)
      .map(([name, s]) => ({
        name,
        first: iso(s.first),
        last: iso(s.last),
        count: s.count,
        description: null,
      })),
  };
}

function listEvents(ctx: ApiContext) {
  const { ws, query } = ctx;
  const customer = eventOwner(ctx);
  const oldest = ws.nowSeconds() - RETENTION_SECONDS;
  const recent = ws.events
    .filter((e) => e.customerId === customer.id && e.created_at >= oldest)
    .sort((a, b) => b.key - a.key);
  if (queryFlag(query, 'summary')) return ok(summary(customer, recent));
  const before = queryInteger(query, 'before');
  const since = queryInteger(query, 'since');
  const perPage = Math.min(Math.max(queryInteger(query, 'per_page') ?? DEFAULT_PER_PAGE, 1), MAX_PER_PAGE);
  const window = recent.filter(
    (e) => (before === undefined || e.key < before) && (since === undefined || e.key >= since),
  );
  const page = window.slice(0, perPage);
  const last = page.at(-1);
  const newest = recent[0]?.key ?? ws.nowSeconds() * 1000;
  return ok({
    type: 'event.list',
    events: page.map((e) => renderEvent(ws, e)),
    pages: {
      next:
        window.length > perPage && last
          ? linkWith(ctx, { before: String(last.key), since: undefined })
          : null,
      since: linkWith(ctx, { since: String(newest + 1), before: undefined }),
    },
  });
}

export const eventRoutes: Route[] = [
  { method: 'POST', template: '/events', handler: createEvent },
  { method: 'GET', template: '/events', handler: listEvents },
];
