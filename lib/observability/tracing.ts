/**
 * X-Ray subsegments, sent the way the X-Ray SDK sends them in Lambda, without the SDK.
 *
 * With active tracing, Lambda records every sampled invocation itself (its `AWS::Lambda::Function`
 * segment) and runs an X-Ray daemon beside the function. A function adds subsegments under its
 * invocation by sending segment documents to that daemon over UDP (`AWS_XRAY_DAEMON_ADDRESS`), with
 * the trace id and parent id of the trace header Lambda gives the invocation (`_X_AMZN_TRACE_ID`:
 * `Root=...;Parent=...;Sampled=1`). That is all the X-Ray SDK does in Lambda.
 *
 * Why not Powertools Tracer, which wraps that SDK: loading it costs about 100 ms at init here, more
 * than the whole cold start of an action function (docs/benchmarks.md), and loading it lazily would
 * only move that cost into the first request. This module loads nothing until the first subsegment of
 * a sampled invocation has been built, sends after the response (see `send`), and where tracing is off
 * (locally, in tests) each traced call costs one boolean test.
 *
 * Formats, from the X-Ray developer guide: "AWS X-Ray segment documents" (a subsegment sent on its
 * own has `type: "subsegment"`, its `trace_id` and its `parent_id`) and "Sending segment documents to
 * the X-Ray daemon" (one datagram per document: the header `{"format":"json","version":1}`, a
 * newline, the document).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:dgram';
import type { SQSRecord } from 'aws-lambda';
import type { AttemptInfo } from '../intercom/client.ts';
import { IntercomHttpError } from '../intercom/errors.ts';

/** An X-Ray trace header: `X-Amzn-Trace-Id`, Lambda's `_X_AMZN_TRACE_ID`, SQS's `AWSTraceHeader`. */
export interface TraceHeader {
  root: string;
  parent: string | undefined;
  sampled: boolean;
}

/** Reads `Root=1-...;Parent=...;Sampled=1` (any order, other fields ignored). */
export function parseTraceHeader(value: string | undefined): TraceHeader | undefined {
  if (!value) return undefined;
  let root: string | undefined;
  let parent: string | undefined;
  let sampled = false;
  for (const field of value.split(';')) {
    const eq = field.indexOf('=');
    if (eq < 0) continue;
    const key = field.slice(0, eq).trim();
    const text = field.slice(eq + 1).trim();
    if (key === 'Root') root = text;
    else if (key === 'Parent') parent = text;
    else if (key === 'Sampled') sampled = text === '1';
  }
  return root ? { root, parent, sampled } : undefined;
}

export interface DaemonAddress {
  host: string;
  port: number;
}

/** `host:port`, or the SDKs' `tcp:host:port udp:host:port` form (subsegments go to the UDP one). */
export function parseDaemonAddress(value: string | undefined): DaemonAddress | undefined {
  const text = value?.trim();
  if (!text) return undefined;
  const parts = text.split(/\s+/);
  const udp =
    parts.find((p) => p.startsWith('udp:'))?.slice(4) ??
    (parts.length === 1 && !parts[0]!.startsWith('tcp:') ? parts[0] : undefined);
  if (!udp) return undefined;
  const colon = udp.lastIndexOf(':');
  const host = udp.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const port = Number(udp.slice(colon + 1));
  if (colon <= 0 || !host || !Number.isInteger(port) || port < 1 || port > 65_535) return undefined;
  return { host, port };
}

export type Annotation = string | number | boolean;

/** One subsegment document (the fields this project sends). */
export interface SubsegmentDocument {
  name: string;
  id: string;
  trace_id: string;
  parent_id: string;
  type: 'subsegment';
  start_time: number;
  end_time: number;
  namespace?: 'remote';
  http?: { request: { method: string; url: string }; response?: { status: number } };
  annotations?: Record<string, Annotation>;
  metadata?: Record<string, Record<string, unknown>>;
  error?: true;
  fault?: true;
  throttle?: true;
  cause?: { exceptions: { id: string; type: string; message: string; remote?: boolean }[] };
}

/** What the project's metadata goes under in a subsegment (X-Ray groups metadata by namespace). */
const METADATA_NAMESPACE = 'intercom-actions';

