/**
 * The Scroll API: 100 records per call, one open scroll per app (`scroll_exists` otherwise), a
 * scroll_param that expires after a minute idle, an empty page at the end that closes the scroll.
 * An unknown, expired or finished scroll_param is 404 `not_found`: the scroll is gone, restart it.
 */
import { randomUUID } from 'node:crypto';
import { type ApiContext, ok, type Reply } from './context.ts';
import { notFound, SandboxHttpError } from './errors.ts';
import type { ScrollState } from './model.ts';
import type { Workspace } from './store.ts';

export const SCROLL_PAGE = 100;
export const SCROLL_IDLE_MS = 60_000;

export function liveScroll(ws: Workspace): ScrollState | null {
  const s = ws.scroll;
  if (!s) return null;
  if (ws.clock() - s.lastUsedAt > SCROLL_IDLE_MS) {
    ws.scroll = null;
    return null;
  }
  return s;
}

export interface ScrollSource<T> {
  resource: ScrollState['resource'];
  listType: string;
  /** Every record, in scroll order, when the scroll opens. */
  all: () => Array<T & { id: string }>;
  /** The record for an id captured at open, undefined once it is gone. */
  get: (id: string) => T | undefined;
  render: (item: T) => unknown;
}

function open<T>(ws: Workspace, source: ScrollSource<T>): ScrollState {
  if (liveScroll(ws))
    throw new SandboxHttpError(
      400,
      'scroll_exists',
      'scroll already exists for this workspace. Please run with the scroll_param',
    );
  const state: ScrollState = {
    param: randomUUID(),
    resource: source.resource,
    ids: source.all().map((item) => item.id),
    offset: 0,
    lastUsedAt: ws.clock(),
  };
  ws.scroll = state;
  return state;
}

function resume(ws: Workspace, param: string, resource: ScrollState['resource']): ScrollState {
  const state = liveScroll(ws);
  if (!state || state.param !== param || state.resource !== resource)
    throw notFound('scroll_param not found or expired: restart the scroll without scroll_param');
  return state;
}

export function scrollPage<T>(ctx: ApiContext, source: ScrollSource<T>): Reply {
  const param = ctx.query.scroll_param;
  const state = param ? resume(ctx.ws, param, source.resource) : open(ctx.ws, source);
  const items: T[] = [];
  // Records deleted since the scroll opened are skipped; only the real end returns an empty page.
  while (items.length === 0 && state.offset < state.ids.length) {
    for (const id of state.ids.slice(state.offset, state.offset + SCROLL_PAGE)) {
      const item = source.get(id);
      if (item !== undefined) items.push(item);
    }
    state.offset += SCROLL_PAGE;
  }
  state.lastUsedAt = ctx.ws.clock();
  if (items.length === 0) ctx.ws.scroll = null;
  return ok({
    type: source.listType,
    [source.resource]: items.map(source.render),
    scroll_param: state.param,
  });
}
