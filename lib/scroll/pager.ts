/**
 * One step of a long scroll, for enumerators that outlive a Lambda invocation (exports; rules that
 * enumerate a population). The position is the caller's to keep durably: a `scroll_param`, or none
 * to open a new scroll. Each request first takes a slot from the workspace's rate governor, so a
 * scroll spends the same budget as bulk jobs and leaves the interactive reserve. What Intercom's
 * answers mean here:
 * - a page: its records and the param to continue with; an empty page ends the scroll (and closes it);
 * - 500, a timeout or a dropped connection mid-scroll: Intercom closed the scroll or its position is
 *   unknown, so the caller restarts from the beginning and skips the ids it already has;
 * - 404 on a continuation: the param expired (a minute idle) or is unknown: restart too;
 * - 429: every worker of the workspace pauses until the reset (the governor), then the same page;
 * - 503 or a request that never left: nothing moved, ask for the same page again;
 * - `scroll_exists` when opening: someone else's scroll (an interactive one, or ours that died) is open.
 */
import type { Operation } from '../catalog/index.ts';
import { buildRequest } from '../catalog/request.ts';
import { extractItems } from '../catalog/results.ts';
import type { RateGovernor } from '../governor/rate-governor.ts';
import type { IntercomClient } from '../intercom/client.ts';
import {
  IntercomConnectionError,
  IntercomError,
  IntercomHttpError,
  IntercomRateLimitError,
  IntercomScrollExistsError,
  IntercomTimeoutError,
} from '../intercom/errors.ts';
import type { PageSlots } from './page-slots.ts';

export type ScrollStep =
  /** A page of records; `param` continues the scroll. */
  | { kind: 'page'; items: unknown[]; param: string }
  /** The scroll is over (Intercom closed it). */
  | { kind: 'end' }
  /** Start again from the beginning (`expired`: the param was gone; `failed`: a 500 or an unknown outcome). */
  | { kind: 'restart'; reason: 'expired' | 'failed'; message: string }
  /** Another scroll is open for the app: try again later. */
  | { kind: 'busy'; message: string }
  /** No rate budget (or a 429 pause) before `retryAt`: ask for the same page then. */
  | { kind: 'wait'; retryAt: number };

export interface ScrollPagerDeps {
  client: IntercomClient;
  governor: RateGovernor;
  workspace: string;
  /** Who spends the slots (kept on the governor's window records, as a bulk job's). */
  spender: string;
  /** Slots taken a few at a time (one governor write per few pages); one `acquire` per page without. */
  slots?: PageSlots;
  now?: () => number;
}

/** The least time a page request is given; less than this before the deadline and the step waits. */
const MIN_CALL_MS = 2_000;
/** Most time one page request is given. */
const MAX_CALL_MS = 20_000;
/** How soon a page that never reached Intercom is asked for again. */
const RESEND_MS = 250;

function hadNoEffect(error: unknown): boolean {
  return (
    (error instanceof IntercomHttpError && error.status === 503) ||
    (error instanceof IntercomConnectionError && !error.mayHaveReachedIntercom) ||
    (error instanceof IntercomTimeoutError && error.phase === 'connect')
  );
}

/** Fetches the page after `param` (or opens the scroll when it is undefined), within `deadline` (epoch ms). */
/**
 * What every page step does first with a failed request: the governor learns the headroom Intercom
 * reported, a 429 pauses the whole workspace until its reset (slots taken ahead are dropped) and is a
 * wait; anything that is not an Intercom error is thrown. Otherwise the error, for the step to judge.
 */
export async function pageFailure(
  deps: ScrollPagerDeps,
  error: unknown,
  now: () => number,
): Promise<{ kind: 'wait'; retryAt: number } | IntercomError> {
  if (deps.client.rateLimit) await deps.governor.observe(deps.workspace, deps.client.rateLimit);
  if (!(error instanceof IntercomError)) throw error;
  if (!(error instanceof IntercomRateLimitError)) return error;
  const retryAt = now() + error.retryAfterMs(now());
  deps.slots?.drop();
  await deps.governor.pause(deps.workspace, retryAt);
  return { kind: 'wait', retryAt };
}

export async function scrollStep(
  deps: ScrollPagerDeps,
  op: Operation,
  input: Record<string, unknown>,
  param: string | undefined,
  deadline: number,
): Promise<ScrollStep> {
  const now = deps.now ?? Date.now;
  const slot = deps.slots
    ? await deps.slots.take(deadline - MIN_CALL_MS, now())
    : await deps.governor.acquire(deps.workspace, deadline - MIN_CALL_MS, 1, { [deps.spender]: 1 });
  if (!slot.ok) return { kind: 'wait', retryAt: slot.retryAt };
  const request = buildRequest(
    op,
    param === undefined ? { ...input, scroll: undefined } : { ...input, scroll: param },
    deps.client.version,
  );
  try {
    const result = await deps.client.send(request, {
      retrySafe: false,
      maxRetries: 0,
      timeoutMs: Math.max(1_000, Math.min(MAX_CALL_MS, deadline - now())),
    });
    if (result.rateLimit) await deps.governor.observe(deps.workspace, result.rateLimit);
    const items = extractItems(op, result.data);
    if (items.length === 0) return { kind: 'end' };
    const next = (result.data as { scroll_param?: unknown } | null)?.scroll_param;
    if (typeof next !== 'string' || next.length === 0) return { kind: 'end' };
    return { kind: 'page', items, param: next };
  } catch (caught) {
    const error = await pageFailure(deps, caught, now);
    if (!(error instanceof IntercomError)) return error;
    if (error instanceof IntercomScrollExistsError) return { kind: 'busy', message: error.message };
    if (hadNoEffect(error)) return { kind: 'wait', retryAt: now() + RESEND_MS };
    if (param !== undefined && error instanceof IntercomHttpError && error.status === 404)
      return { kind: 'restart', reason: 'expired', message: error.message };
    if (error.retryable) return { kind: 'restart', reason: 'failed', message: error.message };
    throw error;
  }
}
