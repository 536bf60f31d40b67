import type { Agent as AgentType, Dispatcher } from 'undici';
import { Agent } from './undici-lite.ts';

let shared: AgentType | undefined;

/**
 * One keep-alive Agent per process (a Lambda container reuses it across invocations). Keep-alive is
 * shorter than Intercom's idle timeout so a pooled socket is not closed under a request.
 */
export function defaultDispatcher(connectTimeoutMs: number): Dispatcher {
  shared ??= new Agent({
    keepAliveTimeout: 4_000,
    keepAliveMaxTimeout: 30_000,
    connect: { timeout: connectTimeoutMs },
  });
  return shared as Dispatcher;
}
