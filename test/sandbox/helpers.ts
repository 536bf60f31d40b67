/** Starts a sandbox for a suite and calls its Intercom API with global fetch. */
import { type Sandbox, type SandboxOptions, startSandbox } from '../../lib/sandbox/server.ts';

export const TOKEN = 'sbx_test_token';

export interface CallOptions {
  method?: string;
  body?: unknown;
  /** A raw body sent as is (for malformed JSON). */
  rawBody?: string;
  /** Intercom-Version; `null` sends none. Default 1.4. */
  version?: string | null;
  /** The Authorization header; `null` sends none. Default `Bearer <TOKEN>`. */
  auth?: string | null;
  headers?: Record<string, string>;
}

export interface CallResult {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

export async function call(sandbox: Sandbox, path: string, options: CallOptions = {}): Promise<CallResult> {
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  const auth = options.auth === undefined ? `Bearer ${TOKEN}` : options.auth;
  if (auth !== null) headers.authorization = auth;
  const version = options.version === undefined ? '1.4' : options.version;
  if (version !== null) headers['intercom-version'] = version;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }
  const url = path.startsWith('http') ? path : `${sandbox.url}${path}`;
  const res = await fetch(url, { method: options.method ?? 'GET', headers, body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined, text };
}

/** The first error code of an `error.list` response. */
export function errorCode(result: CallResult): string | undefined {
  return result.body?.errors?.[0]?.code;
}

/** An injectable ms clock: `now` for the sandbox, `advance` and `state.now` for the test. */
export function clock(startMs = Date.UTC(2026, 0, 15, 12, 0, 0)) {
  const state = { now: startMs };
  const advance = (ms: number) => {
    state.now += ms;
  };
  return { state, now: () => state.now, advance };
}

export function start(options: SandboxOptions = {}): Promise<Sandbox> {
  return startSandbox({ token: TOKEN, quiet: true, ...options });
}
