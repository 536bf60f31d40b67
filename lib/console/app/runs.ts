/** Automation runs: the filtered run log and one run's detail (its trigger, each action's outcome). */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api, query } from './api.ts';
import { usePoll } from './poll.ts';
import { ErrorNote, LiveControls, Pager, Status, time } from './ui.ts';

interface ActionResult {
  operation: string;
  status: string;
  error?: { code: string; message: string };
  intercomRequestId?: string;
  durationMs?: number;
}
interface Run {
  notificationId: string;
  topic: string;
  workspace: string;
  objectKey: string;
  receivedAt: number;
  finishedAt: number;
  outcome: string;
  rules: Array<{ rule: string; status: 'ran' | 'skipped'; reason?: string; actions: ActionResult[] }>;
}

const OUTCOMES = ['succeeded', 'failed', 'outcome_unknown', 'skipped', 'no_match'];

/** A `datetime-local` value (the user's time zone) as the API's date-time, or undefined when empty. */
function isoOf(local: string): string | undefined {
  if (!local) return undefined;
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

export function RunsPage() {
  const [form, setForm] = useState({ rule: '', outcome: '', from: '', to: '' });
  const [filters, setFilters] = useState(form);
  const [cursors, setCursors] = useState<string[]>([]);
  const poll = usePoll(
    () =>
      api<{ runs: Run[]; next: string | null }>(
        `/automations/runs${query({
          rule: filters.rule.trim(),
          outcome: filters.outcome,
          from: isoOf(filters.from),
          to: isoOf(filters.to),
          limit: 25,
          next: cursors.at(-1),
        })}`,
      ),
    [filters, cursors],
  );
  const field = (name: keyof typeof form) => (e: Event) =>
    setForm({ ...form, [name]: (e.target as HTMLInputElement).value });
  const runs = poll.data?.runs ?? [];
  return html`<section>
    <h1 tabIndex="-1">Automation runs</h1>
    <form class="filters" id="run-filters" onSubmit=${(e: Event) => {
      e.preventDefault();
      setCursors([]);
      setFilters(form);
    }}>
      <label>Rule <input name="rule" value=${form.rule} onInput=${field('rule')} placeholder="e.g. tag-new-users-by-domain" /></label>
      <label>Outcome
        <select name="outcome" value=${form.outcome} onChange=${field('outcome')}>
          <option value="">Any</option>
          ${OUTCOMES.map((o) => html`<option value=${o}>${o.replaceAll('_', ' ')}</option>`)}
        </select>
      </label>
      <label>Finished from <input type="datetime-local" name="from" value=${form.from} onInput=${field('from')} /></label>
      <label>to <input type="datetime-local" name="to" value=${form.to} onInput=${field('to')} /></label>
      <button type="submit">Apply filters</button>
    </form>
    <${LiveControls} poll=${poll} live=${false} />
    <${ErrorNote} error=${poll.error} />
    ${
      poll.data && runs.length === 0
        ? html`<p id="runs-empty">No runs on this page${poll.data.next ? ': older ones may match (Older)' : ''}.</p>`
        : html`<table id="runs">
      <caption class="visually-hidden">Automation runs, newest first</caption>
      <thead><tr><th scope="col">Notification</th><th scope="col">Topic</th><th scope="col">Object</th><th scope="col">Rules</th><th scope="col">Outcome</th><th scope="col">Finished</th></tr></thead>
      <tbody>
        ${runs.map(
          (run) => html`<tr data-run=${run.notificationId} data-outcome=${run.outcome}>
          <td><a href=${`#/runs/${encodeURIComponent(run.notificationId)}`}>${run.notificationId}</a></td>
          <td>${run.topic}</td>
          <td>${run.objectKey}</td>
          <td>${run.rules.length ? run.rules.map((r) => `${r.rule} (${r.status})`).join(', ') : 'none matched'}</td>
          <td><${Status} value=${run.outcome} /></td>
          <td>${time(run.finishedAt)}</td>
        </tr>`,
        )}
      </tbody>
    </table>`
    }
    <${Pager} cursors=${cursors} next=${poll.data?.next} onPage=${setCursors} />
  </section>`;
}

export function RunPage({ notificationId }: { notificationId: string }) {
  const poll = usePoll(
    () => api<{ run: Run }>(`/automations/runs/${encodeURIComponent(notificationId)}`),
    [notificationId],
  );
  const run = poll.data?.run;
  return html`<section>
    <p><a href="#/runs">All runs</a></p>
    <h1 tabIndex="-1">Run of notification ${notificationId}</h1>
    <${ErrorNote} error=${poll.error} />
    ${
      run &&
      html`<div id="run" data-outcome=${run.outcome}>
      <h2>Trigger</h2>
      <dl class="facts">
        <div><dt>Topic</dt><dd>${run.topic}</dd></div>
        <div><dt>Object</dt><dd>${run.objectKey}</dd></div>
        <div><dt>Workspace</dt><dd>${run.workspace}</dd></div>
        <div><dt>Received</dt><dd>${time(run.receivedAt)}</dd></div>
        <div><dt>Finished</dt><dd>${time(run.finishedAt)}</dd></div>
        <div><dt>Outcome</dt><dd><${Status} value=${run.outcome} /></dd></div>
      </dl>
      <h2>Rules</h2>
      ${run.rules.length === 0 ? html`<p>No rule matched this notification.</p>` : null}
      ${run.rules.map(
        (rule) => html`<div class="rule" data-rule=${rule.rule}>
        <h3>${rule.rule}: <${Status} value=${rule.status} />${rule.reason ? ` (${rule.reason.replaceAll('_', ' ')})` : ''}</h3>
        ${
          rule.actions.length === 0
            ? html`<p>No actions ran.</p>`
            : html`<table class="actions">
          <thead><tr><th scope="col">#</th><th scope="col">Operation</th><th scope="col">Status</th><th scope="col">Intercom request id</th><th scope="col">Duration</th><th scope="col">Error</th></tr></thead>
          <tbody>
            ${rule.actions.map(
              (a, i) => html`<tr>
              <td>${i + 1}</td>
              <td>${a.operation}</td>
              <td><${Status} value=${a.status} /></td>
              <td class="request-id">${a.intercomRequestId ?? '-'}</td>
              <td>${a.durationMs === undefined ? '-' : `${a.durationMs} ms`}</td>
              <td>${a.error ? `${a.error.code}: ${a.error.message}` : ''}</td>
            </tr>`,
            )}
          </tbody>
        </table>`
        }
      </div>`,
      )}
    </div>`
    }
  </section>`;
}
