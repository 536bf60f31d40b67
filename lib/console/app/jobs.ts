/** Bulk jobs: the list (filters, pages, live progress) and a job's page (counts, throughput, failures, retry). */
import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, query } from './api.ts';
import { usePoll } from './poll.ts';
import { ErrorNote, LiveControls, Pager, Status, time } from './ui.ts';

interface Job {
  jobId: string;
  operation: string;
  status: 'queued' | 'running' | 'completed' | 'completed_with_errors';
  total: number;
  succeeded: number;
  failed: number;
  pending: number;
  attempt: number;
  final: boolean;
  createdAt: string;
  updatedAt: string;
}
interface Throughput {
  windowSeconds: number;
  limit: number;
  budget: number;
  windows: Array<{ start: string; accepted: number }>;
}
interface Failure {
  index: number;
  attempt: number;
  error: { code: string; message: string; status?: number; intercomRequestId?: string };
  input: unknown;
}

const STATUSES = ['queued', 'running', 'completed', 'completed_with_errors'];
const moving = (job: Job) => job.status === 'queued' || job.status === 'running' || !job.final;

function Progress({ job }: { job: Job }) {
  const done = job.succeeded + job.failed;
  return html`<div class="progress">
    <progress max=${Math.max(1, job.total)} value=${done} aria-label=${`${job.jobId}: ${done} of ${job.total} done`}></progress>
    <span>${done} of ${job.total} done${job.failed ? `, ${job.failed} failed` : ''}</span>
  </div>`;
}

