/**
 * `intercom-actions smoke`: read-only checks of a deployed (or local) stack, one request each, in order:
 * health, the OpenAPI document, one read per operation group (chosen from the catalog), a bulk dry run
 * and the webhook intake refusing an unsigned notification. Printed as a table with each answer's
 * latency; exit 0 when every check passed, 1 otherwise.
 */
import {
  exampleInput,
  GROUPS,
  type Group,
  getOperation,
  isListOperation,
  type Operation,
  operations,
  operationsOfGroup,
} from '../catalog/index.ts';
import { apiTarget } from './api-client.ts';
import { type FlagSpec, integerFlag, parseOptions, stringFlag, UsageError } from './arguments.ts';
import type { CliIo } from './io.ts';

export const SMOKE_HELP = `intercom-actions smoke [--url URL] [--key KEY] [--timeout-ms MS]
    Read-only checks of a deployed (or local) stack, one request each, printed as a table with each
    answer's status and latency: GET /health; GET /openapi.json (every operation described); one read
    per operation group (a list that needs no input, or the operation's example, where Intercom's 404
    for its made-up id still shows the function reached Intercom); a bulk dry run (nothing is queued);
    the webhook endpoint refusing an unsigned notification (401 invalid_signature).
    URL and key as for bulk (--url, INTERCOM_ACTIONS_URL; --key, INTERCOM_ACTIONS_KEY or API_KEY); the
    key needs the read and bulk scopes. --timeout-ms: per check (default 30000).
    Exit status: 0 every check passed, 1 some failed (each says why, also on stderr), 2 usage error.`;

const OPTIONS: FlagSpec = { values: ['url', 'key', 'timeout-ms'], switches: [] };

/** The operation the bulk dry run validates an item of: a read, so a key with read and bulk will do. */
const BULK_DRY_RUN_OPERATION = 'get_user';

/** The fields of the answers the checks read. */
interface AnswerJson {
  status?: unknown;
  openapi?: unknown;
  paths?: Record<string, unknown>;
  servers?: { variables?: { apiUrl?: { default?: unknown } } }[];
  data?: unknown;
  dryRun?: unknown;
  accepted?: unknown;
  error?: { code?: unknown; message?: unknown };
}

/** An answer: its status and JSON body (undefined when it was not a JSON object). */
interface Answer {
  status: number;
  json: AnswerJson | undefined;
}

interface Verdict {
  ok: boolean;
  detail: string;
}

interface Check {
  name: string;
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  /** Sends the API key (public endpoints are checked without it). */
  authenticated: boolean;
  judge: (answer: Answer) => Verdict;
}

export interface CheckResult {
  name: string;
  ok: boolean;
  /** Undefined when no answer came back. */
  status: number | undefined;
  ms: number;
  detail: string;
}

/** One read of a group: what is called, with which input, and whether Intercom's 404 still passes. */
export interface GroupRead {
  group: Group;
  operation: Operation;
  input: Record<string, unknown>;
  /** The input is the operation's example, whose ids are made up: Intercom's 404 shows it was reached. */
  notFoundPasses: boolean;
}

const needsNoInput = (op: Operation) => Object.keys(exampleInput(op)).length === 0;
const listFirst = (a: Operation, b: Operation) => Number(isListOperation(b)) - Number(isListOperation(a));

/**
 * One read operation per group, from the catalog: one that needs no input (a list when there is one,
 * asked for a single item), else the group's first read with its example. Scrolls are left out: an
 * Intercom app has one open scroll at a time, and a smoke test must not take it from its users.
 */
export function groupReads(): GroupRead[] {
  return GROUPS.flatMap((group) => {
    const reads = operationsOfGroup(group)
      .filter((op) => op.scope === 'read' && op.pagination !== 'scroll')
      .sort(listFirst);
    const free = reads.find(needsNoInput);
    const operation = free ?? reads[0];
    if (!operation) return [];
    const input = free ? {} : exampleInput(operation);
    if (isListOperation(operation)) input.limit = 1;
    return [{ group, operation, input, notFoundPasses: !free }];
  });
}

function errorOf(answer: Answer): string {
  const error = answer.json?.error;
  if (typeof error?.code === 'string') return `${answer.status} ${error.code}: ${String(error.message)}`;
  return `HTTP ${answer.status}${answer.json === undefined ? ' (not JSON)' : ''}`;
}

const failed = (answer: Answer): Verdict => ({ ok: false, detail: errorOf(answer) });