/** X-Ray names: letters, digits, whitespace and `_ . : / % & # = + \ - @`, 200 characters at most. */
function segmentName(name: string): string {
  return name.replace(/[^\p{L}\p{N}\s_.:/%&#=+\\\-@]/gu, '_').slice(0, 200);
}

const newId = () => randomBytes(8).toString('hex');

/** A subsegment being recorded; sent when it ends. */
export class Subsegment {
  readonly id = newId();
  readonly #start = Date.now();
  readonly #annotations: Record<string, Annotation> = {};
  readonly #metadata: Record<string, unknown> = {};
  readonly name: string;
  readonly traceId: string;
  readonly parentId: string;

  constructor(name: string, traceId: string, parentId: string) {
    this.name = name;
    this.traceId = traceId;
    this.parentId = parentId;
  }

  /** Indexed values, searchable with filter expressions (X-Ray indexes 50 per trace). */
  annotate(values: Readonly<Record<string, Annotation | undefined>>): void {
    for (const [key, value] of Object.entries(values))
      if (value !== undefined) this.#annotations[key] = value;
  }

  /** Values kept with the trace, not indexed. */
  addMetadata(values: Readonly<Record<string, unknown>>): void {
    for (const [key, value] of Object.entries(values)) if (value !== undefined) this.#metadata[key] = value;
  }

  document(error?: unknown): SubsegmentDocument {
    const doc: SubsegmentDocument = {
      name: segmentName(this.name),
      id: this.id,
      trace_id: this.traceId,
      parent_id: this.parentId,
      type: 'subsegment',
      start_time: this.#start / 1000,
      end_time: Date.now() / 1000,
    };
    if (Object.keys(this.#annotations).length > 0) doc.annotations = { ...this.#annotations };
    if (Object.keys(this.#metadata).length > 0)
      doc.metadata = { [METADATA_NAMESPACE]: { ...this.#metadata } };
    if (error !== undefined) {
      doc.fault = true;
      // The error's type only: its message may hold data that is not the trace's to keep.
      const type = error instanceof Error ? error.name : typeof error;
      doc.cause = { exceptions: [{ id: newId(), type, message: type }] };
    }
    return doc;
  }
}

export interface TracingOptions {
  /** `AWS_XRAY_DAEMON_ADDRESS`; no address, no tracing. */
  daemonAddress?: string | undefined;
  /** `POWERTOOLS_TRACE_ENABLED=false` turns tracing off where the daemon is there. */
  enabled?: boolean;
  /** The current invocation's trace header (Lambda's invoke store, else `_X_AMZN_TRACE_ID`). */
  traceHeader?: () => string | undefined;
}

/** Lambda's per-invocation store, where the runtime has one (several invocations at once). */
interface InvokeStoreGlobal {
  awslambda?: { InvokeStore?: { getXRayTraceId(): string | undefined } };
}

function lambdaTraceHeader(): string | undefined {
  return (
    (globalThis as InvokeStoreGlobal).awslambda?.InvokeStore?.getXRayTraceId() ?? process.env._X_AMZN_TRACE_ID
  );
}

const DAEMON_HEADER = '{"format":"json","version":1}\n';

/** Sends subsegments of sampled invocations to the X-Ray daemon. */
export class Tracing {
  readonly enabled: boolean;
  readonly #daemon: DaemonAddress | undefined;
  readonly #traceHeader: () => string | undefined;
  readonly #open = new AsyncLocalStorage<Subsegment>();
  #socket: Socket | undefined;
  #queue: SubsegmentDocument[] = [];
  /** The last header read and what it says: one invocation's attempts share it. */
  #lastHeader: { text: string | undefined; parsed: TraceHeader | undefined } = {
    text: undefined,
    parsed: undefined,
  };

  constructor(options: TracingOptions) {
    this.#daemon = parseDaemonAddress(options.daemonAddress);
    this.enabled = this.#daemon !== undefined && options.enabled !== false;
    this.#traceHeader = options.traceHeader ?? lambdaTraceHeader;
  }

  #header(): TraceHeader | undefined {
    const text = this.#traceHeader();
    if (text !== this.#lastHeader.text) this.#lastHeader = { text, parsed: parseTraceHeader(text) };
    return this.#lastHeader.parsed;
  }

  /**
   * Where a subsegment starting now goes: under the innermost open subsegment of this invocation,
   * else under the invocation's own segment; nowhere when the invocation is not sampled.
   */
  #parent(): { traceId: string; parentId: string } | undefined {
    const header = this.#header();
    if (!header?.sampled || !header.parent) return undefined;
    const open = this.#open.getStore();
    if (open && open.traceId === header.root) return { traceId: open.traceId, parentId: open.id };
    return { traceId: header.root, parentId: header.parent };
  }

  /**
   * Runs `fn` in a subsegment of its own: subsegments started inside it (Intercom calls) are its
   * children. A throw marks it as a fault. Without tracing, `fn` runs as it is.
   */
  async withSubsegment<T>(name: string, fn: (subsegment: Subsegment | undefined) => Promise<T>): Promise<T> {
    const parent = this.enabled ? this.#parent() : undefined;
    if (!parent) return fn(undefined);
    const subsegment = new Subsegment(name, parent.traceId, parent.parentId);
    try {
      const result = await this.#open.run(subsegment, () => fn(subsegment));
      this.send(subsegment.document());
      return result;
    } catch (error) {
      this.send(subsegment.document(error));
      throw error;
    }
  }

  /** The innermost open subsegment of this invocation, to annotate. */
  current(): Subsegment | undefined {
    return this.enabled ? this.#open.getStore() : undefined;
  }

  /**
   * One Intercom attempt, as a subsegment that has just ended: `Intercom <operation>`, with the
   * operation, status and attempt as annotations and the rate-limit headroom as metadata.
   */
  intercomAttempt(info: AttemptInfo): void {
    if (!this.enabled) return;
    const parent = this.#parent();
    if (!parent) return;
    const end = Date.now();
    const operation = info.operation ?? `${info.method} ${info.path}`;
    const doc: SubsegmentDocument = {
      name: segmentName(`Intercom ${operation}`),
      id: newId(),
      trace_id: parent.traceId,
      parent_id: parent.parentId,
      type: 'subsegment',
      start_time: (end - info.durationMs) / 1000,
      end_time: end / 1000,
      namespace: 'remote',
      http: { request: { method: info.method, url: info.baseUrl + info.path } },
      annotations: { operation, attempt: info.attempt },
    };
    const metadata: Record<string, unknown> = {};
    if (info.status !== undefined) {
      doc.http!.response = { status: info.status };
      doc.annotations!.status = info.status;
      if (info.status === 429) doc.throttle = true;
      if (info.status >= 400 && info.status < 500) doc.error = true;
      else if (info.status >= 500) doc.fault = true;
    } else if (info.error) {
      // No answer (timeout, dropped connection): Intercom's side of the call failed.
      doc.fault = true;
    }
    if (info.rateLimit) {
      metadata.rateLimitRemaining = info.rateLimit.remaining;
      metadata.rateLimitLimit = info.rateLimit.limit;
    }
    if (info.error) {
      metadata.errorCode = info.error.code;
      if (info.error instanceof IntercomHttpError) {
        metadata.intercomCode = info.error.intercomCode;
        if (info.error.requestId) metadata.intercomRequestId = info.error.requestId;
      }
      doc.cause = {
        exceptions: [{ id: newId(), type: info.error.name, message: info.error.code, remote: true }],
      };
    }
    if (Object.keys(metadata).length > 0) doc.metadata = { [METADATA_NAMESPACE]: metadata };
    this.send(doc);
  }

  /**
   * Queues a document for the daemon; a lost one is a gap in a trace, never an error of the call.
   * Documents leave together once the current work yields to the event loop (`setImmediate`), never
   * on the request's own path: the first one creates the socket, and its bind loads `node:cluster`
   * (2-9 ms of CPU here). In Lambda that is after the response: the Node runtime posts the handler's
   * result, then schedules its next poll with `setImmediate`, behind a flush queued during the
   * invocation, so the flush runs before the environment waits for its next event.
   */
  send(doc: SubsegmentDocument): void {
    if (!this.#daemon) return;
    this.#queue.push(doc);
    if (this.#queue.length === 1) setImmediate(() => this.#flush());
  }

  #flush(): void {
    const daemon = this.#daemon!;
    const docs = this.#queue;
    this.#queue = [];
    try {
      this.#socket ??= this.#createSocket(daemon);
      for (const doc of docs)
        this.#socket.send(DAEMON_HEADER + JSON.stringify(doc), daemon.port, daemon.host, () => undefined);
    } catch {
      // A socket that cannot send drops the subsegments.
    }
  }

  #createSocket(daemon: DaemonAddress): Socket {
    // Loaded on first use: a process that never sends a subsegment never loads it.
    const dgram = process.getBuiltinModule('node:dgram');
    const socket = dgram.createSocket(daemon.host.includes(':') ? 'udp6' : 'udp4');
    socket.on('error', () => undefined);
    // Never what keeps a process (a test, the local stack) alive.
    socket.unref();
    return socket;
  }

  /** Closes the socket (tests). */
  close(): void {
    this.#socket?.close();
    this.#socket = undefined;
  }
}

/**
 * What a queued message's subsegment records of it: its id, and the trace that queued it. SQS keeps
 * the sender's trace header (`AWSTraceHeader`) when the sender was traced; Lambda links the worker's
 * invocation to those traces itself, and this names the one each item came from.
 */
export function queuedMessage(record: SQSRecord): Record<string, unknown> {
  return {
    messageId: record.messageId,
    producerTraceId: parseTraceHeader(record.attributes.AWSTraceHeader)?.root,
  };
}

let shared: Tracing | undefined;

/** The process's tracing, from its environment at first use (the functions' Lambda environment). */
export function tracing(): Tracing {
  shared ??= new Tracing({
    daemonAddress: process.env.AWS_XRAY_DAEMON_ADDRESS,
    enabled: process.env.POWERTOOLS_TRACE_ENABLED?.toLowerCase() !== 'false',
  });
  return shared;
}

/** The `onAttempt` hook's tracing half (see lib/workspaces/clients.ts). */
export function traceIntercomAttempt(info: AttemptInfo): void {
  tracing().intercomAttempt(info);
}
