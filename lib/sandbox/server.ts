/**
 * The Intercom 1.x sandbox: an in-memory Intercom REST API (1.0-1.4) on a loopback port, with a
 * control API under `/__sandbox/` for resets, rate-limit, fault and latency configuration, counters and
 * webhook subscriptions (signed notifications of the changes made through the API).
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleApi } from './api.ts';
import { DEFAULT_RATE_LIMIT, mergeConfig } from './config.ts';
import { handleControl, statsOf } from './control.ts';
import { applyConfig, createState, resetState } from './state.ts';
import type { Sandbox, SandboxConfigInput, SandboxOptions } from './types.ts';
import { checkWebhookOptions } from './webhooks/input.ts';

export { SandboxConfigError } from './config.ts';
export { latencyFromEnv } from './latency.ts';
export type * from './types.ts';

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const now = options.now ?? Date.now;
  // Validated like PUT /__sandbox/config, so a bad option fails at start-up.
  const config = mergeConfig(
    { rateLimit: DEFAULT_RATE_LIMIT, faults: null, defaultVersion: '1.4', latency: null },
    {
      ...(options.rateLimit ? { rateLimit: options.rateLimit } : {}),
      ...(options.defaultVersion ? { defaultVersion: options.defaultVersion } : {}),
      ...(options.latency ? { latency: options.latency } : {}),
    },
  );
  const state = createState({
    config,
    token: options.token || undefined,
    now,
    quiet: options.quiet ?? false,
    seed: options.seed ?? true,
    webhooks: checkWebhookOptions(options.webhooks),
  });

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://sandbox.invalid');
    const handler =
      url.pathname === '/__sandbox' || url.pathname.startsWith('/__sandbox/') ? handleControl : handleApi;
    handler(state, req, res, url).catch((error: unknown) => {
      console.error('sandbox: request failed', error);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end();
    });
  });
  server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;

  return {
    url: `http://${host}:${port}`,
    port,
    async close() {
      for (const timer of state.stalls) clearTimeout(timer);
      state.stalls.clear();
      state.webhooks.clear();
      const closed = once(server, 'close');
      server.close();
      // Answers held for latency leave now (their handlers resume within this tick) instead of
      // keeping timers alive past the close; then every connection goes.
      if (state.latency.close() > 0) await new Promise((resolve) => setImmediate(resolve));
      server.closeAllConnections();
      await closed;
    },
    reset(opts = {}) {
      resetState(state, opts.seed ?? true);
    },
    configure(cfg: SandboxConfigInput) {
      applyConfig(state, mergeConfig(state.config, cfg));
    },
    config: () => structuredClone(state.config),
    stats: () => statsOf(state),
    requests: () => state.recorder.log(),
    webhooks: {
      list: () => state.webhooks.list(),
      pending: () => state.webhooks.pending(),
      idle: () => state.webhooks.idle(),
    },
  };
}
