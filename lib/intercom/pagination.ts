/**
 * Async iteration over Intercom's three pagination styles: `pages.next` links (the events `before=`
 * cursor is one too), and scroll (`scroll_param`; a 500 mid-scroll restarts it, skipping ids
 * already yielded, as Intercom asks; a 503 asks for the same page again).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Operation, OperationInput, WireRequest } from '../catalog/index.ts';
import { buildRequest } from '../catalog/request.ts';
import { extractItems } from '../catalog/results.ts';
import type { CallOptions, IntercomClient } from './client.ts';
import { type Cursor, decodeCursor } from './cursor.ts';
import {
  IntercomConnectionError,
  IntercomCursorError,
  IntercomError,
  IntercomHttpError,
  IntercomInvalidResponseError,
  IntercomRateLimitError,
  IntercomScrollExistsError,
  IntercomTimeoutError,
} from './errors.ts';

/** How often one scroll page is asked for again after a failure Intercom never acted on. */
const MAX_SCROLL_RESENDS = 2;
const SCROLL_RESEND_DELAY_MS = 250;

/** A 503, or a request that certainly never reached Intercom: nothing moved on Intercom's side. */
function hadNoEffect(error: unknown): boolean {
  return (
    (error instanceof IntercomHttpError && error.status === 503) ||
    (error instanceof IntercomConnectionError && !error.mayHaveReachedIntercom) ||
    (error instanceof IntercomTimeoutError && error.phase === 'connect')
  );
}

export interface Page {
  /** Intercom's response as it came. */
  data: unknown;
  /** The list's items (see extractItems), after any `skip` of a resumed page. */
  items: unknown[];
  /** Where this page starts, to resume in the middle of it. */
  self: Cursor | undefined;
  /** The page after this one, or null at the end. */
  next: Cursor | null;
}

export interface PageOptions extends CallOptions {
  /** Resume from a cursor that a previous iteration returned (encoded). */
  cursor?: string;
  /** How often a failed scroll is restarted from the beginning before giving up. Default 2. */
  maxScrollRestarts?: number;
}

function splitLink(link: string): WireRequest {
  const url = new URL(link, 'http://relative.invalid');
  return { method: 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams) };
}

/** Turns Intercom's absolute `pages.next` URL into a link on the client's base URL, or refuses it. */
function relativeLink(client: IntercomClient, next: string, expectedPath: string): string {
  let url: URL;
  try {
    url = new URL(next, client.origin);
  } catch {
    throw new IntercomInvalidResponseError(200, 'Intercom returned a pages.next link that is not a URL');
  }
  const path = url.pathname.startsWith(client.basePath)
    ? url.pathname.slice(client.basePath.length)
    : undefined;
  // Never send the token elsewhere, nor let a link lead to another endpoint than the operation's own.
  if (url.origin !== client.origin || path !== expectedPath) {
    throw new IntercomInvalidResponseError(
      200,
      `Refusing to follow a pages.next link to another endpoint (${url.origin}${url.pathname})`,
    );
  }
  return path + url.search;
}

function nextLinkOf(data: unknown): string | undefined {
  const next = (data as { pages?: { next?: unknown } } | null)?.pages?.next;
  return typeof next === 'string' && next.length > 0 ? next : undefined;
}

async function* linkPages(
  client: IntercomClient,
  op: Operation,
  input: OperationInput,
  start: Cursor | undefined,
  options: CallOptions,
): AsyncGenerator<Page> {
  const first = buildRequest(op, input, client.version);
  let request = first;
  let skip = 0;
  if (start) {
    if (start.kind !== 'link') throw new IntercomCursorError(`That cursor does not belong to ${op.name}`);
    request = splitLink(start.path);
    if (request.path !== first.path)
      throw new IntercomCursorError(`That cursor does not belong to ${op.name}`);
    skip = start.skip;
  }
  for (;;) {
    const { data } = await client.send(request, { ...options, retrySafe: true, operation: op.name });
    const link = nextLinkOf(data);
    const self: Cursor = { kind: 'link', path: request.path + queryOf(request), skip };
    const next: Cursor | null = link
      ? { kind: 'link', path: relativeLink(client, link, first.path), skip: 0 }
      : null;
    yield { data, items: extractItems(op, data).slice(skip), self, next };
    if (!next) return;
    request = splitLink(next.path);
    skip = 0;
  }
}

