/**
 * A for-each run: a rule that enumerates a scroll or a list, keeps the records its `where` holds for,
 * and hands its one action for each of them to the bulk path as a job the workspace owns (through
 * the core's WorkspaceJobs port; automations never touch bulk's internals). One run may span several
 * invocations of the automation worker: it hands over before its time runs out, its position and
 * progress kept in the automations table (for-each-store.ts).
 *
 * Exactly once, whatever fails:
 * - records go to the job in chunks, one per page with matches; a chunk is saved (with its records'
 *   ids) before it is submitted, and a saved chunk is submitted again on the next invocation (the bulk
 *   path takes a repeated chunk as a replay);
 * - an invocation that died left its position unknown (a scroll moves on as it is read): the next one
 *   restarts the enumeration from the beginning and skips every id already handed over, as exports do
 *   after Intercom's 500s; so does a scroll restarted for a 500 or an expired param;
 * - scrolls go through the workspace's scroll lock (one open scroll per app, shared with exports) and
 *   every page through the rate governor, like bulk jobs and exports.
 * A rule's runs never overlap: a run takes the rule's lease, and a run triggered while another is still
 * enumerating is skipped, with the reason in the run log.
 */
import { randomUUID } from 'node:crypto';
import { findOperation } from '../catalog/index.ts';
import type { WorkspaceJobs } from '../delivery/workspace-jobs.ts';
import { DomainError } from '../errors.ts';
import type { RateGovernor } from '../governor/rate-governor.ts';
import type { IntercomClient } from '../intercom/client.ts';
import { logger } from '../observability/logger.ts';
import { listStep } from '../scroll/list-pager.ts';
import { SCROLL_IDLE_MS, type ScrollLock } from '../scroll/lock.ts';
import { scrollStep } from '../scroll/pager.ts';
import { conditionHolds } from './conditions.ts';
import { recordRoot } from './for-each-rules.ts';
import type { ForEachState, ForEachStore } from './for-each-store.ts';
import type { ActionResult } from './run-records.ts';
import { inputOf } from './triggers.ts';
import type { Action, Notification, Rule } from './types.ts';

export interface ForEachDeps {
  store: ForEachStore;
  /** Absent where the bulk path is not deployed: for-each runs then fail with `bulk_unavailable`. */
  jobs: WorkspaceJobs | undefined;
  lock: ScrollLock;
  governor: RateGovernor;
  clientFor: (workspace: string) => IntercomClient;
  /** Renders an action's templates against `root` (the trigger's input, with the record as `item`). */
  render: (action: Action, root: unknown) => { operation: string; input: Record<string, unknown> };
  now: () => number;
  /** Test hook: runs after a chunk went to the job and before the run recorded so (crash tests). */
  afterChunk?: (notificationId: string, offset: number) => void | Promise<void>;
}

export interface ForEachRun {
  workspace: string;
  notification: Notification;
  rule: Rule;
  /** No page starts after this (epoch ms): the invocation hands over instead. */
  deadline: number;
  /** The message's last delivery: finish with what was handed over rather than hand over again. */
  lastReceive: boolean;
}

export type ForEachOutcome =
  | { kind: 'done'; result: ActionResult }
  /** Another run of the rule (`holder`, a notification id) is still enumerating. */
  | { kind: 'skipped'; holder: string }
  /** Handed over: deliver the notification again at `at`. */
  | { kind: 'continue'; at: number };

/** How long a rule's lease outlives its run's last sign of life (hand-overs renew it). */
const LEASE_MS = 10 * 60_000;
/** The least time a page is given before the deadline. */
const PAGE_MS = 3_000;
/** Scroll restarts (500s, expired params, dead invocations) before a run gives up. */
const MAX_RESTARTS = 10;
/** How soon a run waiting for the scroll lock looks again. */
const LOCK_RETRY_MS = 10_000;

function idOf(record: unknown): string | undefined {
  const id = record !== null && typeof record === 'object' ? (record as { id?: unknown }).id : undefined;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
}

type Step =
  | { kind: 'page'; items: unknown[]; position: string | undefined; last: boolean }
  | { kind: 'restart'; message: string }
  /** The same list page again (a 500 or a timeout: a GET changed nothing). */
  | { kind: 'retry'; message: string }
  | { kind: 'wait'; at: number };

