/**
 * `npm run bench`: runs every benchmark below in order, prints each one's markdown table, and writes
 * all results to bench/results/latest.json. `npm run bench -- client-throughput` runs only the named
 * ones. A missed goal is reported in the table, never as an exit code; only a crash fails the run.
 *
 * To add a benchmark: a module in bench/ exporting `run(): Promise<BenchResult>`, listed here.
 */
import { fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import type { BenchResult } from './cold-start.ts';

export interface BenchModule {
  run(): Promise<BenchResult>;
}

// Lazy, so a process loads only the benchmark it runs (esbuild, the SDK, ...).
const BENCHMARKS: Record<string, () => Promise<BenchModule>> = {
  'client-throughput': () => import('./client-throughput.ts'),
  'warm-overhead': () => import('./warm-overhead.ts'),
  'cold-start': () => import('./cold-start.ts'),
  'bulk-throughput': () => import('./bulk-throughput.ts'),
  'bulk-costs': () => import('./bulk-costs.ts'),
  'shared-budget': () => import('./shared-budget.ts'),
  'bulk-simulation': () => import('./bulk-simulation.ts'),
  'bulk-large': () => import('./bulk-large.ts'),
  'webhook-burst': () => import('./webhook-burst.ts'),
  exports: () => import('./exports.ts'),
};

type Outcome = BenchResult | { error: string };

/**
 * Each benchmark runs in a fresh process: JIT and heap state, and the globals some of them patch
 * (env, stdout), would otherwise carry over and make the numbers depend on the order.
 */
function runIsolated(name: string): Promise<Outcome> {
  const child = fork(new URL(import.meta.url), ['--child', name], { stdio: 'inherit' });
  return new Promise((resolve) => {
    let outcome: Outcome | undefined;
    child.on('message', (message) => {
      outcome = message as Outcome;
    });
    child.on('exit', (code, signal) => {
      resolve(outcome ?? { error: `the benchmark process exited (${signal ?? code}) without a result` });
    });
  });
}

async function child(name: string): Promise<void> {
  let outcome: Outcome;
  try {
    outcome = await (await BENCHMARKS[name]!()).run();
  } catch (error) {
    outcome = { error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
  process.send!(outcome, () => {
    process.disconnect();
    // A handle a benchmark forgot to close must not hang the run; report it, then stop anyway.
    setTimeout(() => {
      console.error(`${name}: still running 5 s after its result (an open handle); exiting`);
      process.exit(0);
    }, 5_000).unref();
  });
}

async function main(requested: string[]): Promise<void> {
  const unknown = requested.filter((name) => !(name in BENCHMARKS));
  if (unknown.length > 0) {
    console.error(
      `Unknown benchmark(s): ${unknown.join(', ')} (known: ${Object.keys(BENCHMARKS).join(', ')})`,
    );
    process.exitCode = 2;
    return;
  }
  const names = requested.length > 0 ? requested : Object.keys(BENCHMARKS);
  const results: Record<string, Outcome> = {};
  for (const name of names) {
    const started = performance.now();
    const outcome = await runIsolated(name);
    results[name] = outcome;
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    if ('error' in outcome) {
      // One broken benchmark should not cost the others' numbers.
      console.error(`## ${name} failed\n\n${outcome.error}\n`);
      process.exitCode = 1;
    } else {
      console.log(`## ${outcome.title}\n\n${outcome.markdown}\n\n(${name}: ${seconds} s)\n`);
    }
  }
  const dir = new URL('./results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  const file = new URL('latest.json', dir);
  const report = {
    date: new Date().toISOString(),
    node: process.versions.node,
    platform: `${process.platform}-${process.arch}`,
    cpu: cpus()[0]?.model,
    cores: availableParallelism(),
    benchmarks: results,
  };
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`Results written to ${file.pathname}`);
}

const [flag, name] = process.argv.slice(2);
if (flag === '--child' && name) await child(name);
else await main(process.argv.slice(2));
