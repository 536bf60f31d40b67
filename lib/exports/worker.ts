/**
 * The export worker: one SQS message carries one export forward for one invocation. It pages through
 * the scroll (lib/scroll: the lock, the governor, restarts), writes records as lines into a buffer,
 * uploads a part each time the buffer reaches the part size (with the ids of its records beside it,
 * then the record's progress), and before its time runs out hands over: the buffer goes to the carry
 * object, the progress and the scroll param to the record, and a new message continues the export.
 * Memory holds one part at most, plus the ids already written (12 bytes each, lib/exports/id-set.ts)
 * once a scroll restarted, or from the start for a list.
 *
 * Pages are serial, but writing one does not need the next: the next page is asked for as soon as a
 * page arrives (its param or number is known), then the page is written while the request is out, so
 * Intercom's latency hides our work. One request at most is ahead, and it is always taken and written
 * before the export is handed over or finished, so the saved position never lags what Intercom served.
 *
 * What a continuation finds is all in the record. An invocation that died (its token still on the
 * record) left records behind that were read but never made durable, and the scroll moved past them:
 * the next invocation restarts the scroll and skips the ids of the durable ones, as after a 500.
 *
 * A list export (a paged list narrowed by a tag or segment, lib/exports/exportable.ts) takes no scroll
 * lock: the list keeps no state on Intercom's side. Its position is the next page's number, saved with
 * each part, so a continuation, or the invocation after one that died, asks for the page after the
 * last durable one. Pages may shift while it runs (a user tagged meanwhile), so it always skips ids
 * already written. It ends at the list's end or at Intercom's cap (10,000 records), then `capped`.
 */
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { findOperation } from '../catalog/index.ts';
import { WorkspaceNotConfiguredError } from '../config/types.ts';
import type { RateGovernor } from '../governor/rate-governor.ts';
import type { IntercomClient } from '../intercom/client.ts';
import { IntercomError } from '../intercom/errors.ts';
import { appendLogKeys, logger, withLogKeys } from '../observability/logger.ts';
import type { WorkQueue } from '../queue/work-queue.ts';
import { type ListStep, listStep } from '../scroll/list-pager.ts';
import { SCROLL_IDLE_MS, type ScrollLock } from '../scroll/lock.ts';
import { PageSlots } from '../scroll/page-slots.ts';
import { type ScrollStep, scrollStep } from '../scroll/pager.ts';
import { exportMode, LIST_PER_PAGE } from './exportable.ts';
import type { ExportFiles } from './files.ts';
import { lineFormat } from './format.ts';
import { IdSet } from './id-set.ts';
import { decodeExportMessage, type ExportMessage, encodeExportMessage } from './messages.ts';
import { PartBuffer } from './part-buffer.ts';
import type { ExportProgress, ExportRecord, ExportStore } from './store.ts';

export interface ExportWorkerDeps {
  store: ExportStore;
  files: ExportFiles;
  lock: ScrollLock;
  governor: RateGovernor;
  queue: WorkQueue;
  clientFor: (workspace: string) => IntercomClient;
  partBytes: number;
  /** Most time per invocation (0: until END_MARGIN_MS before the Lambda's end). */
  invocationMs: number;
  scrollWaitSeconds: number;
  maxRestarts: number;
  now?: () => number;
  /**
   * Time kept back from the Lambda's end to hand over (default 5 s), and how soon an export waiting
   * for another scroll looks again (default 10 s). Only tests change them: with a function timeout of
   * a few seconds a dead invocation's scroll lease (which ends with its timeout) runs out sooner.
   */
  endMarginMs?: number;
  busyRetrySeconds?: number;
  /** Test hook: runs after a page was read and before anything of it is durable (crash tests). */
  afterPage?: (exportId: string, pages: number) => void | Promise<void>;
}

