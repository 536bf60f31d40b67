/**
 * The local EventBridge bus: `PutEvents` over the real JSON 1.1 protocol (`POST /`,
 * `X-Amz-Target: AWSEvents.PutEvents`, `application/x-amz-json-1.1`), so an application using
 * `@aws-sdk/client-eventbridge` with `endpoint: http://127.0.0.1:4011` works unchanged. Entries are
 * checked as EventBridge checks them (per-entry error codes, whole-request ValidationException), each
 * accepted event gets an id, and the events matching a rule's pattern are delivered, after the answer
 * as EventBridge does, to the same intake handler the deployed rule's target runs.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { matchesPattern } from '../automations/event-pattern.ts';
import type { EventPattern } from '../automations/types.ts';

/** EventBridge's limits: 10 entries per request, 256 KB of entries (Time counts 14 bytes). */
export const MAX_ENTRIES = 10;
export const MAX_ENTRIES_BYTES = 256 * 1024;
const JSON_11 = 'application/x-amz-json-1.1';
/** Delivery tries before an event is given up (EventBridge retries for 24 hours, then its DLQ). */
const DELIVERY_TRIES = 3;

export interface LocalEventBusOptions {
  port: number;
  /** The bus the stack's rules are on; events for another bus are accepted and go nowhere, as on AWS. */
  busName: string;
  region: string;
  account: string;
  /** The patterns of the event rules: an event matching none is not delivered. */
  patterns: readonly EventPattern[];
  /** The intake: the handler the deployed EventBridge rule's target runs. */
  deliver: (event: Record<string, unknown>) => Promise<unknown>;
  /** One line per event accepted, for the terminal. */
  onEvent?: (line: {
    id: string;
    source: string;
    detailType: string;
    bus: string;
    /** `other_bus`: put on a bus the stack's rules are not on (accepted, as AWS does, and dropped). */
    outcome: 'delivered' | 'other_bus' | 'no_rule';
  }) => void;
  /** Test hook: when the answer was sent and when delivery finished, per event id. */
  onTiming?: (id: string, stage: 'answered' | 'delivered', at: number) => void;
}