function checks(): Check[] {
  const list: Check[] = [
    {
      name: 'health',
      method: 'GET',
      path: 'health',
      authenticated: false,
      judge: (a) => (a.status === 200 && a.json?.status === 'ok' ? { ok: true, detail: 'ok' } : failed(a)),
    },
    {
      name: 'openapi',
      method: 'GET',
      path: 'openapi.json',
      authenticated: false,
      judge: (a) => {
        if (a.status !== 200) return failed(a);
        const paths = a.json?.paths ?? {};
        const missing = operations.filter((op) => !paths[`/actions/${op.name}`]).map((op) => op.name);
        if (!String(a.json?.openapi).startsWith('3.1') || missing.length > 0) {
          return {
            ok: false,
            detail: `not this version's document: ${missing.length} operation(s) missing (${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', ...' : ''}); openapi ${a.json?.openapi}`,
          };
        }
        const server = a.json?.servers?.[0]?.variables?.apiUrl?.default;
        return { ok: true, detail: `${operations.length} operations${server ? `, server ${server}` : ''}` };
      },
    },
  ];
  for (const read of groupReads()) {
    const { operation: op } = read;
    list.push({
      name: `read ${read.group}`,
      method: 'POST',
      path: `actions/${op.name}`,
      body: read.input,
      authenticated: true,
      judge: (a) => {
        if (a.status === 200) {
          const data = a.json?.data;
          const count = Array.isArray(data) ? ` (${data.length} item(s))` : '';
          return { ok: true, detail: `${op.name}${count}` };
        }
        const code = a.json?.error?.code;
        if (
          read.notFoundPasses &&
          a.status === 404 &&
          typeof code === 'string' &&
          code.endsWith('not_found')
        ) {
          return {
            ok: true,
            detail: `${op.name}: reached Intercom, which has nothing for the example (404 ${code})`,
          };
        }
        return { ok: false, detail: `${op.name}: ${errorOf(a)}` };
      },
    });
  }
  const bulkOp = getOperation(BULK_DRY_RUN_OPERATION);
  list.push(
    {
      name: 'bulk dry run',
      method: 'POST',
      path: `bulk/${bulkOp.name}`,
      body: { items: [exampleInput(bulkOp)], dryRun: true },
      authenticated: true,
      judge: (a) =>
        a.status === 200 && a.json?.dryRun === true && a.json?.accepted === 1
          ? { ok: true, detail: `${bulkOp.name}: 1 item accepted, nothing queued` }
          : {
              ok: false,
              detail: `${bulkOp.name}: ${a.status === 200 ? 'the item was not accepted' : errorOf(a)}`,
            },
    },
    {
      name: 'webhook unsigned',
      method: 'POST',
      path: 'webhooks/intercom',
      body: { type: 'notification_event', id: 'notif_smoke', topic: 'ping', data: { item: {} } },
      authenticated: false,
      judge: (a) =>
        a.status === 401 && a.json?.error?.code === 'invalid_signature'
          ? { ok: true, detail: 'refused: 401 invalid_signature' }
          : {
              ok: false,
              detail:
                a.status >= 200 && a.status < 300
                  ? `an unsigned notification was accepted (${a.status})`
                  : `expected 401 invalid_signature, got ${errorOf(a)}`,
            },
    },
  );
  return list;
}

function noAnswer(error: unknown, timeoutMs: number): string {
  if ((error as { name?: string }).name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  return `no answer: ${typeof cause?.code === 'string' ? cause.code : String(cause?.message ?? error)}`;
}

async function run(check: Check, baseUrl: string, key: string, timeoutMs: number): Promise<CheckResult> {
  const headers: Record<string, string> = {
    accept: 'application/json',
    'user-agent': 'intercom-actions-cli smoke',
  };
  if (check.authenticated) headers.authorization = `Bearer ${key}`;
  if (check.body !== undefined) headers['content-type'] = 'application/json';
  const started = performance.now();
  try {
    const response = await fetch(new URL(check.path, baseUrl), {
      method: check.method,
      headers,
      ...(check.body === undefined ? {} : { body: JSON.stringify(check.body) }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    const ms = Math.round(performance.now() - started);
    let json: AnswerJson | undefined;
    try {
      const parsed = JSON.parse(text) as unknown;
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed))
        json = parsed as AnswerJson;
    } catch {
      json = undefined;
    }
    const verdict = check.judge({ status: response.status, json });
    return { name: check.name, status: response.status, ms, ...verdict };
  } catch (error) {
    const ms = Math.round(performance.now() - started);
    return { name: check.name, ok: false, status: undefined, ms, detail: noAnswer(error, timeoutMs) };
  }
}

export function formatTable(results: readonly CheckResult[]): string {
  const rows = [
    ['check', 'result', 'status', 'ms', 'detail'],
    ...results.map((r) => [r.name, r.ok ? 'ok' : 'FAIL', String(r.status ?? '-'), String(r.ms), r.detail]),
  ];
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === 3 ? cell.padStart(widths[i]!) : i < 4 ? cell.padEnd(widths[i]!) : cell))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export async function smokeCommand(words: readonly string[], io: CliIo): Promise<number> {
  const parsed = parseOptions(words, OPTIONS, 'smoke', { positionals: false });
  if (parsed.flags.has('help')) {
    io.out(SMOKE_HELP);
    return 0;
  }
  const target = apiTarget({ url: stringFlag(parsed, 'url'), key: stringFlag(parsed, 'key') }, io.env);
  if (!target.key)
    throw new UsageError('smoke needs --key (or INTERCOM_ACTIONS_KEY): a key with the read and bulk scopes');
  let baseUrl: URL;
  try {
    baseUrl = new URL(target.url.endsWith('/') ? target.url : `${target.url}/`);
  } catch {
    throw new UsageError(`--url is not a URL: "${target.url}"`);
  }
  if (baseUrl.protocol !== 'https:' && baseUrl.protocol !== 'http:')
    throw new UsageError(`--url must be http(s): "${target.url}"`);
  const timeoutMs = integerFlag(parsed, 'timeout-ms', 30_000, 1, 300_000);
  const results: CheckResult[] = [];
  for (const check of checks()) results.push(await run(check, baseUrl.href, target.key, timeoutMs));
  io.out(formatTable(results));
  const failures = results.filter((r) => !r.ok);
  if (failures.length === 0) {
    io.out(`\nsmoke: all ${results.length} checks passed against ${baseUrl.href}`);
    return 0;
  }
  io.err(
    [
      `smoke: ${failures.length} of ${results.length} checks failed against ${baseUrl.href}:`,
      ...failures.map((r) => `  ${r.name}: ${r.detail}`),
    ].join('\n'),
  );
  return 1;
}
