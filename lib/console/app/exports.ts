/** Exports: the key's exports with their status, and a download link for a finished one. */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api, query } from './api.ts';
import { usePoll } from './poll.ts';
import { ErrorNote, LiveControls, Pager, Status, time } from './ui.ts';

interface ExportView {
  exportId: string;
  operation: string;
  format: string;
  status: string;
  records: number;
  bytes: number;
  createdAt: string;
  finishedAt?: string;
  error?: { code: string; message: string };
}

/** A presigned link is asked for when wanted: it expires, so it is never kept in the list. */
function Download({ exportId }: { exportId: string }) {
  const [link, setLink] = useState<{ url: string; expiresAt: string } | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  if (link)
    return html`<a href=${link.url} download>Download</a> <span class="muted">(link valid until ${time(link.expiresAt)})</span>`;
  return html`<button type="button" onClick=${async () => {
    try {
      const view = await api<{ download?: { url: string; expiresAt: string } }>(`/exports/${exportId}`);
      if (view.download) setLink(view.download);
    } catch (failure) {
      setError(failure as Error);
    }
  }}>Get download link<span class="visually-hidden"> for ${exportId}</span></button><${ErrorNote} error=${error} />`;
}

export function ExportsPage() {
  const [cursors, setCursors] = useState<string[]>([]);
  const poll = usePoll(
    () =>
      api<{ exports: ExportView[]; next?: string }>(`/exports${query({ limit: 20, next: cursors.at(-1) })}`),
    [cursors],
    // New exports and their progress appear as they happen, until paused.
    { keepGoing: () => true, intervalMs: 3_000 },
  );
  const exports = poll.data?.exports ?? [];
  return html`<section>
    <h1 tabIndex="-1">Exports</h1>
    <${LiveControls} poll=${poll} live=${true} />
    <${ErrorNote} error=${poll.error} />
    ${
      poll.data && exports.length === 0
        ? html`<p>No exports yet.</p>`
        : html`<table id="exports">
      <caption class="visually-hidden">Exports, newest first</caption>
      <thead><tr><th scope="col">Export</th><th scope="col">Operation</th><th scope="col">Format</th><th scope="col">Status</th><th scope="col">Records</th><th scope="col">Created</th><th scope="col">File</th></tr></thead>
      <tbody>
        ${exports.map(
          (e) => html`<tr data-export=${e.exportId} data-status=${e.status}>
          <td>${e.exportId}</td>
          <td>${e.operation}</td>
          <td>${e.format}</td>
          <td><${Status} value=${e.status} />${e.error ? html`<br /><span class="muted">${e.error.code}: ${e.error.message}</span>` : null}</td>
          <td>${e.records}</td>
          <td>${time(e.createdAt)}</td>
          <td>${e.status === 'succeeded' ? html`<${Download} exportId=${e.exportId} />` : null}</td>
        </tr>`,
        )}
      </tbody>
    </table>`
    }
    <${Pager} cursors=${cursors} next=${poll.data?.next} onPage=${setCursors} />
  </section>`;
}
