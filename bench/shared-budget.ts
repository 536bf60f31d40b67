/**
 * The app's rate budget shared with another client: a bulk job of upserts (create_update_user)
 * through the whole local stack (HTTP intake, SQS emulator, worker, DynamoDB emulator, rate governor
 * with its default 10% interactive reserve) beside a second client of the same app that spends 40% of
 * the budget straight against the sandbox, (a) evenly through each window, (b) in a burst at each
 * window's start, never retrying a 429. The other client starts one window before the job (it was
 * there first) and stops when the job is done.
 * Goals: < 1% 429s for the job, < 2% for the other client, >= 0.85 of the budget spent by the two.
 * `BENCH_PER_WINDOW` (default 1,667, Intercom's private-app limit per 10 s) and `BENCH_ITEMS`
 * (default 3,000) change the setting.
 */
import type { BenchResult } from './cold-start.ts';
import { nextWindow, startBenchStack, windowSampler } from './local-stack.ts';

const PER_WINDOW = Number(process.env.BENCH_PER_WINDOW) || 1_667;
const ITEMS = Number(process.env.BENCH_ITEMS) || 3_000;
const WINDOW_SECONDS = 10;
const WINDOW_MS = WINDOW_SECONDS * 1000;
const OTHER_SHARE = 0.4;
/** Requests the other client keeps in flight at most (its burst drains at this many at a time). */
const OTHER_CONCURRENCY = 64;
/** Intercom-like answer times. */
const LATENCY = { baseMs: 60, jitterMs: 30 };

type Sandbox = NonNullable<import('../lib/local/stack.ts').LocalStack['sandbox']>;
type Mode = 'steady' | 'burst';

interface OtherTally {
  /** Accepted (200) requests per window start. */
  accepted: Map<number, number>;
  refused: number;
  sent: number;
  failed: number;
}

/** Waits for the start of a fresh window; returns that window's start. */
/**
 * The other client: `perWindow` requests per window from `firstWindow` on, due evenly through the
 * window or all at its start, sent by a pool of `OTHER_CONCURRENCY`, never retried. Each answer's
 * `X-RateLimit-Reset` tells the window Intercom counted it in.
 */
function otherClient(sandboxUrl: string, token: string, mode: Mode, firstWindow: number) {
  const perWindow = Math.round(PER_WINDOW * OTHER_SHARE);
  const tally: OtherTally = { accepted: new Map(), refused: 0, sent: 0, failed: 0 };
  let stopped = false;
  let k = 0;
  /** When the k-th request is due. */
  const due = (n: number) => {
    const window = firstWindow + Math.floor(n / perWindow) * WINDOW_MS;
    return mode === 'burst' ? window : window + ((n % perWindow) * WINDOW_MS) / perWindow;
  };
  const headers = { authorization: `Bearer ${token}`, accept: 'application/json' };
  const worker = async () => {
    while (!stopped) {
      const wait = due(k) - Date.now();
      if (wait > 0) {
        await new Promise((r) => setTimeout(r, Math.min(wait, 50)));
        continue;
      }
      k++;
      tally.sent++;
      try {
        const res = await fetch(`${sandboxUrl}/me`, { headers });
        await res.arrayBuffer();
        if (res.status === 429) tally.refused++;
        else if (res.status === 200) {
          const window = Number(res.headers.get('x-ratelimit-reset')) * 1000 - WINDOW_MS;
          tally.accepted.set(window, (tally.accepted.get(window) ?? 0) + 1);
        } else tally.failed++;
      } catch {
        tally.failed++;
      }
    }
  };
  const pool = Array.from({ length: OTHER_CONCURRENCY }, worker);
  return {
    tally,
    async stop() {
      stopped = true;
      await Promise.all(pool);
    },
  };
}