/** Room in the part's buffer past the part size, for the page that crosses it (100 records, ~100 KB). */
const PAGE_ROOM_BYTES = 512 * 1024;
const gzipAsync = promisify(gzip);
/** Time kept back from the Lambda's end to hand over. */
const END_MARGIN_MS = 5_000;
/** How soon an export waiting for another scroll looks again. */
const BUSY_RETRY_SECONDS = 10;
/** How soon a list page that failed (500, timeout) is asked for again. */
const LIST_RETRY_MS = 500;

export const carryKey = (key: string) => `${key}.carry`;
export const idsKey = (key: string, n: number) => `${key}.ids/${String(n).padStart(6, '0')}`;

function idOf(item: unknown): string | undefined {
  const id = item !== null && typeof item === 'object' ? (item as { id?: unknown }).id : undefined;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
}

export function createExportWorker(deps: ExportWorkerDeps) {
  const now = deps.now ?? Date.now;
  const endMarginMs = deps.endMarginMs ?? END_MARGIN_MS;
  const busyRetrySeconds = deps.busyRetrySeconds ?? BUSY_RETRY_SECONDS;

  /** `stopAt`: no page starts after it; `deadline`: the Lambda's own end, less the margin. */
  async function run(message: ExportMessage, stopAt: number, deadline: number): Promise<void> {
    appendLogKeys({ exportId: message.exportId });
    const token = randomUUID();
    const holder = { workspace: message.workspace, owner: `export:${message.exportId}`, token };
    const ref = { workspace: message.workspace, ownerId: message.ownerId, exportId: message.exportId };
    // Messages queued before they named the operation: the record does.
    const operation = message.operation ?? (await deps.store.get(ref))?.operation;
    const op = operation === undefined ? undefined : findOperation(operation);
    const mode = op && exportMode(op);
    if (!op || !mode) {
      const current = await deps.store.get(ref);
      if (current && current.status !== 'succeeded' && current.status !== 'failed')
        await failUnheld(current, 'unknown_operation', `${operation} can no longer be exported`);
      return;
    }
    // A list keeps no state on Intercom's side: only scrolls take the per-workspace scroll lock.
    const scrolls = mode.kind === 'scroll';
    if (scrolls) {
      const lease = await deps.lock.acquire(holder, deadline + endMarginMs, now());
      if (!lease.ok) {
        // Another export of this workspace scrolls: come back when its lease ends, or give up.
        const current = await deps.store.get(ref);
        if (!current || current.status === 'succeeded' || current.status === 'failed') return;
        const since = current.waitingSince ?? now();
        if (now() - since > deps.scrollWaitSeconds * 1000) {
          await failUnheld(
            current,
            'scroll_busy',
            `Another export of this workspace held the scroll for over ${deps.scrollWaitSeconds} s`,
          );
          return;
        }
        await deps.queue.sendLater(encodeExportMessage(message), Math.max(1, (lease.until - now()) / 1000));
        return;
      }
    }
    const releaseLock = async () => {
      if (scrolls) await deps.lock.release(holder);
    };
    const begun = await deps.store.begin(ref, token, now());
    if (!begun) {
      await releaseLock();
      return;
    }
    const r = begun.record;
    let client: IntercomClient;
    const progress: ExportProgress = {
      records: r.records,
      pages: r.pages,
      restarts: r.restarts,
      bytes: r.bytes,
      parts: [...(r.parts ?? [])],
      carryBytes: r.carryBytes,
      idsLists: r.idsLists,
      runToken: token,
      ...(r.param !== undefined ? { param: r.param } : {}),
      ...(r.page !== undefined ? { page: r.page } : {}),
      ...(r.uploadId !== undefined ? { uploadId: r.uploadId } : {}),
      ...(r.waitingSince !== undefined ? { waitingSince: r.waitingSince } : {}),
    };
    const save = async (p: ExportProgress) => {
      if (!(await deps.store.save(ref, token, p))) throw new LostExport();
    };
    try {
      client = deps.clientFor(r.workspace);
    } catch (error) {
      if (!(error instanceof WorkspaceNotConfiguredError)) throw error;
      await save({
        ...progress,
        status: 'failed',
        finishedAt: now(),
        error: { code: error.code, message: error.message },
        runToken: null,
      });
      await releaseLock();
      return;
    }
    const format = lineFormat(r.format, r.fields);
    const contentType = r.gzip
      ? 'application/gzip'
      : r.format === 'csv'
        ? 'text/csv'
        : 'application/x-ndjson';
    // The buffer: the carry of the last invocation, or the header of a new file.
    const part = new PartBuffer(deps.partBytes + PAGE_ROOM_BYTES);
    if (progress.carryBytes > 0) part.append(await deps.files.get(carryKey(r.key)));
    else if (progress.parts.length === 0 && format.header) part.write(format.header);
    /** Ids of records in the buffer not yet in an id list. */
    let pendingIds: string[] = [];
    /** Ids already in the file: loaded once a scroll restarts, and from the start for a list. */
    let seen: IdSet | undefined;
    const loadSeen = async () => {
      if (seen) return;
      seen = new IdSet();
      for (const id of pendingIds) seen.add(id);
      for (let n = 1; n <= progress.idsLists; n++) {
        const text = (await deps.files.get(idsKey(r.key, n))).toString();
        for (const id of text.split('\n')) if (id) seen.add(id);
      }
    };
    const restart = async () => {
      progress.restarts++;
      delete progress.param;
      if (progress.restarts > deps.maxRestarts)
        throw new ExportFailure(
          'scroll_failed',
          `The scroll was restarted ${deps.maxRestarts} times without finishing`,
        );
      await loadSeen();
    };
    /** A page's records as lines (one string, one Buffer), skipping ids already written. */
    const write = (items: readonly unknown[]) => {
      let text = '';
      for (const item of items) {
        const id = idOf(item);
        if (id !== undefined) {
          if (seen && !seen.add(id)) continue;
          pendingIds.push(id);
        }
        text += format.line(item);
        progress.records++;
      }
      if (text) part.write(text);
    };
    const writeIds = async () => {
      if (pendingIds.length === 0) return;
      await deps.files.put(idsKey(r.key, progress.idsLists + 1), `${pendingIds.join('\n')}\n`, 'text/plain');
      progress.idsLists++;
      pendingIds = [];
    };
    /** What is gathered, as it goes into the file: a view of the buffer, until it is cleared. */
    const body = async (): Promise<Uint8Array> => {
      // Compressed on libuv's threads: the event loop takes the next page meanwhile.
      return r.gzip ? await gzipAsync(part.view()) : part.view();
    };
    const flushPart = async () => {
      progress.uploadId ??= await deps.files.startUpload(r.key, contentType);
      const data = await body();
      const uploaded = await deps.files.uploadPart(r.key, progress.uploadId, progress.parts.length + 1, data);
      part.clear();
      await writeIds();
      progress.parts.push(uploaded);
      progress.bytes += data.length;
      progress.carryBytes = 0;
      await save(progress);
    };
    const handOver = async (delaySeconds: number, status: 'running' | 'waiting') => {
      if (part.length > 0) await deps.files.put(carryKey(r.key), part.view());
      progress.carryBytes = part.length;
      await writeIds();
      await save({ ...progress, status, runToken: null });
      if (scrolls && progress.param !== undefined) await deps.lock.handOver(holder, now() + SCROLL_IDLE_MS);
      else await releaseLock();
      await deps.queue.sendLater(encodeExportMessage({ ...message, operation: op.name }), delaySeconds);
    };
    /** No budget or a 429: wait within this invocation if it fits, else from the queue. */
    const waitUntil = async (retryAt: number): Promise<boolean> => {
      if (retryAt < stopAt) {
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, retryAt - now())));
        return true;
      }
      await handOver((retryAt - now()) / 1000, 'running');
      return false;
    };
    const spender = `export_${r.exportId}`;
    const pager = {
      client,
      governor: deps.governor,
      workspace: r.workspace,
      spender,
      slots: new PageSlots(deps.governor, r.workspace, spender),
      now,
    };

    async function scrollPages(): Promise<void> {
      if (begun!.previousToken !== null) {
        // The last invocation died: what it had read past the record's state is lost, so start over.
        logger().warn('Export resumed after an invocation died: restarting the scroll');
        await restart();
      } else if (progress.restarts > 0) await loadSeen();
      const ahead = new PageAhead<ScrollStep>();
      try {
        for (;;) {
          if (!ahead.pending) {
            if (now() >= stopAt) return await handOver(0, 'running');
            ahead.send(scrollStep(pager, op!, {}, progress.param, deadline));
          }
          const step = await ahead.take();
          if (step.kind === 'page') {
            if (progress.waitingSince !== undefined) delete progress.waitingSince;
            progress.pages++;
            progress.param = step.param;
            // The next page is asked for before this one is written: its latency hides our work.
            if (now() < stopAt) ahead.send(scrollStep(pager, op!, {}, step.param, deadline));
            write(step.items);
            await deps.afterPage?.(r.exportId, progress.pages);
            if (part.length >= deps.partBytes) await flushPart();
            continue;
          }
          if (step.kind === 'end') return await finish();
          if (step.kind === 'restart') {
            logger().info('Export scroll restarts', { reason: step.reason });
            await restart();
            continue;
          }
          if (step.kind === 'busy') {
            progress.waitingSince ??= now();
            if (now() - progress.waitingSince > deps.scrollWaitSeconds * 1000)
              throw new ExportFailure(
                'scroll_busy',
                `Another scroll of this Intercom app stayed open for over ${deps.scrollWaitSeconds} s (Intercom allows one at a time): ${step.message}`,
              );
            return await handOver(busyRetrySeconds, 'waiting');
          }
          if (!(await waitUntil(step.retryAt))) return;
        }
      } finally {
        await ahead.settle();
      }
    }

    async function listPages(): Promise<void> {
      // The record's page is the one after the last durable record, whoever ran before (a dead
      // invocation included): nothing to restart. Pages may shift under us: skip ids already written.
      await loadSeen();
      let totalCount: number | undefined;
      const ahead = new PageAhead<ListStep>();
      const ask = (page: number) =>
        ahead.send(listStep(pager, op!, r.params ?? {}, page, LIST_PER_PAGE, deadline));
      try {
        for (;;) {
          if (!ahead.pending) {
            if (now() >= stopAt) return await handOver(0, 'running');
            ask(progress.page ?? 1);
          }
          const step = await ahead.take();
          if (step.kind === 'page') {
            progress.pages++;
            totalCount = step.totalCount ?? totalCount;
            if (step.next !== null && now() < stopAt) ask(step.next);
            write(step.items);
            await deps.afterPage?.(r.exportId, progress.pages);
            if (step.next === null) {
              if (totalCount !== undefined && totalCount > step.position) {
                progress.capped = true;
                progress.available = totalCount;
              }
              return await finish();
            }
            progress.page = step.next;
            if (part.length >= deps.partBytes) await flushPart();
            continue;
          }
          if (step.kind === 'capped') {
            progress.capped = true;
            if (totalCount !== undefined) progress.available = totalCount;
            return await finish();
          }
          if (step.kind === 'retry') {
            progress.restarts++;
            if (progress.restarts > deps.maxRestarts)
              throw new ExportFailure(
                'list_failed',
                `List pages failed ${deps.maxRestarts} times (last: ${step.message})`,
              );
            logger().info('Export list page asked again', {
              page: progress.page ?? 1,
              message: step.message,
            });
            if (!(await waitUntil(now() + LIST_RETRY_MS))) return;
            continue;
          }
          if (!(await waitUntil(step.retryAt))) return;
        }
      } finally {
        await ahead.settle();
      }
    }

    try {
      if (scrolls) await scrollPages();
      else await listPages();
    } catch (error) {
      if (error instanceof LostExport) return;
      if (error instanceof ExportFailure || (error instanceof IntercomError && !error.retryable)) {
        const code = error instanceof ExportFailure ? error.code : error.code;
        await save({
          ...progress,
          status: 'failed',
          finishedAt: now(),
          error: { code, message: error.message },
          runToken: null,
        });
        await releaseLock();
        return;
      }
      throw error;
    } finally {
      // No governor request of this invocation outlives it.
      await pager.slots.settle();
    }

    async function finish(): Promise<void> {
      if (progress.parts.length === 0) {
        const data = await body();
        await deps.files.put(r.key, data, contentType);
        progress.bytes = data.length;
      } else {
        if (part.length > 0) {
          const data = await body();
          progress.parts.push(
            await deps.files.uploadPart(r.key, progress.uploadId!, progress.parts.length + 1, data),
          );
          progress.bytes += data.length;
        }
        await deps.files.complete(r.key, progress.uploadId!, progress.parts);
      }
      delete progress.param;
      delete progress.page;
      await save({ ...progress, carryBytes: 0, status: 'succeeded', finishedAt: now(), runToken: null });
      await releaseLock();
      logger().info('Export finished', {
        records: progress.records,
        pages: progress.pages,
        restarts: progress.restarts,
        ...(progress.capped ? { capped: true } : {}),
      });
    }
  }

  async function failUnheld(record: ExportRecord, code: string, message: string): Promise<void> {
    const token = randomUUID();
    const begun = await deps.store.begin(record, token, now());
    if (!begun) return;
    await deps.store.save(record, token, {
      records: record.records,
      pages: record.pages,
      restarts: record.restarts,
      bytes: record.bytes,
      parts: record.parts,
      carryBytes: record.carryBytes,
      idsLists: record.idsLists,
      status: 'failed',
      finishedAt: now(),
      error: { code, message },
      runToken: null,
    });
  }

  return async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
    const remaining = context.getRemainingTimeInMillis?.() ?? 60_000;
    const budget = remaining - endMarginMs;
    const deadline = now() + budget;
    const stopAt = deps.invocationMs > 0 ? Math.min(now() + deps.invocationMs, deadline) : deadline;
    const failures: SQSBatchResponse['batchItemFailures'] = [];
    // One export per message; a batch's exports run one after another (each holds its workspace's scroll).
    for (const record of event.Records as SQSRecord[]) {
      await withLogKeys({ messageId: record.messageId }, async () => {
        const message = decodeExportMessage(record.body);
        if (!message) {
          logger().error('Unreadable export message');
          failures.push({ itemIdentifier: record.messageId });
          return;
        }
        try {
          await run(message, stopAt, deadline);
        } catch (error) {
          // Infrastructure trouble or a crash: the message comes back after its visibility timeout.
          logger().error('Export could not continue', { error: error as Error });
          failures.push({ itemIdentifier: record.messageId });
        }
      });
    }
    return { batchItemFailures: failures };
  };
}

/**
 * The one page request a serial enumerator keeps ahead of its writing. Every path that hands the
 * export over or finishes it first takes the page ahead (a scroll's position moved when it was
 * sent, so its records must be written before the position is saved); an invocation ending on an
 * error lets it settle and leaves it unwritten, which the next invocation treats as a death.
 */
class PageAhead<T> {
  #pending: Promise<T> | undefined;

  get pending(): boolean {
    return this.#pending !== undefined;
  }

  send(step: Promise<T>): void {
    // Taken later, or settled on the way out: never an unhandled rejection meanwhile.
    step.catch(() => undefined);
    this.#pending = step;
  }

  take(): Promise<T> {
    const step = this.#pending!;
    this.#pending = undefined;
    return step;
  }

  async settle(): Promise<void> {
    const step = this.#pending;
    this.#pending = undefined;
    if (step) await step.catch(() => undefined);
  }
}

class LostExport extends Error {}

class ExportFailure extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}
