/**
 * The web console: key entry, then jobs, exports, automation runs and the operation form, routed by
 * the URL's fragment (`#/jobs/job_...`). Everything it shows comes from the API with the key;
 * Intercom's data is rendered as text (Preact escapes it), never as markup.
 */
import { html, render } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, api, apiKey } from './api.ts';
import { ExportsPage } from './exports.ts';
import { JobPage, JobsPage } from './jobs.ts';
import { RunPage, RunsPage } from './runs.ts';
import { TryPage } from './try.ts';
import { ErrorNote } from './ui.ts';

interface WhoAmI {
  workspace: string;
  keyId: string;
  keyName: string;
  scopes: string[];
}

const PAGES = [
  { path: 'jobs', title: 'Jobs' },
  { path: 'exports', title: 'Exports' },
  { path: 'runs', title: 'Automation runs' },
  { path: 'try', title: 'Try an operation' },
];

function useHash(): string {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const changed = () => setHash(location.hash);
    addEventListener('hashchange', changed);
    return () => removeEventListener('hashchange', changed);
  }, []);
  return hash;
}

function KeyEntry({ onKey, problem }: { onKey: (key: string) => void; problem: string }) {
  const [value, setValue] = useState('');
  return html`<main id="main">
    <h1>intercom-actions console</h1>
    <form id="key-form" class="key-form" onSubmit=${(e: Event) => {
      e.preventDefault();
      if (value.trim()) onKey(value.trim());
    }}>
      <label for="api-key">API key</label>
      <input id="api-key" type="password" autocomplete="off" spellcheck="false" required value=${value}
        aria-describedby="key-hint" aria-invalid=${problem ? 'true' : 'false'}
        onInput=${(e: Event) => setValue((e.target as HTMLInputElement).value)} />
      <p id="key-hint" class="hint">Kept in this tab only (session storage): never in the address or in local storage. Every request sends it as a bearer token.</p>
      ${problem ? html`<p class="error" role="alert">${problem}</p>` : null}
      <button type="submit">Use this key</button>
    </form>
  </main>`;
}

function Page({ route }: { route: string[] }) {
  const [page, id] = route;
  if (page === 'jobs' && id) return html`<${JobPage} jobId=${id} />`;
  if (page === 'exports') return html`<${ExportsPage} />`;
  if (page === 'runs' && id) return html`<${RunPage} notificationId=${id} />`;
  if (page === 'runs') return html`<${RunsPage} />`;
  if (page === 'try') return html`<${TryPage} />`;
  return html`<${JobsPage} />`;
}

function App() {
  const [key, setKey] = useState(apiKey.get());
  const [me, setMe] = useState<WhoAmI | undefined>(undefined);
  const [problem, setProblem] = useState('');
  const [error, setError] = useState<Error | undefined>(undefined);
  const hash = useHash();
  const route = hash
    .replace(/^#\/?/, '')
    .split('/')
    .map((part) => {
      try {
        return decodeURIComponent(part);
      } catch {
        return part;
      }
    });
  const page = PAGES.find((p) => p.path === route[0]) ?? PAGES[0]!;
  const main = useRef<HTMLElement>(null);

  useEffect(() => {
    if (!key) return;
    setError(undefined);
    api<WhoAmI>('/whoami').then(
      (who) => {
        setMe(who);
        setProblem('');
      },
      (failure: unknown) => {
        if (failure instanceof ApiError && failure.status === 401) {
          apiKey.clear();
          setKey(null);
          setProblem('This API key is not valid for this API.');
        } else setError(failure as Error);
      },
    );
  }, [key]);

  useEffect(() => {
    document.title = `${page.title} · intercom-actions`;
    // A new page is announced by moving the focus to its heading.
    main.current?.querySelector<HTMLElement>('h1')?.focus();
  }, [hash, me]);

  if (!key || (!me && !error))
    return key
      ? html`<main id="main"><p role="status">Checking the key…</p></main>`
      : html`<${KeyEntry} problem=${problem} onKey=${(k: string) => {
          apiKey.set(k);
          setKey(k);
        }} />`;
  return html`<div>
    <a class="skip" href="#main" onClick=${(e: Event) => {
      e.preventDefault();
      main.current?.querySelector<HTMLElement>('h1')?.focus();
    }}>Skip to content</a>
    <header>
      <p class="brand">intercom-actions console</p>
      <nav aria-label="Console">
        <ul>
          ${PAGES.map(
            (p) =>
              html`<li><a href=${`#/${p.path}`} aria-current=${p === page ? 'page' : undefined}>${p.title}</a></li>`,
          )}
        </ul>
      </nav>
      <div class="who" id="who">
        ${
          me
            ? html`Workspace <strong id="who-workspace">${me.workspace}</strong> · key <strong>${me.keyName}</strong> · scopes <span id="who-scopes">${me.scopes.join(', ')}</span>`
            : null
        }
        <button type="button" onClick=${() => {
          apiKey.clear();
          setMe(undefined);
          setKey(null);
        }}>Forget key</button>
      </div>
    </header>
    <main id="main" ref=${main}>
      <${ErrorNote} error=${error} />
      <${Page} route=${route} />
    </main>
  </div>`;
}

render(html`<${App} />`, document.getElementById('app')!);
