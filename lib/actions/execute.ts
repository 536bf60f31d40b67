/**
 * Runs one operation for any entry point (HTTP action, CLI, bulk worker, automation): the operation's
 * parameters go to Intercom; the list controls (`resultsPath`, `limit`, `next`) steer pagination.
 */
import { selectPath } from '../catalog/results.ts';
import type { Operation } from '../catalog/types.ts';
import type { IntercomClient } from '../intercom/client.ts';
import { type Cursor, encodeCursor } from '../intercom/cursor.ts';
import { pages } from '../intercom/pagination.ts';
import { ByteBudget } from '../validation/response-size.ts';

export interface ActionResult {
  /** Intercom's success status (200, or 202 for events). */
  status: number;
  data: unknown;
  /** List-shaped operations only: the cursor of what comes next, or null at the end. */
  next?: string | null;
}

export interface ExecuteOptions {
  /** Stop following pages after this long and return what was collected plus `next`. Default 20 s. */
  budgetMs?: number;
  /**
   * Stop collecting before the items would add more than this many bytes to a Lambda response
   * (lib/validation/response-size.ts), and return `next` from the first item left out. HTTP handlers
   * pass `LIST_BUDGET_BYTES`; default: no limit (the CLI writes to a terminal or a file).
   */
  maxBytes?: number;
  /** No Intercom call may run past this instant (epoch ms), e.g. the Lambda's own end. */
  hardDeadline?: number;
  requestId?: string;
  signal?: AbortSignal;
  now?: () => number;
}

/** `resultsPath` named something that is not an array in Intercom's response. */
export class ResultsPathError extends Error {
  override name = 'ResultsPathError';
}

/** Fits API Gateway's ~29 s integration timeout with room for the last page and the response. */
export const DEFAULT_BUDGET_MS = 20_000;

const CONTROLS = new Set(['resultsPath', 'limit', 'next']);

function splitControls(input: Record<string, unknown>) {
  const params: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) if (!CONTROLS.has(key)) params[key] = value;
  return {
    params,
    resultsPath: typeof input.resultsPath === 'string' ? input.resultsPath : undefined,
    limit: typeof input.limit === 'number' ? input.limit : undefined,
    cursor: typeof input.next === 'string' ? input.next : undefined,
  };
}

function encode(op: Operation, cursor: Cursor | null): string | null {
  return cursor ? encodeCursor(op.name, cursor) : null;
}

export async function executeAction(
  client: IntercomClient,
  op: Operation,
  input: Record<string, unknown>,
  options: ExecuteOptions = {},
): Promise<ActionResult> {
  const now = options.now ?? Date.now;
  const started = now();
  const budgetMs = options.budgetMs ?? DEFAULT_BUDGET_MS;
  const hardDeadline = options.hardDeadline ?? started + budgetMs + 5_000;
  const callOptions = () => ({
    requestId: options.requestId,
    signal: options.signal,
    timeoutMs: Math.max(1, hardDeadline - now()),
  });
  const { params, resultsPath, limit, cursor } = splitControls(input);

  if (!op.resultsKeys) {
    const { status, data } = await client.call(op, params, callOptions());
    return { status, data };
  }

  // One page, as Intercom sent it, with the cursor of the next.
  if (resultsPath === undefined && limit === undefined) {
    for await (const page of pages(client, op, params, { ...callOptions(), cursor })) {
      return { status: 200, data: page.data, next: encode(op, page.next) };
    }
  }

  // Collect items across pages until `limit`, the end, the size budget or the time budget.
  const collected: unknown[] = [];
  const max = limit ?? Number.POSITIVE_INFINITY;
  const bytes = new ByteBudget(options.maxBytes);
  let largestWholePage = 0;
  const iterator = pages(client, op, params, { ...callOptions(), cursor });
  let next: Cursor | null = null;
  for (;;) {
    const step = await iterator.next();
    if (step.done) break;
    const page = step.value;
    const skip = page.self?.kind === 'link' || page.self?.kind === 'offset' ? page.self.skip : 0;
    let items = page.items;
    // The natural key reads through extractItems, so a one-object answer (find_user in 1.0) is a list too.
    if (resultsPath !== undefined && !op.resultsKeys.includes(resultsPath.replace(/^\$\./, ''))) {
      const selected = selectPath(page.data, resultsPath);
      if (!Array.isArray(selected))
        throw new ResultsPathError(`resultsPath "${resultsPath}" names no array in Intercom's response`);
      items = selected.slice(skip);
    }
    const room = max - collected.length;
    // A page link (plus items to skip) or a list Intercom sends whole (asked for again, then cut)
    // resumes in the middle: stop at `limit` or at the first item the size budget leaves out.
    if (op.pagination === 'none' || page.self?.kind === 'link') {
      let taken = 0;
      while (taken < items.length && taken < room && bytes.take(items[taken])) taken++;
      collected.push(...items.slice(0, taken));
      if (taken < items.length) {
        next =
          page.self?.kind === 'link'
            ? { kind: 'link', path: page.self.path, skip: skip + taken }
            : { kind: 'offset', skip: skip + taken };
        break;
      }
      next = page.next;
    } else {
      // A scroll page cannot be re-read, so scroll results come in whole pages (limit rounds up), and
      // the next page is only asked for while one as large as the largest so far still fits.
      const before = bytes.used;
      for (const item of items) bytes.add(item);
      largestWholePage = Math.max(largestWholePage, bytes.used - before);
      collected.push(...items);
      next = page.next;
      if (!bytes.fits(largestWholePage)) break;
    }
    if (!next || collected.length >= max || now() - started >= budgetMs) break;
  }
  await iterator.return(undefined);
  return { status: 200, data: collected, next: encode(op, next) };
}
