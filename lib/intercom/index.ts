export {
  type AttemptInfo,
  type CallOptions,
  IntercomClient,
  type IntercomClientOptions,
  type IntercomResult,
} from './client.ts';
export { DEFAULT_RETRY, DEFAULT_TIMEOUTS, DEFAULT_VERSION, REGION_BASE_URLS, type Region } from './config.ts';
export { type Cursor, decodeCursor, encodeCursor } from './cursor.ts';
export * from './errors.ts';
export { items, type Page, type PageOptions, pages } from './pagination.ts';
export type { RateLimitState } from './rate-limit.ts';
