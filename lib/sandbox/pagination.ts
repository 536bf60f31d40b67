/** Intercom's `pages` objects, with `next` as a full URL, and the 10,000-record cap on paged lists. */
import type { ApiContext } from './context.ts';
import { SandboxHttpError } from './errors.ts';
import { queryInteger } from './input.ts';

export const PAGE_CAP = 10_000;

export interface PageLimits {
  defaultPerPage: number;
  maxPerPage: number;
}

export const PEOPLE_PAGES: PageLimits = { defaultPerPage: 50, maxPerPage: 60 };
export const CONVERSATION_PAGES: PageLimits = { defaultPerPage: 20, maxPerPage: 60 };

/** The request's URL with some query parameters replaced: `pages.next` and events' cursors. */
export function linkWith(ctx: ApiContext, changes: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(ctx.query)) if (!(key in changes)) params.set(key, value);
  for (const [key, value] of Object.entries(changes)) if (value !== undefined) params.set(key, value);
  return `${ctx.baseUrl}${ctx.path}?${params.toString()}`;
}

/** One page of `items` and its `pages` object; `per_page` above the maximum is clamped to it. */
export function paginate<T>(ctx: ApiContext, items: T[], limits: PageLimits = PEOPLE_PAGES) {
  const page = queryInteger(ctx.query, 'page') ?? 1;
  const requested = queryInteger(ctx.query, 'per_page') ?? limits.defaultPerPage;
  if (page < 1) throw new SandboxHttpError(400, 'parameter_invalid', 'page must be 1 or more', 'page');
  if (requested < 1)
    throw new SandboxHttpError(400, 'parameter_invalid', 'per_page must be 1 or more', 'per_page');
  const perPage = Math.min(requested, limits.maxPerPage);
  // The cap is on records, not pages: with 60 per page, page 167 holds records 9,961-10,000.
  const start = (page - 1) * perPage;
  // Intercom's own words for it: {"code":"bad_request","message":"page limit reached, please use scroll
  // API"} (intercom-node #115); python-intercom raised BadRequestError for it (#186), intercom-java a
  // ClientException, its class for 4xx answers (#117).
  if (start >= PAGE_CAP)
    throw new SandboxHttpError(400, 'bad_request', 'page limit reached, please use scroll API');
  const totalPages = Math.max(1, Math.ceil(items.length / perPage));
  const end = Math.min(page * perPage, PAGE_CAP);
  const slice = items.slice(start, end);
  const hasNext = page < totalPages && end < PAGE_CAP;
  return {
    items: slice,
    total_count: items.length,
    pages: {
      type: 'pages',
      page,
      per_page: perPage,
      total_pages: totalPages,
      next: hasNext ? linkWith(ctx, { page: String(page + 1), per_page: String(perPage) }) : null,
    },
  };
}

/** `{type, pages, <key>: [...], total_count}`: a paged list response. */
export function pagedList<T>(
  ctx: ApiContext,
  type: string,
  key: string,
  items: T[],
  render: (item: T) => unknown,
  limits?: PageLimits,
) {
  const { items: slice, pages, total_count } = paginate(ctx, items, limits);
  return { type, pages, [key]: slice.map(render), total_count };
}

/**
 * The people lists' `limited` flag after `total_count`: Intercom's `GET /contacts` and `GET /users`
 * pages carried `"limited": false` (test/fixtures/intercom-v1/intercom.io/get-contacts-page-2.json;
 * tarunc/intercom.io test/fixtures/replay/api.intercom.io-443/147719501723924337, a users page not
 * copied here for the real people in it); the 1.1+ `user.list` of `GET /users?email=` is the same
 * list. No source says when it is true, so it never is.
 */
export function limitedList<T extends object>(list: T): T & { limited: boolean } {
  return { ...list, limited: false };
}

/** Sorts by a numeric field (nulls last in either order), ties broken by insertion order. */
export function sortBy<T extends { seq: number }>(
  items: T[],
  key: (item: T) => number | null,
  order: 'asc' | 'desc',
) {
  const sign = order === 'asc' ? 1 : -1;
  return [...items].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    if (ka === kb) return sign * (a.seq - b.seq);
    if (ka === null) return 1;
    if (kb === null) return -1;
    return sign * (ka - kb);
  });
}
