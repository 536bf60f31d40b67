/**
 * What the benchmarks that run the whole local stack share: a clean environment (no real Intercom,
 * quiet logs, no metrics), the stack on free ports with the sandbox's webhooks off (so only the
 * benchmark's own work spends the budget), and the sandbox's accepted requests per rate window.
 */
import type { LocalStackOptions } from '../lib/local/stack.ts';

type Sandbox = NonNullable<import('../lib/local/stack.ts').LocalStack['sandbox']>;

export async function startBenchStack(
  options: LocalStackOptions = {},
  env: Record<string, string> = {},
  { webhooks = false }: { webhooks?: boolean } = {},
) {
  for (const key of ['INTERCOM_ACCESS_TOKEN', 'INTERCOM_BASE_URL', 'API_KEY']) delete process.env[key];
  Object.assign(process.env, {
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    // The whole budget is the benchmark's unless it says otherwise: no interactive share reserved.
    RATE_LIMIT_RESERVE: '0',
    ...env,
  });
  const { startLocalStack } = await import('../lib/local/stack.ts');
  const stack = await startLocalStack({ port: 0, sandboxPort: 0, ...options });
  if (!webhooks) await fetch(`${stack.sandboxUrl}/__sandbox/webhooks`, { method: 'DELETE' });
  return stack;
}

/** Waits for the start of a fresh window so runs begin alike; returns that window's start. */
export async function nextWindow(windowMs: number): Promise<number> {
  await new Promise((r) => setTimeout(r, windowMs - (Date.now() % windowMs) + 5));
  return Date.now() - (Date.now() % windowMs);
}

/**
 * Counts the requests Intercom accepted (200s) in each rate window from `windowStart` on, by
 * sampling the sandbox's counters at every window boundary.
 */
export function windowSampler(sandbox: Sandbox, windowStart: number, windowMs: number) {
  const accepted = () => sandbox.stats().responses['200'] ?? 0;
  const marks = [accepted()];
  let timer: NodeJS.Timeout;
  const schedule = () => {
    timer = setTimeout(
      () => {
        marks.push(accepted());
        schedule();
      },
      windowStart + marks.length * windowMs - Date.now(),
    );
  };
  schedule();
  return {
    /** Accepted requests per window, the last (partial) window included. */
    stop(): number[] {
      clearTimeout(timer);
      marks.push(accepted());
      return marks.slice(1).map((m, i) => m - marks[i]!);
    },
  };
}