async function runMode(
  mode: Mode,
  stack: import('../lib/local/stack.ts').LocalStack,
  sandbox: Sandbox,
  token: string,
) {
  const prefix = `share-${mode}`;
  const headers = { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json' };
  const warmup = await nextWindow(WINDOW_MS);
  const sampler = windowSampler(sandbox, warmup, WINDOW_MS);
  const other = otherClient(stack.sandboxUrl!, token, mode, warmup);
  // The job starts one window later, the other client already spending.
  await new Promise((r) => setTimeout(r, warmup + WINDOW_MS - Date.now()));
  const jobStart = warmup + WINDOW_MS;
  const before = sandbox.stats();
  const usersBefore = before.objects.users;
  const started = performance.now();
  let jobId: string | undefined;
  for (let offset = 0; offset < ITEMS; offset += 1000) {
    const items = Array.from({ length: Math.min(1000, ITEMS - offset) }, (_, i) => ({
      body: { user_id: `${prefix}-${offset + i}`, email: `${prefix}-${offset + i}@example.com` },
    }));
    const res = await fetch(`${stack.url}/bulk/create_update_user`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ items, ...(jobId ? { jobId, offset } : {}), final: offset + 1000 >= ITEMS }),
    });
    const body = (await res.json()) as { jobId: string };
    if (res.status !== 202) throw new Error(`submit failed: ${res.status} ${JSON.stringify(body)}`);
    jobId = body.jobId;
  }
  let job: { status: string; succeeded: number; failed: number };
  for (;;) {
    job = (await (await fetch(`${stack.url}/bulk/jobs/${jobId}`, { headers })).json()) as typeof job;
    if (job.status === 'completed' || job.status === 'completed_with_errors') break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const seconds = (performance.now() - started) / 1000;
  const jobEnd = Date.now();
  await other.stop();
  const total = sampler.stop();
  const after = sandbox.stats();
  const othersIn = (start: number) => other.tally.accepted.get(start) ?? 0;
  // Per window from the job's start: both clients' accepted requests, the other's, the job's.
  const windows = total.slice(1).map((both, i) => {
    const start = jobStart + i * WINDOW_MS;
    return { start, both, other: othersIn(start), job: both - othersIn(start) };
  });
  // Full windows: those the job ran through to the end (its last, partial one left out).
  const full = windows.filter((w) => w.start + WINDOW_MS <= jobEnd);
  const share = (f: (w: (typeof windows)[number]) => number) =>
    full.length > 0 ? full.reduce((a, w) => a + f(w), 0) / (full.length * PER_WINDOW) : Number.NaN;
  const delta = (key: string) => (after.responses[key] ?? 0) - (before.responses[key] ?? 0);
  const jobRequests = (after.requests['POST /users'] ?? 0) - (before.requests['POST /users'] ?? 0);
  // The other client's 429s over the job's run: all of them (none come before the job starts).
  const jobRefused = delta('429') - other.tally.refused;
  return {
    mode,
    seconds,
    succeeded: job.succeeded,
    failed: job.failed,
    created: after.objects.users - usersBefore,
    warmupWindow: total[0] ?? 0,
    perWindow: windows.map((w) => `${w.job}+${w.other}`),
    jobRequests,
    jobRefused,
    jobRefusedShare: jobRefused / Math.max(1, jobRequests),
    otherSent: other.tally.sent,
    otherRefused: other.tally.refused,
    otherFailed: other.tally.failed,
    otherRefusedShare: other.tally.refused / Math.max(1, other.tally.sent),
    fullWindows: full.length,
    togetherFraction: share((w) => w.both),
    jobFraction: share((w) => w.job),
    otherFraction: share((w) => w.other),
  };
}

export async function run(): Promise<BenchResult> {
  // Interactive calls keep their default 10%.
  const stack = await startBenchStack({ bulk: { maxConcurrency: 2 } }, { RATE_LIMIT_RESERVE: '0.1' });
  try {
    const sandbox = stack.sandbox!;
    sandbox.configure({
      rateLimit: { perWindow: PER_WINDOW, windowSeconds: WINDOW_SECONDS },
      latency: LATENCY,
    });
    const token = process.env.INTERCOM_ACCESS_TOKEN!;
    const rows = [];
    for (const mode of ['steady', 'burst'] as const) rows.push(await runMode(mode, stack, sandbox, token));
    const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
    const markdown = [
      `${ITEMS} upserts (create_update_user) as a bulk job (10% reserve) beside another client spending ${OTHER_SHARE * 100}% of the budget (${Math.round(PER_WINDOW * OTHER_SHARE)} GET /me per window, no retries); sandbox limit ${PER_WINDOW} per ${WINDOW_SECONDS}-s window, answers after ${LATENCY.baseMs}±${LATENCY.jitterMs} ms. Goals: job < 1% 429s, other client < 2%, together >= 0.85 of the budget.`,
      '',
      '| other client | seconds | accepted per window from the job start (job+other) | job: 429s (share) | other: 429s (share) | together: fraction of the budget (full windows) | job alone | other alone | lost / failed |',
      '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...rows.map(
        (r) =>
          `| ${r.mode === 'steady' ? 'steady (evenly through each window)' : 'burst at each window start'} | ${r.seconds.toFixed(1)} | ${r.perWindow.join(' / ')} | ${r.jobRefused} of ${r.jobRequests} (${pct(r.jobRefusedShare)}) | ${r.otherRefused} of ${r.otherSent} (${pct(r.otherRefusedShare)}) | **${r.togetherFraction.toFixed(3)}** (${r.fullWindows}) | ${r.jobFraction.toFixed(3)} | ${r.otherFraction.toFixed(3)} | ${ITEMS - r.created} / ${r.failed} |`,
      ),
    ].join('\n');
    return { title: 'Bulk job sharing the budget with another client', markdown, results: rows };
  } finally {
    await stack.close();
  }
}
