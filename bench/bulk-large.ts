/**
 * A 100,000-item job as a user would send it: the CLI (`intercom-actions bulk create_update_user
 * --file items.jsonl --no-wait`, its own process) against the local stack, the sandbox without rate
 * limit or latency. Reports the intake time (the CLI's, from the first chunk to the last), the
 * stack's memory (RSS of this process, which holds the stack and its emulator thread) over the run,
 * and the job status endpoint's latency while the job runs (one call a second).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './cold-start.ts';
import { startBenchStack } from './local-stack.ts';

const ITEMS = Number(process.env.BENCH_LARGE_ITEMS) || 100_000;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const bin = fileURLToPath(new URL('../bin/intercom-actions.ts', import.meta.url));
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [bin, ...args], { env, maxBuffer: 16 * 2 ** 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`CLI failed: ${error.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

export async function run(): Promise<BenchResult> {
  const dir = await mkdtemp(join(tmpdir(), 'intercom-actions-large-'));
  const stack = await startBenchStack();
  try {
    const sandbox = stack.sandbox!;
    sandbox.configure({ rateLimit: { perWindow: 10_000_000, windowSeconds: 10 } });
    const file = join(dir, 'items.jsonl');
    const lines: string[] = [];
    for (let i = 0; i < ITEMS; i++)
      lines.push(JSON.stringify({ body: { user_id: `large-${i}`, email: `large-${i}@example.com` } }));
    await writeFile(file, `${lines.join('\n')}\n`);

    const rss: number[] = [];
    const sampleRss = () => rss.push(process.memoryUsage().rss / 2 ** 20);
    sampleRss();
    const rssTimer = setInterval(sampleRss, 1_000);
    const usersBefore = sandbox.stats().objects.users;
    const started = performance.now();
    const out = await runCli(
      ['bulk', 'create_update_user', '--file', file, '--no-wait', '--url', stack.url, '--key', stack.apiKey],
      { ...process.env, NO_COLOR: '1' },
    );
    const submitted = JSON.parse(out) as { jobId: string; accepted: number; seconds: number };
    const intakeSeconds = (performance.now() - started) / 1000;
    const headers = { authorization: `Bearer ${stack.apiKey}` };
    const latencies: number[] = [];
    let job: { status: string; succeeded: number; failed: number };
    for (;;) {
      const t = performance.now();
      job = (await (
        await fetch(`${stack.url}/bulk/jobs/${submitted.jobId}`, { headers })
      ).json()) as typeof job;
      latencies.push(performance.now() - t);
      if (job.status === 'completed' || job.status === 'completed_with_errors') break;
      await new Promise((r) => setTimeout(r, 1_000));
    }
    const seconds = (performance.now() - started) / 1000;
    clearInterval(rssTimer);
    sampleRss();
    const sorted = [...latencies].sort((a, b) => a - b);
    const created = sandbox.stats().objects.users - usersBefore;
    const row = {
      items: ITEMS,
      accepted: submitted.accepted,
      intakeSeconds,
      cliSeconds: submitted.seconds,
      seconds,
      itemsPerSecond: ITEMS / seconds,
      succeeded: job.succeeded,
      failed: job.failed,
      lost: ITEMS - created,
      rssStartMb: rss[0]!,
      rssPeakMb: Math.max(...rss),
      rssEndMb: rss.at(-1)!,
      statusCalls: latencies.length,
      statusP50Ms: percentile(sorted, 50),
      statusP99Ms: percentile(sorted, 99),
      statusMaxMs: sorted.at(-1)!,
    };
    const markdown = [
      `${ITEMS.toLocaleString('en')} upserts submitted with the CLI (\`bulk create_update_user --file items.jsonl --no-wait\`, chunks of 1,000) to the local stack, sandbox without rate limit or latency.`,
      '',
      '| measure | value |',
      '| --- | ---: |',
      `| intake (CLI, whole file), s | ${intakeSeconds.toFixed(1)} |`,
      `| job done after, s | ${seconds.toFixed(0)} (${row.itemsPerSecond.toFixed(0)} items/s) |`,
      `| succeeded / failed / lost | ${job.succeeded} / ${job.failed} / ${row.lost} |`,
      `| stack RSS start / peak / end, MB | ${row.rssStartMb.toFixed(0)} / ${row.rssPeakMb.toFixed(0)} / ${row.rssEndMb.toFixed(0)} |`,
      `| status endpoint while running: p50 / p99 / max, ms (${latencies.length} calls) | ${row.statusP50Ms.toFixed(1)} / ${row.statusP99Ms.toFixed(1)} / ${row.statusMaxMs.toFixed(1)} |`,
    ].join('\n');
    return { title: 'A 100,000-item job through the CLI', markdown, results: [row] };
  } finally {
    await stack.close();
    await rm(dir, { recursive: true, force: true });
  }
}
