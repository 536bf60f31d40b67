/**
 * Try an operation: a form generated from `/openapi.json` (the operation's parameters and body), the
 * API's validation errors shown next to the field they concern, the answer as formatted JSON.
 */
import { html } from 'htm/preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, type Issue, send } from './api.ts';
import { ErrorNote } from './ui.ts';

interface Schema {
  type?: string | string[];
  enum?: unknown[];
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
}
interface OperationDoc {
  name: string;
  summary: string;
  description: string;
  schema: Schema;
  example: Record<string, unknown>;
}

interface PostDoc {
  summary?: string;
  description?: string;
  requestBody?: { content?: Record<string, { schema?: Schema; example?: Record<string, unknown> }> };
}
type Paths = Record<string, { post?: PostDoc }>;

type Kind = 'enum' | 'boolean' | 'number' | 'string' | 'json';

function kindOf(schema: Schema): Kind {
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (schema.enum) return 'enum';
  if (type === 'boolean') return 'boolean';
  if (type === 'integer' || type === 'number') return 'number';
  if (type === 'string') return 'string';
  return 'json';
}

function operationsOf(doc: { paths: Paths }): OperationDoc[] {
  return Object.entries(doc.paths)
    .flatMap(([path, item]) =>
      path.startsWith('/actions/') && item.post ? [[path, item.post] as const] : [],
    )
    .map(([path, post]) => {
      const content = post.requestBody?.content?.['application/json'] ?? {};
      return {
        name: path.slice('/actions/'.length),
        summary: post.summary ?? '',
        description: post.description ?? '',
        schema: content.schema ?? {},
        example: content.example ?? {},
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** A field's text as the form shows it. */
function textOf(value: unknown, kind: Kind): string {
  if (value === undefined) return '';
  return kind === 'json' ? JSON.stringify(value, null, 2) : String(value);
}

/** The field's value for the request, or an issue with it that the API need not be asked about. */
function parseField(text: string, kind: Kind): { value?: unknown; problem?: string } {
  if (text.trim() === '') return {};
  if (kind === 'boolean') return { value: text === 'true' };
  if (kind === 'number') {
    const value = Number(text);
    return Number.isFinite(value) ? { value } : { problem: 'must be a number' };
  }
  if (kind === 'json') {
    try {
      return { value: JSON.parse(text) };
    } catch {
      return { problem: 'must be JSON (an object or a list)' };
    }
  }
  return { value: text };
}

function OperationForm({ op }: { op: OperationDoc }) {
  const fields = Object.entries(op.schema.properties ?? {});
  const required = new Set(op.schema.required ?? []);
  // The form is keyed by its operation (a new one for each), so its fields start from the
  // operation's example at once: values set by an effect after the first paint could overwrite what
  // a quick user (or a test) had typed already.
  const [values, setValues] = useState<Record<string, string>>(() =>
    Object.fromEntries(fields.map(([name, s]) => [name, textOf(op.example[name], kindOf(s))])),
  );
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [other, setOther] = useState<Issue[]>([]);
  const [answer, setAnswer] = useState<{ status: number; json: unknown } | undefined>(undefined);
  const [failure, setFailure] = useState<Error | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    const body: Record<string, unknown> = {};
    const found: Record<string, string[]> = {};
    for (const [name, schema] of fields) {
      const { value, problem } = parseField(values[name] ?? '', kindOf(schema));
      if (problem) found[name] = [problem];
      else if (value !== undefined) body[name] = value;
    }
    setErrors(found);
    setOther([]);
    if (Object.keys(found).length > 0) return;
    setBusy(true);
    setFailure(undefined);
    try {
      const result = await send(`/actions/${op.name}`, 'POST', body);
      setAnswer(result);
      const details: Issue[] = (result.json as { error?: { details?: Issue[] } })?.error?.details ?? [];
      const byField: Record<string, string[]> = {};
      const rest: Issue[] = [];
      for (const issue of details) {
        // `/body/name` concerns the field `body`; `/` or an unknown name, the whole request.
        const name = issue.path.split('/')[1] ?? '';
        if (fields.some(([field]) => field === name))
          byField[name] = [...(byField[name] ?? []), issue.message];
        else rest.push(issue);
      }
      setErrors(byField);
      setOther(rest);
    } catch (error) {
      setFailure(error as Error);
    } finally {
      setBusy(false);
    }
  };

  return html`<form id="operation-form" novalidate onSubmit=${submit}>
    <p class="muted">${op.description}</p>
    ${fields.length === 0 ? html`<p>This operation takes no parameters.</p>` : null}
    ${fields.map(([name, schema]) => {
      const kind = kindOf(schema);
      const id = `field-${name}`;
      const hint = `${id}-hint`;
      const error = errors[name];
      const described = [schema.description ? hint : '', error ? `${id}-error` : '']
        .filter(Boolean)
        .join(' ');
      const common = {
        id,
        name,
        'aria-invalid': error ? 'true' : 'false',
        'aria-describedby': described || undefined,
        'aria-required': required.has(name) ? 'true' : undefined,
      };
      const onInput = (e: Event) => {
        const value = (e.target as HTMLInputElement).value;
        setValues((current) => ({ ...current, [name]: value }));
      };
      const control =
        kind === 'enum' || kind === 'boolean'
          ? html`<select ...${common} value=${values[name] ?? ''} onChange=${onInput}>
              <option value="">(not set)</option>
              ${(kind === 'boolean' ? ['true', 'false'] : (schema.enum ?? []).map(String)).map(
                (v) => html`<option value=${v}>${v}</option>`,
              )}
            </select>`
          : kind === 'json'
            ? html`<textarea ...${common} rows="6" spellcheck="false" value=${values[name] ?? ''} onInput=${onInput}></textarea>`
            : html`<input ...${common} inputmode=${kind === 'number' ? 'decimal' : undefined} value=${values[name] ?? ''} onInput=${onInput} />`;
      return html`<div class=${`field${error ? ' invalid' : ''}`} data-field=${name}>
        <label for=${id}>${name}${required.has(name) ? ' (required)' : ''}</label>
        ${control}
        ${schema.description ? html`<p class="hint" id=${hint}>${schema.description}</p>` : null}
        ${error ? html`<p class="field-error" id=${`${id}-error`}>${error.map((m) => `${name} ${m}`).join('; ')}</p>` : null}
      </div>`;
    })}
    ${other.length ? html`<ul class="error" role="alert">${other.map((i) => html`<li>${i.path} ${i.message}</li>`)}</ul>` : null}
    <button type="submit" disabled=${busy}>Send ${op.name}</button>
    <${ErrorNote} error=${failure} />
    ${
      answer &&
      html`<div id="answer" data-status=${answer.status}>
      <h2>Answer: HTTP ${answer.status}</h2>
      <pre tabIndex="0" aria-label="The answer as JSON">${JSON.stringify(answer.json, null, 2)}</pre>
    </div>`
    }
  </form>`;
}

export function TryPage() {
  const [doc, setDoc] = useState<OperationDoc[] | undefined>(undefined);
  const [error, setError] = useState<Error | undefined>(undefined);
  const [name, setName] = useState('');
  useEffect(() => {
    api<{ paths: Paths }>('/openapi.json').then(
      (d) => setDoc(operationsOf(d)),
      (e: Error) => setError(e),
    );
  }, []);
  const op = useMemo(() => doc?.find((o) => o.name === name), [doc, name]);
  return html`<section>
    <h1 tabIndex="-1">Try an operation</h1>
    <p>Calls <code>POST /actions/{operation}</code> with this key: the call reaches Intercom.</p>
    <${ErrorNote} error=${error} />
    <label for="operation" class="block">Operation</label>
    <select id="operation" value=${name} disabled=${!doc} onChange=${(e: Event) => setName((e.target as HTMLSelectElement).value)}>
      <option value="">Choose an operation</option>
      ${(doc ?? []).map((o) => html`<option value=${o.name}>${o.name}: ${o.summary}</option>`)}
    </select>
    ${op ? html`<${OperationForm} key=${op.name} op=${op} />` : null}
  </section>`;
}
