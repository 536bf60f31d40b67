/**
 * `intercom-actions export <operation> --out FILE`: starts an export through the HTTP API, shows a
 * live progress line (records, rate, restarts) and downloads the file when it is done.
 */
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { exportableOperations, LIST_CAP, LIST_EXPORT_FILTERS } from '../exports/exportable.ts';
import { ApiError, type ApiErrorBody, apiTarget } from './api-client.ts';
import { UsageError } from './arguments.ts';
import type { BulkIo } from './bulk/session.ts';

/** `--tag-id` for `tag_id`: one option per list filter the exports declare. */
const filterOption = (filter: string) => filter.replaceAll('_', '-');
const scrolls = exportableOperations.filter((e) => e.mode.kind === 'scroll').map((e) => e.op.name);
const lists = exportableOperations.filter((e) => e.mode.kind === 'list').map((e) => e.op.name);

export const EXPORT_HELP = `intercom-actions export <operation> --out FILE [options]
    Exports through the HTTP API (POST /exports/{operation}), shows a live progress line on stderr
    (records, records per second, scroll restarts) and downloads the file to FILE at the end;
    prints {exportId, status, records, pages, restarts, bytes, seconds, file} as JSON.
    Every record: ${scrolls.join(', ')}.
    One tag's or segment's members: ${lists.join(', ')} with ${LIST_EXPORT_FILTERS.map((f) => `--${filterOption(f)}`).join(' or ')}
    (up to Intercom's ${LIST_CAP}-record cap on paged lists; the result then says "capped": true).
${LIST_EXPORT_FILTERS.map((f) => `${`  --${filterOption(f)} ID`.padEnd(26)}the list's ${f} filter`).join('\n')}
  --format jsonl|csv      default jsonl
  --fields a,b.c          CSV columns (required with csv; dotted paths reach nested fields)
  --gzip                  gzip the file
  --interval-ms MS        how often the export is polled (default 1000)
  --url URL, --key KEY    the API (env INTERCOM_ACTIONS_URL, INTERCOM_ACTIONS_KEY or API_KEY; scopes read and bulk)
Exit status: 0 the file was downloaded, 1 the export failed (error JSON on stderr), 2 usage error.`;

interface ExportView {
  exportId: string;
  status: string;
  records: number;
  pages: number;
  restarts: number;
  bytes: number;
  capped?: boolean;
  available?: number;
  error?: { code: string; message: string };
  download?: { url: string };
}

async function api<T>(
  base: string,
  key: string | undefined,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const res = await fetch(new URL(path, base.endsWith('/') ? base : `${base}/`), {
    method,
    headers: {
      accept: 'application/json',
      'user-agent': 'intercom-actions-cli',
      ...(key ? { authorization: `Bearer ${key}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) {
    let parsed: ApiErrorBody | undefined;
    try {
      parsed = JSON.parse(text) as ApiErrorBody;
    } catch {
      parsed = undefined;
    }
    throw new ApiError(
      parsed?.error
        ? parsed
        : { error: { status: res.status, code: 'http_error', message: text.slice(0, 500) } },
    );
  }
  return JSON.parse(text) as T;
}

export async function exportCommand(words: readonly string[], io: BulkIo): Promise<number> {
  if (words.includes('--help') || words.includes('-h')) {
    io.out(EXPORT_HELP);
    return 0;
  }
  let parsed: ReturnType<typeof parse>;
  const parse = () =>
    parseArgs({
      args: [...words],
      allowPositionals: true,
      strict: true,
      options: {
        out: { type: 'string' },
        format: { type: 'string' },
        fields: { type: 'string' },
        gzip: { type: 'boolean' },
        'interval-ms': { type: 'string' },
        ...Object.fromEntries(LIST_EXPORT_FILTERS.map((f) => [filterOption(f), { type: 'string' as const }])),
        url: { type: 'string' },
        key: { type: 'string' },
      },
    });
  try {
    parsed = parse();
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const operation = positionals[0];
  if (!operation || positionals.length > 1)
    throw new UsageError(`export takes one operation\n\n${EXPORT_HELP}`);
  if (!values.out) throw new UsageError('export needs --out FILE');
  const intervalMs = values['interval-ms'] === undefined ? 1000 : Number(values['interval-ms']);
  if (!Number.isSafeInteger(intervalMs) || intervalMs < 10)
    throw new UsageError('--interval-ms must be an integer of at least 10');
  const target = apiTarget({ url: values.url, key: values.key }, io.env);
  const given = values as Record<string, string | boolean | undefined>;
  const filters = Object.fromEntries(
    LIST_EXPORT_FILTERS.filter((f) => typeof given[filterOption(f)] === 'string').map((f) => [
      f,
      given[filterOption(f)],
    ]),
  );
  const request = {
    ...(Object.keys(filters).length > 0 ? { params: filters } : {}),
    ...(values.format ? { format: values.format } : {}),
    ...(values.fields ? { fields: values.fields.split(',').map((f) => f.trim()) } : {}),
    ...(values.gzip ? { gzip: true } : {}),
  };
  const terminal = io.terminal ?? process.stderr;
  const started = Date.now();
  try {
    const { exportId } = await api<{ exportId: string }>(
      target.url,
      target.key,
      'POST',
      `exports/${encodeURIComponent(operation)}`,
      request,
    );
    let view: ExportView;
    let lastLine = '';
    for (;;) {
      view = await api<ExportView>(target.url, target.key, 'GET', `exports/${exportId}`);
      const seconds = (Date.now() - started) / 1000;
      const rate = seconds > 0 ? Math.round(view.records / seconds) : 0;
      const line = `${exportId}: ${view.status}, ${view.records} records, ${view.pages} pages, ${rate}/s, ${view.restarts} restart(s)`;
      if (terminal.isTTY) terminal.write(`\r${line}\u001b[K`);
      else if (line !== lastLine) terminal.write(`${line}\n`);
      lastLine = line;
      if (view.status === 'succeeded' || view.status === 'failed') break;
      await sleep(intervalMs);
    }
    if (terminal.isTTY) terminal.write('\n');
    if (view.status === 'failed' || !view.download) {
      io.err(JSON.stringify({ exportId, status: view.status, error: view.error }, null, 2));
      return 1;
    }
    const res = await fetch(view.download.url);
    if (!res.ok || !res.body) {
      io.err(
        JSON.stringify(
          { exportId, error: { code: 'download_failed', message: `HTTP ${res.status}` } },
          null,
          2,
        ),
      );
      return 1;
    }
    await pipeline(Readable.fromWeb(res.body as never), createWriteStream(values.out));
    io.out(
      JSON.stringify(
        {
          exportId,
          status: view.status,
          records: view.records,
          pages: view.pages,
          restarts: view.restarts,
          bytes: view.bytes,
          ...(view.capped ? { capped: true, available: view.available } : {}),
          seconds: Math.round((Date.now() - started) / 100) / 10,
          file: values.out,
        },
        null,
        2,
      ),
    );
    return 0;
  } catch (error) {
    if (error instanceof ApiError) {
      io.err(JSON.stringify(error.body, null, 2));
      return 1;
    }
    throw error;
  }
}
