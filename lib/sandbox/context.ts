/** What a route handler gets and returns. */
import type { Workspace } from './store.ts';
import type { IntercomVersion } from './types.ts';

export interface ApiContext {
  ws: Workspace;
  method: string;
  /** Without the query string. */
  path: string;
  params: Record<string, string>;
  query: Record<string, string>;
  /** Parsed JSON body, undefined when there was none. */
  body: unknown;
  version: IntercomVersion;
  /** `http://<Host header>`: the origin for `pages.next` links. */
  baseUrl: string;
}

export interface Reply {
  status: number;
  /** Undefined: an empty body (`POST /events`' 202). */
  body?: unknown;
}

export type Handler = (ctx: ApiContext) => Reply;

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** e.g. `/users/{id}`; also the key of the request counters in stats. */
  template: string;
  handler: Handler;
}

export const ok = (body: unknown): Reply => ({ status: 200, body });
