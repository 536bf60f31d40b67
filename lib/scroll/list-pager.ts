/**
 * One page of a paged list (`pages.next` style: `?page=N&per_page=M`), for enumerators that outlive a
 * Lambda invocation and keep the page number durably (list exports by tag or segment). Unlike a scroll
 * a list holds no state on Intercom's side: no lock, no restart from the beginning; a failed page is
 * asked for again. Each request first takes a slot from the workspace's rate governor, as a scroll
 * page does. What Intercom's answers mean here:
 * - a page: its records, the next page's number (null on the last), the list's `total_count`;
 * - 400 "page limit reached": the list goes on past Intercom's cap on paged lists (10,000 records);
 * - 500, a timeout or a dropped connection: ask for the same page again (`retry`), a GET changes nothing;
 * - 429: every worker of the workspace pauses until the reset (the governor), then the same page;
 * - any other error (404 for an unknown tag or segment): thrown, the enumeration cannot go on.
 */
import type { Operation } from '../catalog/index.ts';
import { buildRequest } from '../catalog/request.ts';
import { extractItems } from '../catalog/results.ts';
import { IntercomError, IntercomHttpError } from '../intercom/errors.ts';
import { pageFailure, type ScrollPagerDeps } from './pager.ts';

export type ListStep =
  /** A page of records; `next`: the page after it, or null when the list ends there. */
  | { kind: 'page'; items: unknown[]; next: number | null; position: number; totalCount: number | undefined }
  /** The page is past Intercom's cap on paged lists: the list ends for us. */
  | { kind: 'capped' }
  /** The page failed in a way that asking again may cure (500, timeout). */
  | { kind: 'retry'; message: string }
  /** No rate budget (or a 429 pause) before `retryAt`: ask for the same page then. */
  | { kind: 'wait'; retryAt: number };

/** The least time a page request is given; less than this before the deadline and the step waits. */
const MIN_CALL_MS = 2_000;
/** Most time one page request is given. */
const MAX_CALL_MS = 20_000;

/** Intercom's answer to a page past the cap: 400 `bad_request` "page limit reached, please use scroll API". */
function isPageLimit(error: unknown): boolean {
  return error instanceof IntercomHttpError && error.status === 400 && /page limit/i.test(error.message);
}

interface PagesObject {
  page?: unknown;
  per_page?: unknown;
  next?: unknown;
}

/** Fetches page `page` (1-based) of `perPage` records of the list `op` narrowed by `input`, within `deadline`. */
export async function listStep(
  deps: ScrollPagerDeps,
  op: Operation,
  input: Record<string, unknown>,
  page: number,
  perPage: number,
  deadline: number,
): Promise<ListStep> {
  const now = deps.now ?? Date.now;
  const slot = deps.slots
    ? await deps.slots.take(deadline - MIN_CALL_MS, now())
    : await deps.governor.acquire(deps.workspace, deadline - MIN_CALL_MS, 1, { [deps.spender]: 1 });
  if (!slot.ok) return { kind: 'wait', retryAt: slot.retryAt };
  const base = buildRequest(op, input, deps.client.version);
  const request = { ...base, query: { ...base.query, page: String(page), per_page: String(perPage) } };
  try {
    const result = await deps.client.send(request, {
      retrySafe: true,
      maxRetries: 0,
      operation: op.name,
      timeoutMs: Math.max(1_000, Math.min(MAX_CALL_MS, deadline - now())),
    });
    if (result.rateLimit) await deps.governor.observe(deps.workspace, result.rateLimit);
    const data = result.data as { pages?: PagesObject; total_count?: unknown } | null;
    const items = extractItems(op, data);
    const pages = data?.pages;
    // Intercom may clamp per_page: the position comes from what it says it served.
    const served = typeof pages?.per_page === 'number' ? pages.per_page : perPage;
    const position = (page - 1) * served + items.length;
    const hasNext = typeof pages?.next === 'string' && pages.next.length > 0 && items.length > 0;
    const totalCount = typeof data?.total_count === 'number' ? data.total_count : undefined;
    return { kind: 'page', items, next: hasNext ? page + 1 : null, position, totalCount };
  } catch (caught) {
    const error = await pageFailure(deps, caught, now);
    if (!(error instanceof IntercomError)) return error;
    if (isPageLimit(error)) return { kind: 'capped' };
    if (error.retryable) return { kind: 'retry', message: error.message };
    throw error;
  }
}
