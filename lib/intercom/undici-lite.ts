/**
 * The two pieces of undici the client uses, loaded without undici's index: the index also loads
 * fetch, WebSocket, cache and more, which cost ~60 ms of every cold start here against ~25 ms for
 * these (measured on Node 24, see docs/benchmarks.md). `request` runs on any Dispatcher, so an
 * injected MockAgent works the same.
 */

import request from 'undici/lib/api/api-request.js';
import Agent from 'undici/lib/dispatcher/agent.js';

export { Agent, request };
