/**
 * Bulk throughput against Intercom's rate limit, through the whole local stack (HTTP intake, SQS
 * emulator, worker, DynamoDB emulator, rate governor):
 * - 1,500 upserts against the sandbox limited to 300 requests per 10-second window, answering at
 *   once, side by side with a naive loop that sends the same items with the SDK-style "sleep until
 *   the reset on 429, at most 3 retries";
 * - 5,000 upserts at today's default private-app budget (10,000/min = 1,667 per 10 s) with the
 *   sandbox answering in 200 +/- 50 ms, as Intercom does over the internet.
 * Goal: >= 0.90 of the budget (bar 0.75 at the real budget), under 1% 429s, nothing lost or duplicated.
 */
import type { BenchResult } from './cold-start.ts';
import { nextWindow, startBenchStack, windowSampler } from './local-stack.ts';

const WINDOW_SECONDS = 10;
const WINDOW_MS = WINDOW_SECONDS * 1000;

/** Without the empty windows after the run's last request. */
function trimmed(perWindow: number[]): number[] {
  const out = [...perWindow];
  while (out.length > 1 && out.at(-1) === 0) out.pop();
  return out;
}

/** One rate-limit setting of the sandbox and the job run against it. */
interface Setting {
  items: number;
  perWindow: number;
  latency: { baseMs: number; jitterMs: number } | null;
}
const TOY: Setting = { items: 1_500, perWindow: 300, latency: null };
const REAL: Setting = { items: 5_000, perWindow: 1_667, latency: { baseMs: 200, jitterMs: 50 } };
const NAIVE_CONCURRENCY = 10;

interface Run {
  name: string;
  setting: Setting;
  /** Until the sender knew it was done (the job's status said so, or the loop returned). */
  seconds: number;
  /** Requests Intercom accepted in each rate window the run sent requests in, the last one partial. */
  perWindow: number[];
  succeeded: number;
  lost: number;
  duplicated: number;
  rateLimited: number;
  requests: number;
}

type Sandbox = NonNullable<import('../lib/local/stack.ts').LocalStack['sandbox']>;

type Stats = ReturnType<Sandbox['stats']>;

/**
 * What a run did, from the sandbox's counters (its request log keeps only the last 1,000): every
 * item is a distinct user, so new users = items applied, and a 200 beyond them would be a duplicate.
 */
function tally(before: Stats, after: Stats, items: number) {
  const delta = (a: Record<string, number>, b: Record<string, number>, key: string) =>
    (b[key] ?? 0) - (a[key] ?? 0);
  const created = after.objects.users - before.objects.users;
  return {
    succeeded: created,
    lost: items - created,
    duplicated: delta(before.responses, after.responses, '200') - created,
    rateLimited: delta(before.responses, after.responses, '429'),
    requests: delta(before.requests, after.requests, 'POST /users'),
  };
}

async function bulkRun(url: string, apiKey: string, sandbox: Sandbox, setting: Setting): Promise<Run> {
  const ITEMS = setting.items;
  const prefix = `bulk-${setting.perWindow}`;
  const items = Array.from({ length: ITEMS }, (_, i) => ({
    body: { user_id: `${prefix}-${i}`, email: `${prefix}-${i}@example.com` },
  }));
  const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
  const windowStart = await nextWindow(WINDOW_MS);
  const sampler = windowSampler(sandbox, windowStart, WINDOW_MS);
  const before = sandbox.stats();
  const started = performance.now();
  let jobId: string | undefined;
  for (let offset = 0; offset < ITEMS; offset += 1000) {
    const chunk = items.slice(offset, offset + 1000);
    const res = await fetch(`${url}/bulk/create_update_user`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        items: chunk,
        ...(jobId ? { jobId, offset } : {}),
        final: offset + 1000 >= ITEMS,
      }),
    });
    const body = (await res.json()) as { jobId: string };
    if (res.status !== 202) throw new Error(`submit failed: ${res.status} ${JSON.stringify(body)}`);
    jobId = body.jobId;
  }
  for (;;) {
    const job = (await (await fetch(`${url}/bulk/jobs/${jobId}`, { headers })).json()) as { status: string };
    if (job.status === 'completed' || job.status === 'completed_with_errors') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    name: `intercom-actions bulk job, ${setting.perWindow}/${WINDOW_SECONDS} s${setting.latency ? `, Intercom answering in ${setting.latency.baseMs} +/- ${setting.latency.jitterMs} ms` : ''}`,
    setting,
    seconds,
    perWindow: trimmed(sampler.stop()),
    ...tally(before, sandbox.stats(), ITEMS),
  };
}