/** Records per list page: Intercom 1.x serves up to 60; 50 as the list exports ask. */
const LIST_PER_PAGE = 50;

export async function runForEach(deps: ForEachDeps, run: ForEachRun): Promise<ForEachOutcome> {
  const { workspace, notification: n, rule } = run;
  const forEach = rule.forEach!;
  const action = rule.actions[0]!;
  const now = deps.now;
  const lease = await deps.store.takeLease(workspace, rule.name, n.id, now() + LEASE_MS, now());
  if (!lease.ok) return { kind: 'skipped', holder: lease.holder };

  const loaded = await deps.store.load(workspace, n.id, rule.name);
  const state: ForEachState = loaded ?? { offset: 0, seen: new Set(), scanned: 0, pages: 0, restarts: 0 };
  const resultOf = (done: NonNullable<ForEachState['done']>): ActionResult => ({
    operation: action.operation,
    status: done.error ? 'failed' : 'succeeded',
    ...(done.error ? { error: done.error } : {}),
    ...(done.jobId ? { jobId: done.jobId } : {}),
    scanned: state.scanned,
    matched: done.matched,
    truncated: done.truncated,
  });
  if (state.done) {
    await deps.store.releaseLease(workspace, rule.name, n.id);
    return { kind: 'done', result: resultOf(state.done) };
  }

  const token = randomUUID();
  const found = state.token;
  if (found !== undefined) {
    // The invocation before died mid-run: where its enumeration stood is unknown.
    state.position = undefined;
    state.restarts++;
  }
  state.token = token;
  if (!(await deps.store.save(workspace, n.id, rule.name, state, found, now()))) {
    return { kind: 'continue', at: now() + LOCK_RETRY_MS };
  }
  const save = () => deps.store.save(workspace, n.id, rule.name, state, token, now());

  let jobId: string | undefined;
  /** False when the job was closed already: an invocation that closed it died before saving so. */
  const submit = async (offset: number, items: Record<string, unknown>[], final: boolean) => {
    try {
      jobId = (
        await deps.jobs!.submit({
          workspace,
          operation: action.operation,
          name: `foreach:${n.id}:${rule.name}`,
          createdBy: `rule:${rule.name}`,
          offset,
          items,
          final,
        })
      ).jobId;
      return true;
    } catch (error) {
      if (error instanceof DomainError && error.code === 'job_closed') return false;
      throw error;
    }
  };

  const finish = async (done: NonNullable<ForEachState['done']>): Promise<ForEachOutcome> => {
    // The job is closed with what was handed over, so its items run (and it completes).
    if (state.offset > 0 && deps.jobs) await submit(state.offset, [], true);
    state.done = { ...done, ...(jobId ? { jobId } : {}) };
    delete state.token;
    delete state.pending;
    await save();
    await deps.store.releaseLease(workspace, rule.name, n.id);
    return { kind: 'done', result: resultOf(state.done) };
  };

  if (!deps.jobs) {
    return finish({
      matched: 0,
      truncated: false,
      error: {
        code: 'bulk_unavailable',
        message: 'For-each rules need the bulk path, which is not configured here',
      },
    });
  }
  const closedAlready = () => finish({ matched: state.offset, truncated: false });
  if (state.pending) {
    if (!(await submit(state.pending.offset, state.pending.items, false))) return closedAlready();
    state.offset = state.pending.offset + state.pending.items.length;
    delete state.pending;
  }

  const op = findOperation(forEach.operation)!;
  // What the trigger's templates read: the notification, or the event or firing itself.
  const triggerInput = inputOf(n);
  const input = deps.render(
    { operation: forEach.operation, params: forEach.params, continueOnError: false },
    triggerInput,
  ).input;
  const scroll = op.pagination === 'scroll';
  const holder = { workspace, owner: `foreach:${n.id}:${rule.name}`, token };
  const handOver = async (at: number): Promise<ForEachOutcome> => {
    if (run.lastReceive) {
      return finish({
        matched: state.offset,
        truncated: true,
        error: {
          code: 'enumeration_incomplete',
          message: `The run was still enumerating at its notification's last delivery (${state.scanned} records read); the job holds the ${state.offset} matches found`,
        },
      });
    }
    delete state.token;
    await save();
    if (scroll) await deps.lock.handOver(holder, now() + SCROLL_IDLE_MS);
    await deps.store.takeLease(workspace, rule.name, n.id, Math.max(at, now()) + LEASE_MS, now());
    return { kind: 'continue', at };
  };

  if (scroll) {
    // A token found on the state is this run's invocation that died: its scroll lease need not expire.
    const taken = await deps.lock.acquire(holder, run.deadline + PAGE_MS, now(), found);
    if (!taken.ok) {
      logger().debug('For-each run waits for the scroll lock', { holder: taken.owner, until: taken.until });
      return handOver(Math.min(taken.until, now() + LOCK_RETRY_MS));
    }
  }
  const pager = {
    client: deps.clientFor(workspace),
    governor: deps.governor,
    workspace,
    spender: `rule:${rule.name}`,
    now,
  };
  const step = async (): Promise<Step> => {
    if (!scroll) {
      // A list keeps no state on Intercom's side: its position is the next page's number.
      const page = Number(state.position ?? 1);
      const l = await listStep(pager, op, input, page, LIST_PER_PAGE, run.deadline);
      if (l.kind === 'page') {
        return {
          kind: 'page',
          items: l.items,
          position: l.next === null ? undefined : String(l.next),
          last: l.next === null,
        };
      }
      if (l.kind === 'capped') return { kind: 'page', items: [], position: undefined, last: true };
      if (l.kind === 'retry') return { kind: 'retry', message: l.message };
      return { kind: 'wait', at: l.retryAt };
    }
    const s = await scrollStep(pager, op, input, state.position, run.deadline);
    if (s.kind === 'page') return { kind: 'page', items: s.items, position: s.param, last: false };
    if (s.kind === 'end') return { kind: 'page', items: [], position: undefined, last: true };
    if (s.kind === 'restart') return { kind: 'restart', message: s.message };
    if (s.kind === 'busy') return { kind: 'wait', at: now() + LOCK_RETRY_MS };
    return { kind: 'wait', at: s.retryAt };
  };

  const closeScroll = async () => {
    if (scroll) await deps.lock.release(holder);
  };
  let skippedRecords = 0;
  while (now() < run.deadline - PAGE_MS) {
    const s = await step();
    logger().debug('For-each step', { kind: s.kind, offset: state.offset, scanned: state.scanned });
    if (s.kind === 'wait') return handOver(s.at);
    if (s.kind === 'restart' || s.kind === 'retry') {
      state.restarts++;
      if (s.kind === 'restart') state.position = undefined;
      if (state.restarts > MAX_RESTARTS) {
        await closeScroll();
        return finish({
          matched: state.offset,
          truncated: true,
          error: {
            code: 'enumeration_failed',
            message: `Restarted ${state.restarts} times; last: ${s.message}`,
          },
        });
      }
      continue;
    }
    state.pages++;
    state.scanned += s.items.length;
    state.position = s.position;
    const chunk: PendingChunk = { offset: state.offset, items: [], ids: [] };
    let full = false;
    for (const record of s.items) {
      const id = idOf(record);
      if (id !== undefined && state.seen.has(id)) continue;
      const root = recordRoot(triggerInput, record);
      if (!forEach.where.every((condition) => conditionHolds(condition, n, root))) continue;
      if (state.offset + chunk.items.length >= forEach.maxItems) {
        full = true;
        break;
      }
      try {
        chunk.items.push(deps.render(action, root).input);
      } catch {
        // A record the action's templates cannot render (a filter given a value it does not take).
        skippedRecords++;
        continue;
      }
      chunk.ids.push(id ?? `#${state.scanned}-${chunk.items.length}`);
    }
    if (chunk.items.length > 0) {
      state.pending = chunk;
      for (const id of chunk.ids) state.seen.add(id);
      await save();
      if (!(await submit(chunk.offset, chunk.items, false))) {
        await closeScroll();
        return closedAlready();
      }
      await deps.afterChunk?.(n.id, chunk.offset);
      state.offset += chunk.items.length;
      delete state.pending;
    }
    if (full || s.last) {
      if (skippedRecords > 0)
        logger().warn('For-each records skipped: the action could not render', { skippedRecords });
      await closeScroll();
      return finish({ matched: state.offset, truncated: full });
    }
  }
  return handOver(now());
}

type PendingChunk = NonNullable<ForEachState['pending']>;
