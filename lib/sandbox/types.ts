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

/** What `PUT /__sandbox/config` and `Sandbox.configure` accept: any subset. */
export interface SandboxConfigInput {
  rateLimit?: RateLimitConfig;
  /** `null` turns faults off; an object replaces the whole fault configuration. */
  faults?: FaultConfigInput | null;
  defaultVersion?: IntercomVersion;
}

export interface SandboxConfig {
  rateLimit: RateLimitConfig;
  faults: FaultConfig | null;
  defaultVersion: IntercomVersion;
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
  /** Default 1667 per 10 s: Intercom's 10,000 per minute. */
  rateLimit?: RateLimitConfig;
  /** Epoch ms; drives rate windows, scroll expiry and timestamps. Default Date.now. */
  now?: () => number;
  /** No log line per request. */
  quiet?: boolean;
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
  /** 0 when an injected `reset` fault dropped the connection. */
  status: number;
}

export interface SandboxStats {
  /** By `"<METHOD> <route template>"`, e.g. `"GET /users/{id}"`. */
  requests: Record<string, number>;
  /** By status code, e.g. `"200"`. */
  responses: Record<string, number>;
  /** Injected faults by kind. */
  faults: Record<string, number>;
  objects: Record<ObjectKind, number>;
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
  stats(): SandboxStats;
  /** The last 1,000 Intercom-API requests, oldest first. */
  requests(): RecordedRequest[];
}