/** What most integrations do: a pool of requests, and on a 429 sleep until the reset and retry (3 times). */
async function naiveRun(sandboxUrl: string, token: string, sandbox: Sandbox, setting: Setting): Promise<Run> {
  const ITEMS = setting.items;
  const windowStart = await nextWindow(WINDOW_MS);
  const sampler = windowSampler(sandbox, windowStart, WINDOW_MS);
  const before = sandbox.stats();
  const started = performance.now();
  let next = 0;
  const send = async (i: number) => {
    for (let attempt = 0; attempt <= 3; attempt++) {
      const res = await fetch(`${sandboxUrl}/users`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          accept: 'application/json',
        },
        body: JSON.stringify({ user_id: `naive-${i}`, email: `naive-${i}@example.com` }),
      });
      await res.arrayBuffer();
      if (res.status !== 429) return;
      const reset = Number(res.headers.get('x-ratelimit-reset')) * 1000;
      await new Promise((r) => setTimeout(r, Math.max(0, reset - Date.now())));
    }
  };
  await Promise.all(
    Array.from({ length: NAIVE_CONCURRENCY }, async () => {
      while (next < ITEMS) await send(next++);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    name: `naive loop (${NAIVE_CONCURRENCY} in flight, sleep to reset on 429, 3 retries), ${setting.perWindow}/${WINDOW_SECONDS} s`,
    setting,
    seconds,
    perWindow: trimmed(sampler.stop()),
    ...tally(before, sandbox.stats(), ITEMS),
  };
}

export async function run(): Promise<BenchResult> {
  // The worker's concurrency sized as `npm start` sizes it, for the real budget's Intercom latency.
  const stack = await startBenchStack({ bulk: { intercomLatencyMs: REAL.latency!.baseMs } });
  try {
    const sandbox = stack.sandbox!;
    const configure = (setting: Setting) =>
      sandbox.configure({
        rateLimit: { perWindow: setting.perWindow, windowSeconds: WINDOW_SECONDS },
        latency: setting.latency,
      });
    configure(TOY);
    const runs = [
      await bulkRun(stack.url, stack.apiKey, sandbox, TOY),
      await naiveRun(stack.sandboxUrl!, process.env.INTERCOM_ACCESS_TOKEN!, sandbox, TOY),
    ];
    configure(REAL);
    runs.push(await bulkRun(stack.url, stack.apiKey, sandbox, REAL));
    // Both runs start on a window boundary; the budget they had is that of every window they sent
    // requests in (a fixed-window limit lets a burst at each window start finish early: items/s
    // alone would flatter it).
    // Two views of "how much of the budget": over every window the run touched, whole (a run that
    // ends 0.1 s into a window is charged all of it), and over its full windows only (the last one's
    // remainder is left to other work: what the job spends while it runs).
    const rows = runs.map((r) => {
      const windows = r.perWindow.length;
      const full = r.perWindow.slice(0, -1);
      return {
        ...r,
        windows,
        throughput: r.succeeded / r.seconds,
        fraction: r.succeeded / (windows * r.setting.perWindow),
        fullWindowFraction:
          full.length > 0
            ? full.reduce((a, b) => a + b, 0) / (full.length * r.setting.perWindow)
            : Number.NaN,
        rateLimitedShare: r.rateLimited / r.requests,
      };
    });
    const markdown = [
      `Upserts (create_update_user): ${TOY.items} at ${TOY.perWindow} per ${WINDOW_SECONDS}-s window (Intercom answering at once), ${REAL.items} at ${REAL.perWindow} per ${WINDOW_SECONDS} s (10,000/min) with Intercom answering in ${REAL.latency!.baseMs} +/- ${REAL.latency!.jitterMs} ms; goal >= 0.90 of the budget (bar 0.75 at the real budget), < 1% 429s, 0 lost, 0 duplicated.`,
      '',
      '| sender | seconds (until done) | windows with requests | accepted per window | items/s | fraction of the budget: those windows, whole | full windows only | 429s (share of requests) | lost | duplicated |',
      '| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...rows.map(
        (r) =>
          `| ${r.name} | ${r.seconds.toFixed(1)} | ${r.windows} | ${r.perWindow.join(' / ')} | ${r.throughput.toFixed(1)} | ${r.fraction.toFixed(3)} | ${r.fullWindowFraction.toFixed(3)} | ${r.rateLimited} (${(r.rateLimitedShare * 100).toFixed(2)}%) | ${r.lost} | ${r.duplicated} |`,
      ),
    ].join('\n');
    return { title: 'Bulk throughput under the rate limit', markdown, results: rows };
  } finally {
    await stack.close();
  }
}
