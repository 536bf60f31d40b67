/** The sandbox's public shapes: how it is started, configured and observed. */

export const VERSIONS = ['1.0', '1.1', '1.2', '1.3', '1.4'] as const;
export type IntercomVersion = (typeof VERSIONS)[number];

export const FAULT_KINDS = ['500', '503', '429', 'reset', 'stall'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface RateLimitConfig {
  perWindow: number;
  windowSeconds: number;
}

export interface FaultConfig {
  /** Probability per request of each fault; their sum is at most 1. */
  rates: Record<FaultKind, number>;
  /** How long a `stall` holds the request before it is processed normally. */
  stallMs: number;
  /** Seed of the PRNG that draws faults: the same seed and requests give the same faults. */
  seed: number;
}

export interface FaultConfigInput {
  rates?: Partial<Record<FaultKind, number>>;
  stallMs?: number;
  seed?: number;
}

/** How long answers wait before they leave: uniform from `baseMs - jitterMs` to `baseMs + jitterMs`. */
export interface LatencySpec {
  baseMs: number;
  jitterMs: number;
}

export interface LatencyConfig extends LatencySpec {
  /** Overrides by `"<METHOD> <route template>"` (the keys of the request counters), e.g. `"POST /users"`. */
  routes: Record<string, LatencySpec>;
}

export interface LatencySpecInput {
  baseMs: number;
  /** Default 0. */
  jitterMs?: number;
}

export interface LatencyConfigInput extends LatencySpecInput {
  routes?: Record<string, LatencySpecInput>;
}

/** What `PUT /__sandbox/config` and `Sandbox.configure` accept: any subset. */
export interface SandboxConfigInput {
  rateLimit?: RateLimitConfig;
  /** `null` turns faults off; an object replaces the whole fault configuration. */
  faults?: FaultConfigInput | null;
  defaultVersion?: IntercomVersion;
  /** `null` turns latency off; an object replaces the whole latency configuration. */
  latency?: LatencyConfigInput | null;
}

export interface SandboxConfig {
  rateLimit: RateLimitConfig;
  faults: FaultConfig | null;
  defaultVersion: IntercomVersion;
  latency: LatencyConfig | null;
}

export interface SandboxOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** Only this token is accepted; any non-empty token when unset. */
  token?: string;
  /** The app's version when a request has no Intercom-Version header. Default 1.4. */
  defaultVersion?: IntercomVersion;
  /** Demo users, leads, companies, conversations... Default true. */
  seed?: boolean;
  /** Default 1667 per 10 s: Intercom's 10,000 per minute today (1.x documented 1,000; config.ts). */
  rateLimit?: RateLimitConfig;
  /** Epoch ms; drives rate windows, scroll expiry and timestamps. Default Date.now. */
  now?: () => number;
  /** No log line per request. */
  quiet?: boolean;
  /** Webhook delivery; the defaults suit tests (Intercom itself retries after minutes). */
  webhooks?: WebhookOptions;
  /** How long every API answer waits before it leaves (none by default); see `latencyFromEnv`. */
  latency?: LatencyConfigInput;
}

export interface WebhookOptions {
  /** Waits before each retry; its length is the number of retries. Default [250, 1000]. */
  retryDelaysMs?: number[];
  /** How long a receiver has to answer. Default 5000, as Intercom. */
  timeoutMs?: number;
}

/** A subscription as `/__sandbox/webhooks` shows it (the secret is never shown). */
export interface WebhookSubscription {
  id: string;
  url: string;
  /** `["*"]` for every topic; `ping` is always subscribed to. */
  topics: string[];
  /** False once the receiver answered 410 Gone, as Intercom then disables the subscription. */
  active: boolean;
  deliveries: WebhookDeliveries & { pending: number };
}

export interface WebhookDeliveries {
  /** Notifications answered with a 2xx. */
  sent: number;
  /** Notifications given up on after their last attempt (or on a 410). */
  failed: number;
  /** Notifications discarded because the queue was full (or after a 410). */
  dropped: number;
  /** HTTP attempts, retries included. */
  attempts: number;
  /** Status of the last attempt; 0 when there was no HTTP answer. */
  lastStatus: number | null;
  lastError: string | null;
}

export interface RecordedRequest {
  method: string;
  /** Without the query string. */
  path: string;
  query: Record<string, string>;
  /** Lower-cased names. */
  headers: Record<string, string>;
  /** Parsed JSON, or undefined when there was no body or it was not JSON. */
  body: unknown;
  /** The body as sent (UTF-8 text), for checks that parsing would blur (number digits); undefined when empty. */
  rawBody?: string;
  /** 0 when an injected `reset` fault dropped the connection. */
  status: number;
  /** When the sandbox received it (epoch ms, the sandbox's clock). */
  receivedAt: number;
  /** When its answer left, or the connection was dropped (epoch ms, the sandbox's clock). */
  answeredAt: number;
  /** How long the latency model held the answer (ms; 0 without latency). An injected stall is not included. */
  delayMs: number;
}

export interface SandboxStats {
  /** By `"<METHOD> <route template>"`, e.g. `"GET /users/{id}"`. */
  requests: Record<string, number>;
  /** By status code, e.g. `"200"`. */
  responses: Record<string, number>;
  /** Injected faults by kind. */
  faults: Record<string, number>;
  objects: Record<ObjectKind, number>;
  /** Totals over the current subscriptions. */
  webhooks: { subscriptions: number; pending: number; sent: number; failed: number; dropped: number };
  /** API answers the latency model is holding right now (their requests have had their effect). */
  answersHeld: number;
}

export type ObjectKind =
  | 'users'
  | 'leads'
  | 'visitors'
  | 'companies'
  | 'conversations'
  | 'tags'
  | 'notes'
  | 'events'
  | 'admins'
  | 'teams'
  | 'segments';

export interface Sandbox {
  /** Base URL, e.g. `http://127.0.0.1:4010`. */
  url: string;
  port: number;
  close(): Promise<void>;
  /** A fresh workspace; also clears the counters, the request log and open scrolls. */
  reset(opts?: { seed?: boolean }): void;
  /** Throws `SandboxConfigError` on invalid input. */
  configure(cfg: SandboxConfigInput): void;
  /** The effective config, as `GET /__sandbox/config` shows it. */
  config(): SandboxConfig;
  stats(): SandboxStats;
  /** The last 1,000 Intercom-API requests, oldest first. */
  requests(): RecordedRequest[];
  webhooks: {
    list(): WebhookSubscription[];
    /** Notifications queued or in flight. */
    pending(): number;
    /** Resolves once nothing is queued or in flight (retries are bounded, so it always does). */
    idle(): Promise<void>;
  };
}