export interface LocalEventBus {
  url: string;
  busName: string;
  /** Resolves when every delivery started so far has finished (tests, shutdown). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

type ResultEntry = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

class RequestError extends Error {
  readonly type: string;
  readonly status: number;
  constructor(type: string, message: string, status = 400) {
    super(message);
    this.type = type;
    this.status = status;
  }
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(
          new RequestError(
            'ValidationException',
            'Total size of the entries in the request is over the limit.',
          ),
        );
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': JSON_11,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
  });
  res.end(text);
}

function invalidArgument(name: string): ResultEntry {
  return {
    ErrorCode: 'InvalidArgument',
    ErrorMessage: `Parameter ${name} is not valid. Reason: ${name} is a required argument.`,
  };
}

const bytes = (text: unknown) => (typeof text === 'string' ? Buffer.byteLength(text, 'utf8') : 0);

/** EventBridge's size of an entry (its "Calculating PutEvents event entry size"). */
function entrySize(entry: Record<string, unknown>): number {
  const resources = Array.isArray(entry.Resources) ? entry.Resources : [];
  return (
    (entry.Time === undefined ? 0 : 14) +
    bytes(entry.Source) +
    bytes(entry.DetailType) +
    bytes(entry.Detail) +
    resources.reduce((sum: number, r: unknown) => sum + bytes(r), 0)
  );
}

/** The bus an entry names: absent is `default`; an ARN names it after `event-bus/`. */
function busOf(entry: Record<string, unknown>): string {
  const name = entry.EventBusName;
  if (typeof name !== 'string' || name === '') return 'default';
  const arn = /^arn:aws[\w-]*:events:[^:]*:\d*:event-bus\/(.+)$/.exec(name);
  return arn ? arn[1]! : name;
}

export async function startLocalEventBus(options: LocalEventBusOptions): Promise<LocalEventBus> {
  const pending = new Set<Promise<void>>();

  async function deliver(event: Record<string, unknown>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await options.deliver(event);
        options.onTiming?.(event.id as string, 'delivered', performance.now());
        return;
      } catch (error) {
        if (attempt >= DELIVERY_TRIES) {
          // Deployed, the target's retry policy then its dead-letter queue take over.
          console.error(
            `EventBridge: event ${String(event.id)} not delivered after ${attempt} tries:`,
            error,
          );
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
  }

  function putEvents(request: unknown): { FailedEntryCount: number; Entries: ResultEntry[] } {
    const entries = (request as { Entries?: unknown } | null)?.Entries;
    if (!Array.isArray(entries) || entries.length === 0) {
      throw new RequestError(
        'ValidationException',
        "1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null",
      );
    }
    if (entries.length > MAX_ENTRIES) {
      throw new RequestError(
        'ValidationException',
        `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to ${MAX_ENTRIES}`,
      );
    }
    const objects = entries.map((e) =>
      typeof e === 'object' && e !== null ? (e as Record<string, unknown>) : {},
    );
    if (objects.reduce((sum, e) => sum + entrySize(e), 0) > MAX_ENTRIES_BYTES) {
      throw new RequestError(
        'ValidationException',
        'Total size of the entries in the request is over the limit.',
      );
    }
    const accepted: Array<Record<string, unknown>> = [];
    const results = objects.map((entry): ResultEntry => {
      const { Source: source, DetailType: detailType, Detail: detailText } = entry;
      if (typeof source !== 'string' || source === '') return invalidArgument('Source');
      if (typeof detailType !== 'string' || detailType === '') return invalidArgument('DetailType');
      if (typeof detailText !== 'string' || detailText === '') return invalidArgument('Detail');
      let detail: unknown;
      try {
        detail = JSON.parse(detailText);
      } catch {
        detail = undefined;
      }
      if (typeof detail !== 'object' || detail === null || Array.isArray(detail))
        return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
      // `aws.` sources are AWS services' own.
      if (source.startsWith('aws.'))
        return {
          ErrorCode: 'NotAuthorizedForSourceException',
          ErrorMessage: 'Not authorized for the source.',
        };
      const resources = entry.Resources ?? [];
      if (!Array.isArray(resources) || !resources.every((r) => typeof r === 'string'))
        return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Resources is not valid.' };
      const time =
        typeof entry.Time === 'number' && Number.isFinite(entry.Time) ? entry.Time * 1000 : Date.now();
      const id = randomUUID();
      accepted.push({
        version: '0',
        id,
        'detail-type': detailType,
        source,
        account: options.account,
        // EventBridge writes the time to the second.
        time: new Date(Math.floor(time / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
        region: options.region,
        resources,
        detail,
        // Not part of the event: which bus it was put on.
        bus: busOf(entry),
      });
      return { EventId: id };
    });
    for (const { bus, ...event } of accepted) {
      const outcome =
        bus !== options.busName
          ? 'other_bus'
          : options.patterns.some((p) => matchesPattern(p, event))
            ? 'delivered'
            : 'no_rule';
      options.onEvent?.({
        id: event.id as string,
        source: event.source as string,
        detailType: event['detail-type'] as string,
        bus: bus as string,
        outcome,
      });
      if (outcome !== 'delivered') continue;
      // After the answer, as EventBridge does: PutEvents never waits for the targets.
      const delivery = new Promise<void>((resolve) => setImmediate(resolve)).then(() => deliver(event));
      pending.add(delivery);
      void delivery.finally(() => pending.delete(delivery));
    }
    return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
  }

  const server: Server = createServer((req, res) => {
    void (async () => {
      try {
        if (req.method !== 'POST' || (req.url ?? '/').split('?')[0] !== '/')
          throw new RequestError('UnknownOperationException', 'Only POST / is served', 404);
        const target = req.headers['x-amz-target'];
        const contentType = String(req.headers['content-type'] ?? '')
          .split(';')[0]!
          .trim();
        if (contentType !== JSON_11) throw new RequestError('SerializationException', `Expected ${JSON_11}`);
        if (target !== 'AWSEvents.PutEvents')
          throw new RequestError(
            'UnknownOperationException',
            `${String(target)} is not served locally: only AWSEvents.PutEvents`,
          );
        // The SDK signs every request; the local bus does not check signatures, as the other emulators.
        if (!String(req.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256'))
          throw new RequestError('MissingAuthenticationTokenException', 'Missing Authentication Token', 403);
        // The JSON around the entries takes a little more than the entries' own limit.
        const body = await readBody(req, MAX_ENTRIES_BYTES * 2);
        let request: unknown;
        try {
          request = JSON.parse(body.toString('utf8'));
        } catch {
          throw new RequestError('SerializationException', 'The request body is not valid JSON');
        }
        const answer = putEvents(request);
        send(res, 200, answer);
        const at = performance.now();
        for (const entry of answer.Entries)
          if ('EventId' in entry) options.onTiming?.(entry.EventId, 'answered', at);
      } catch (error) {
        if (error instanceof RequestError)
          send(res, error.status, { __type: error.type, message: error.message });
        else send(res, 500, { __type: 'InternalException', message: (error as Error).message });
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const bus: LocalEventBus = {
    url: `http://127.0.0.1:${port}`,
    busName: options.busName,
    async idle() {
      while (pending.size > 0) await Promise.all([...pending]);
    },
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await bus.idle();
    },
  };
  return bus;
}
