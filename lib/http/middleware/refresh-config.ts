/**
 * Brings the configuration up to date before anything reads it: a no-op until the refresh interval
 * has passed, then one re-read of the secrets (shared by concurrent invocations). Registered before
 * authentication, so a revoked key is refused from the first request after the refresh.
 */
import type { MiddlewareObj } from '@middy/core';
import type { ConfigSource } from '../../config/source.ts';

export function refreshConfig<TEvent, TResult, TContext>(
  source: ConfigSource<unknown>,
): MiddlewareObj<TEvent, TResult, Error, TContext> {
  return {
    name: 'refreshConfig',
    // Synchronous unless a re-read is due: an awaited no-op costs every request two promises.
    before: () => (source.isDue() ? source.fresh().then(() => undefined) : undefined),
  };
}
