/** Pieces every page uses: status words (text and colour), times, live-update controls, errors. */
import { html } from 'htm/preact';
import type { Poll } from './poll.ts';

/** A status in words, coloured by its tone: the word alone says it (colour is a second channel). */
export function Status({ value }: { value: string }) {
  const tone = /fail|error|unknown/.test(value)
    ? 'bad'
    : /^(completed|succeeded|ran)$/.test(value)
      ? 'good'
      : 'busy';
  return html`<span class=${`status status-${tone}`}>${value.replaceAll('_', ' ')}</span>`;
}

export function time(value: string | number | undefined): string {
  if (value === undefined) return '';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? '' : date.toLocaleString();
}

export function ErrorNote({ error }: { error: Error | undefined }) {
  if (!error) return null;
  return html`<p class="error" role="alert">${error.message}</p>`;
}

/** Pause and resume the polling, and when the data was read: the user decides how live the page is. */
export function LiveControls<T>({ poll, live }: { poll: Poll<T>; live: boolean }) {
  return html`<div class="live">
    <button type="button" aria-pressed=${poll.paused ? 'true' : 'false'} onClick=${() => poll.setPaused(!poll.paused)}>
      ${poll.paused ? 'Resume live updates' : 'Pause live updates'}
    </button>
    <button type="button" onClick=${() => poll.refresh()}>Refresh now</button>
    <span class="muted">
      ${poll.updatedAt ? `Updated ${poll.updatedAt.toLocaleTimeString()}` : 'Loading'}${
        poll.paused ? ' (paused)' : live ? ' (live)' : ''
      }
    </span>
  </div>`;
}

/** Older/newer pages over `next` cursors: the cursors of the pages seen so far are kept to go back. */
export function Pager({
  cursors,
  next,
  onPage,
}: {
  cursors: readonly string[];
  next: string | null | undefined;
  onPage: (cursors: string[]) => void;
}) {
  return html`<nav class="pager" aria-label="Pages">
    <button type="button" disabled=${cursors.length === 0} onClick=${() => onPage(cursors.slice(0, -1))}>Newer</button>
    <button type="button" disabled=${!next} onClick=${() => next && onPage([...cursors, next])}>Older</button>
  </nav>`;
}
