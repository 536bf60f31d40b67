/** Progress of a bulk job as one line of text: pure functions, so the rendering is testable without a terminal. */

export interface RateLimitHeadroom {
  limit: number;
  remaining: number;
}

export interface ProgressSnapshot {
  status: string;
  /** Items with an outcome (succeeded + failed). */
  done: number;
  total: number;
  failed: number;
  /** Undefined until two polls are apart in time. */
  itemsPerSecond: number | undefined;
  rateLimit: RateLimitHeadroom | null | undefined;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function percentOf(done: number, total: number): number {
  return total > 0 ? Math.min(100, (done / total) * 100) : 0;
}

/** Seconds until the remaining items are done at the measured rate; undefined while unknown. */
export function etaSeconds(snapshot: ProgressSnapshot): number | undefined {
  const left = Math.max(0, snapshot.total - snapshot.done);
  if (left === 0) return 0;
  const rate = snapshot.itemsPerSecond;
  return rate && rate > 0 ? left / rate : undefined;
}

function fields(snapshot: ProgressSnapshot): string[] {
  const parts = [
    `${snapshot.done.toLocaleString('en-US')}/${snapshot.total.toLocaleString('en-US')}`,
    `${percentOf(snapshot.done, snapshot.total).toFixed(1)}%`,
    snapshot.itemsPerSecond === undefined ? '- items/s' : `${snapshot.itemsPerSecond.toFixed(1)} items/s`,
  ];
  if (snapshot.failed > 0) parts.push(`${snapshot.failed.toLocaleString('en-US')} failed`);
  if (snapshot.rateLimit) parts.push(`rate ${snapshot.rateLimit.remaining}/${snapshot.rateLimit.limit} left`);
  const eta = etaSeconds(snapshot);
  parts.push(`ETA ${eta === undefined ? '?' : formatDuration(eta)}`);
  parts.push(snapshot.status);
  return parts;
}

export function renderBar(fraction: number, width: number): string {
  const inner = Math.max(0, width - 2);
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * inner);
  const head = filled > 0 && filled < inner ? '>' : '';
  return `[${'='.repeat(filled - head.length)}${head}${' '.repeat(inner - filled)}]`;
}

/** The live line for a terminal `columns` wide: a bar sized to what the numbers leave free. */
export function renderProgressLine(snapshot: ProgressSnapshot, columns: number): string {
  const text = fields(snapshot).join('  ');
  // One column is left free: writing into the last one makes some terminals wrap.
  const room = columns - 1 - text.length - 2;
  if (room < 12) return text.slice(0, Math.max(0, columns - 1));
  const bar = renderBar(percentOf(snapshot.done, snapshot.total) / 100, Math.min(room, 30));
  return `${bar}  ${text}`;
}

/** The line logged periodically when stderr is not a terminal (CI logs, pipes). */
export function renderProgressLog(snapshot: ProgressSnapshot): string {
  return `progress: ${fields(snapshot).join(', ')}`;
}

/** Items per second over the last few polls, so a burst or a rate-limit pause fades out of the figure. */
export class RateMeter {
  readonly #samples: { atMs: number; done: number }[] = [];
  readonly #keep: number;

  constructor(keep = 10) {
    this.#keep = Math.max(2, keep);
  }

  add(atMs: number, done: number): void {
    this.#samples.push({ atMs, done });
    if (this.#samples.length > this.#keep) this.#samples.shift();
  }

  itemsPerSecond(): number | undefined {
    const first = this.#samples[0];
    const last = this.#samples.at(-1);
    if (!first || !last || last.atMs <= first.atMs) return undefined;
    return Math.max(0, last.done - first.done) / ((last.atMs - first.atMs) / 1000);
  }
}
