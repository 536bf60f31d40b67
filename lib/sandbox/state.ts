/** Everything one running sandbox holds, and the fresh-workspace operation. */
import { FaultInjector } from './faults.ts';
import { LatencyModel } from './latency.ts';
import { FixedWindowLimiter } from './rate-limit.ts';
import { Router } from './router.ts';
import { apiRoutes } from './routes/index.ts';
import { seedDemoData, seedOrganisation } from './seed.ts';
import { Recorder } from './stats.ts';
import { Workspace } from './store.ts';
import type { SandboxConfig, WebhookOptions } from './types.ts';
import { WebhookHub } from './webhooks/hub.ts';

export interface SandboxState {
  ws: Workspace;
  config: SandboxConfig;
  readonly limiter: FixedWindowLimiter;
  readonly faults: FaultInjector;
  /** Holds each API answer for the configured latency. */
  readonly latency: LatencyModel;
  readonly recorder: Recorder;
  readonly router: Router;
  readonly token: string | undefined;
  readonly now: () => number;
  readonly quiet: boolean;
  /** Pending `stall` timers, cleared on close. */
  readonly stalls: Set<NodeJS.Timeout>;
  readonly webhooks: WebhookHub;
}

export function freshWorkspace(now: () => number, seed: boolean): Workspace {
  const ws = new Workspace(now);
  seedOrganisation(ws);
  if (seed) seedDemoData(ws);
  return ws;
}

export function createState(init: {
  config: SandboxConfig;
  token: string | undefined;
  now: () => number;
  quiet: boolean;
  seed: boolean;
  webhooks?: WebhookOptions | undefined;
}): SandboxState {
  const faults = new FaultInjector();
  faults.configure(init.config.faults);
  const latency = new LatencyModel();
  latency.configure(init.config.latency);
  const state: SandboxState = {
    ws: freshWorkspace(init.now, init.seed),
    config: init.config,
    limiter: new FixedWindowLimiter(init.config.rateLimit),
    faults,
    latency,
    recorder: new Recorder(),
    router: new Router(apiRoutes),
    token: init.token,
    now: init.now,
    quiet: init.quiet,
    stalls: new Set(),
    webhooks: new WebhookHub({
      now: init.now,
      appId: () => state.ws.app.id_code,
      ...(init.webhooks ? { options: init.webhooks } : {}),
    }),
  };
  return state;
}

/**
 * A fresh workspace; counters, the request log, rate windows and the fault and latency PRNGs start over too, and
 * webhook subscriptions are removed.
 */
export function resetState(state: SandboxState, seed: boolean): void {
  state.webhooks.clear();
  state.ws = freshWorkspace(state.now, seed);
  state.recorder.clear();
  state.limiter.clear();
  state.faults.restart();
  state.latency.restart();
}

export function applyConfig(state: SandboxState, config: SandboxConfig): void {
  const rateChanged =
    config.rateLimit.perWindow !== state.config.rateLimit.perWindow ||
    config.rateLimit.windowSeconds !== state.config.rateLimit.windowSeconds;
  if (rateChanged) state.limiter.configure(config.rateLimit);
  if (config.faults !== state.config.faults) state.faults.configure(config.faults);
  if (config.latency !== state.config.latency) state.latency.configure(config.latency);
  state.config = config;
}