function queryOf(request: WireRequest): string {
  const search = new URLSearchParams(request.query).toString();
  return search ? `?${search}` : '';
}

function idOf(item: unknown): unknown {
  return item !== null && typeof item === 'object' ? (item as { id?: unknown }).id : undefined;
}

async function* scrollPages(
  client: IntercomClient,
  op: Operation,
  input: OperationInput,
  start: Cursor | undefined,
  options: PageOptions,
): AsyncGenerator<Page> {
  if (start && start.kind !== 'scroll')
    throw new IntercomCursorError(`That cursor does not belong to ${op.name}`);
  const resumeParam = start?.param ?? (typeof input.scroll === 'string' ? input.scroll : undefined);
  const fresh = { ...input, scroll: undefined };
  const seen = new Set<unknown>();
  let restarts = 0;
  let resends = 0;
  let param = resumeParam;
  for (;;) {
    const request = buildRequest(
      op,
      param === undefined ? fresh : { ...fresh, scroll: param },
      client.version,
    );
    let data: unknown;
    try {
      // A continuation is never repeated blindly: Intercom wants the whole scroll restarted.
      ({ data } = await client.send(request, {
        ...options,
        retrySafe: param === undefined,
        operation: op.name,
      }));
    } catch (error) {
      if (param === undefined) throw error;
      // A request Intercom never acted on (503, or one that never left this machine) asks for the
      // same page again: the scroll is still open and where it was, so a restart would only meet
      // scroll_exists. A spent rate budget is the caller's to wait out (the client already waited
      // what the deadline allowed), for the same reason.
      if (error instanceof IntercomRateLimitError) throw error;
      if (hadNoEffect(error) && resends < MAX_SCROLL_RESENDS) {
        resends++;
        await sleep(
          SCROLL_RESEND_DELAY_MS * resends,
          undefined,
          options.signal ? { signal: options.signal } : {},
        );
        continue;
      }
      // After a 500 Intercom has closed the scroll and asks for a restart; after an unknown outcome
      // (timeout, dropped connection) the position is unknown, so a restart is the only safe way on.
      const restartable =
        resumeParam === undefined &&
        error instanceof IntercomError &&
        error.retryable &&
        !(error instanceof IntercomScrollExistsError) &&
        restarts < (options.maxScrollRestarts ?? 2);
      if (!restartable) throw error;
      restarts++;
      resends = 0;
      param = undefined;
      continue;
    }
    resends = 0;
    const all = extractItems(op, data);
    const nextParam = (data as { scroll_param?: unknown } | null)?.scroll_param;
    const self: Cursor | undefined = param === undefined ? undefined : { kind: 'scroll', param };
    if (all.length === 0) {
      yield { data, items: [], self, next: null };
      return;
    }
    const items = all.filter((item) => {
      const id = idOf(item);
      if (id === undefined) return true;
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    });
    const next: Cursor | null =
      typeof nextParam === 'string' && nextParam ? { kind: 'scroll', param: nextParam } : null;
    yield { data, items, self, next };
    if (!next) return;
    param = next.param;
  }
}

/** Iterates an operation's pages; a non-paginated operation yields its single response. */
export async function* pages(
  client: IntercomClient,
  op: Operation,
  input: OperationInput = {},
  options: PageOptions = {},
): AsyncGenerator<Page> {
  const start = options.cursor === undefined ? undefined : decodeCursor(op.name, options.cursor);
  if (op.pagination === 'scroll') {
    yield* scrollPages(client, op, input, start, options);
  } else if (op.pagination === 'pages' || op.pagination === 'events_cursor') {
    yield* linkPages(client, op, input, start, options);
  } else {
    if (start && start.kind !== 'offset')
      throw new IntercomCursorError(`That cursor does not belong to ${op.name}`);
    const { data } = await client.call(op, input, options);
    const skip = start?.skip ?? 0;
    yield { data, items: extractItems(op, data).slice(skip), self: start, next: null };
  }
}

/** Iterates an operation's items across pages. */
export async function* items(
  client: IntercomClient,
  op: Operation,
  input: OperationInput = {},
  options: PageOptions = {},
): AsyncGenerator<unknown> {
  for await (const page of pages(client, op, input, options)) yield* page.items;
}