export function JobsPage() {
  const [status, setStatus] = useState('');
  const [operation, setOperation] = useState('');
  const [filters, setFilters] = useState({ status: '', operation: '' });
  const [cursors, setCursors] = useState<string[]>([]);
  const poll = usePoll(
    () =>
      api<{ jobs: Job[]; next: string | null }>(
        `/bulk/jobs${query({ ...filters, limit: 20, next: cursors.at(-1) })}`,
      ),
    [filters, cursors],
    // New jobs appear as they are submitted: the list stays live until paused.
    { keepGoing: () => true, intervalMs: 3_000 },
  );
  const marked = useRef(false);
  useEffect(() => {
    // How long from navigation to a rendered list: read by the browser tests (reported, not asserted).
    if (poll.data && !marked.current) {
      marked.current = true;
      performance.mark('console:jobs-rendered');
    }
  }, [poll.data]);
  const jobs = poll.data?.jobs ?? [];
  return html`<section>
    <h1 tabIndex="-1">Bulk jobs</h1>
    <form class="filters" onSubmit=${(e: Event) => {
      e.preventDefault();
      setCursors([]);
      setFilters({ status, operation: operation.trim() });
    }}>
      <label>Status
        <select value=${status} onChange=${(e: Event) => setStatus((e.target as HTMLSelectElement).value)}>
          <option value="">Any</option>
          ${STATUSES.map((s) => html`<option value=${s}>${s.replaceAll('_', ' ')}</option>`)}
        </select>
      </label>
      <label>Operation
        <input value=${operation} placeholder="e.g. tag_users" onInput=${(e: Event) => setOperation((e.target as HTMLInputElement).value)} />
      </label>
      <button type="submit">Apply filters</button>
    </form>
    <${LiveControls} poll=${poll} live=${true} />
    <${ErrorNote} error=${poll.error} />
    ${
      poll.data && jobs.length === 0
        ? html`<p id="jobs-empty">No jobs${filters.status || filters.operation ? ' match these filters on this page' : ''}.</p>`
        : html`<table id="jobs">
      <caption class="visually-hidden">Bulk jobs, newest first</caption>
      <thead><tr><th scope="col">Job</th><th scope="col">Operation</th><th scope="col">Status</th><th scope="col">Progress</th><th scope="col">Created</th></tr></thead>
      <tbody>
        ${jobs.map(
          (job) => html`<tr data-job=${job.jobId} data-status=${job.status}>
          <td><a href=${`#/jobs/${job.jobId}`}>${job.jobId}</a></td>
          <td>${job.operation}</td>
          <td><${Status} value=${job.status} /></td>
          <td><${Progress} job=${job} /></td>
          <td>${time(job.createdAt)}</td>
        </tr>`,
        )}
      </tbody>
    </table>`
    }
    <${Pager} cursors=${cursors} next=${poll.data?.next} onPage=${setCursors} />
  </section>`;
}

/** Requests per rate window (bars) against the bulk budget (the dashed line), oldest window first. */
export function ThroughputChart({ data }: { data: Throughput }) {
  const windowMs = data.windowSeconds * 1000;
  const windows = data.windows.map((w) => ({ at: Date.parse(w.start), accepted: w.accepted }));
  if (windows.length === 0) return html`<p id="throughput-empty">No requests recorded yet.</p>`;
  const first = windows[0]!.at;
  // One slot per window from the first to the last (idle windows are empty slots), the last 120 at
  // most, and 30 at least (five minutes at 10 s), so that one window is a bar, not the whole chart.
  const slots = Math.max(30, Math.min(120, Math.round((windows.at(-1)!.at - first) / windowMs) + 1));
  const start = windows.at(-1)!.at - (slots - 1) * windowMs;
  const peak = Math.max(...windows.map((w) => w.accepted));
  const top = Math.max(peak, data.budget) * 1.1;
  const width = 600;
  const height = 160;
  const slotWidth = width / slots;
  const y = (value: number) => height - (value / top) * height;
  // A window with requests is never invisible, however small beside the budget.
  const barTop = (value: number) => Math.min(y(value), height - 2);
  const label = `Requests per ${data.windowSeconds}-second window: peak ${peak}, budget ${data.budget} (Intercom's limit ${data.limit}).`;
  return html`<figure class="chart">
    <svg viewBox=${`0 0 ${width} ${height + 20}`} role="img" aria-labelledby="chart-title">
      <title id="chart-title">${label}</title>
      ${windows
        .filter((w) => w.at >= start)
        .map((w) => {
          const x = ((w.at - start) / windowMs) * slotWidth;
          return html`<rect class="bar" x=${x + 1} y=${barTop(w.accepted)} width=${Math.max(1, slotWidth - 2)} height=${height - barTop(w.accepted)}>
            <title>${`${new Date(w.at).toLocaleTimeString()}: ${w.accepted} requests`}</title>
          </rect>`;
        })}
      <line class="budget" x1="0" x2=${width} y1=${y(data.budget)} y2=${y(data.budget)} stroke-dasharray="6 4" />
      <text class="budget-label" x="4" y=${Math.max(12, y(data.budget) - 4)}>${`budget ${data.budget} / ${data.windowSeconds} s`}</text>
    </svg>
    <figcaption>${label} ${windows.length} window(s) with requests.</figcaption>
  </figure>`;
}

function groupByCode(failures: Failure[]): Array<[string, Failure[]]> {
  const groups = new Map<string, Failure[]>();
  for (const failure of failures) {
    const code = failure.error?.code ?? 'unknown';
    groups.set(code, [...(groups.get(code) ?? []), failure]);
  }
  return [...groups].sort((a, b) => b[1].length - a[1].length);
}

function RetryDialog({
  job,
  failures,
  onDone,
}: {
  job: Job;
  failures: Failure[];
  onDone: (message: string) => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | undefined>(undefined);
  const unknown = failures.filter((f) => f.error?.code === 'outcome_unknown').length;
  const confirm = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const result = await api<{ attempt: number; requeued: number }>(
        `/bulk/jobs/${job.jobId}/retry-failed`,
        'POST',
      );
      dialog.current?.close();
      onDone(`Attempt ${result.attempt} started: ${result.requeued} item(s) queued again.`);
    } catch (failure) {
      setError(failure as Error);
    } finally {
      setBusy(false);
    }
  };
  return html`<div>
    <button type="button" id="retry" onClick=${() => dialog.current?.showModal()}>Retry failed (${job.failed})</button>
    <dialog ref=${dialog} aria-labelledby="retry-title" aria-describedby="retry-text">
      <h2 id="retry-title">Retry ${job.failed} failed item(s)?</h2>
      <div id="retry-text">
        <p>The ${job.failed} failed item(s) of ${job.operation} are queued again as attempt ${job.attempt + 1}; items that succeeded are not run again.</p>
        <p class="warning"><strong>Warning:</strong> a write that is not idempotent (a note, a message, a reply, an event, a conversion) runs again too: if its first try reached Intercom, it happens twice.${
          unknown
            ? ` ${unknown} of these failed with outcome_unknown: their first try may have reached Intercom.`
            : ''
        }</p>
      </div>
      <${ErrorNote} error=${error} />
      <div class="dialog-actions">
        <button type="button" id="retry-confirm" disabled=${busy} onClick=${confirm}>Retry ${job.failed} item(s)</button>
        <button type="button" onClick=${() => dialog.current?.close()}>Cancel</button>
      </div>
    </dialog>
  </div>`;
}

interface JobDetail {
  job: Job;
  throughput: Throughput;
  failures: Failure[];
}

export function JobPage({ jobId }: { jobId: string }) {
  const [notice, setNotice] = useState('');
  const seen = useRef<{ key: string; failures: Failure[] }>({ key: '', failures: [] });
  // One request at a time: the job, then its throughput, then its failures when they changed.
  const poll = usePoll<JobDetail>(
    async () => {
      const job = await api<Job>(`/bulk/jobs/${jobId}`);
      const throughput = await api<Throughput>(`/bulk/jobs/${jobId}/throughput`);
      const key = `${job.attempt}:${job.failed}:${job.status}`;
      if (job.failed > 0 && key !== seen.current.key) {
        const page = await api<{ failures: Failure[] }>(`/bulk/jobs/${jobId}/failures?limit=200`);
        seen.current = { key, failures: page.failures };
      } else if (job.failed === 0) seen.current = { key, failures: [] };
      return { job, throughput, failures: seen.current.failures };
    },
    [jobId],
    { keepGoing: (d) => moving(d.job) },
  );
  const detail = poll.data;
  const job = detail?.job;
  return html`<section>
    <p><a href="#/jobs">All jobs</a></p>
    <h1 tabIndex="-1">Job ${jobId}</h1>
    <${LiveControls} poll=${poll} live=${job ? moving(job) : false} />
    <${ErrorNote} error=${poll.error} />
    ${notice ? html`<p role="status" class="notice">${notice}</p>` : null}
    ${
      job &&
      html`<div>
      <p id="job-status" data-status=${job.status} data-attempt=${job.attempt}>
        <${Status} value=${job.status} /> · ${job.operation} · attempt ${job.attempt}${job.final ? '' : ' · open for more chunks'}
      </p>
      <${Progress} job=${job} />
      <h2>Items by state</h2>
      <dl class="counts">
        <div><dt>Total</dt><dd>${job.total}</dd></div>
        <div><dt>Succeeded</dt><dd id="count-succeeded">${job.succeeded}</dd></div>
        <div><dt>Failed</dt><dd id="count-failed">${job.failed}</dd></div>
        <div><dt>Pending</dt><dd>${job.pending}</dd></div>
      </dl>
      <p class="muted">Created ${time(job.createdAt)}, updated ${time(job.updatedAt)}.</p>
      <h2>Throughput against the rate budget</h2>
      <${ThroughputChart} data=${detail!.throughput} />
      <h2>Failures by error code</h2>
      ${
        job.status === 'completed_with_errors'
          ? html`<${RetryDialog} job=${job} failures=${detail!.failures} onDone=${(m: string) => {
              setNotice(m);
              poll.refresh();
            }} />`
          : null
      }
      ${job.failed === 0 ? html`<p>No failures.</p>` : null}
      ${groupByCode(detail!.failures).map(
        ([code, items]) => html`<details open class="failures" data-code=${code}>
          <summary><strong>${code}</strong> (${items.length})</summary>
          <table>
            <thead><tr><th scope="col">Item</th><th scope="col">Attempt</th><th scope="col">Message</th><th scope="col">Input</th></tr></thead>
            <tbody>
              ${items.map(
                (f) => html`<tr>
                <td>${f.index}</td>
                <td>${f.attempt}</td>
                <td>${f.error.message}${f.error.intercomRequestId ? html`<br /><span class="muted">Intercom request ${f.error.intercomRequestId}</span>` : null}</td>
                <td><pre>${JSON.stringify(f.input, null, 2)}</pre></td>
              </tr>`,
              )}
            </tbody>
          </table>
        </details>`,
      )}
    </div>`
    }
  </section>`;
}
