/**
 * Structured JSON logs (Powertools) with secret redaction, and a log context per invocation: each
 * invocation (HTTP request, worker batch, queued item) logs through a logger of its own, found through
 * AsyncLocalStorage, so the keys one invocation adds (requestId, jobId...) are never on another's lines,
 * even where many invocations overlap in one process (the local stack). Every line of a Lambda
 * invocation carries its Lambda context the way Powertools' `injectLambdaContext` adds it
 * (`cold_start`, `function_name`, `function_request_id`, ...; Powertools adds `xray_trace_id` from the
 * invocation's trace header): through `Logger.addContext`, on the invocation's own logger.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { getXRayTraceIdFromEnv, isDevMode } from '@aws-lambda-powertools/commons/utils/env';
import { Logger } from '@aws-lambda-powertools/logger';
import type { ConstructorOptions, LogAttributes } from '@aws-lambda-powertools/logger/types';
import type { Context } from 'aws-lambda';
import { writeLine } from './stdout.ts';

/** Keys whose values are secrets wherever they appear in a log record. */
const SECRET_KEY = /(token|secret|password|authorization|api[-_]?key|cookie|signature)/i;
/** Secret values known to this process (Intercom tokens, webhook secrets), masked wherever they appear. */
const secretValues = new Set<string>();

/** Masks these values in every later log line, even inside an error message. */
export function protectSecrets(values: Iterable<string | undefined>): void {
  for (const value of values) if (value && value.length >= 8) secretValues.add(value);
}

function mask(text: string): string {
  let out = text;
  for (const secret of secretValues) if (out.includes(secret)) out = out.replaceAll(secret, '[redacted]');
  return out;
}

/** Whether a key names a secret, by key: the same few keys recur on every line. */
const secretKeyNames = new Map<string, boolean>();

function isSecretKey(key: string): boolean {
  let secret = secretKeyNames.get(key);
  if (secret === undefined) {
    secret = SECRET_KEY.test(key);
    if (secretKeyNames.size < 1024) secretKeyNames.set(key, secret);
  }
  return secret;
}

/** Redacts secrets by key name and by value before a record is serialised. */
export function redactSecrets(key: string, value: unknown): unknown {
  if (value === undefined || value === null) return value;
  if (key && typeof value !== 'object' && isSecretKey(key)) return '[redacted]';
  return typeof value === 'string' && secretValues.size > 0 ? mask(value) : value;
}

/** One Lambda invocation: the context Lambda passed its handler, and whether it started the process. */
interface Invocation {
  readonly context: Context;
  readonly coldStart: boolean;
}

/**
 * One log context. Its logger is created on first use (most worker items never log), as a child of
 * the nearest enclosing context that has one, carrying the keys of the contexts in between and its own.
 */
interface LogContext {
  readonly parent: LogContext | undefined;
  /** The keys this context added (kept here even once it has a logger: contexts below read them). */
  readonly keys: LogAttributes;
  logger: Logger | undefined;
  /** Set on the context a Lambda handler's invocation runs in (see ownLogContext). */
  readonly invocation: Invocation | undefined;
  /** Its logger came from the idle loggers and goes back there when the context ends. */
  borrowed: boolean;
  /** Its function has returned (or its promise settled): a line logged later is a straggler's. */
  ended: boolean;
}

const contexts = new AsyncLocalStorage<LogContext>();

function invocationOf(context: LogContext | undefined): Invocation | undefined {
  for (let c = context; c; c = c.parent) if (c.invocation) return c.invocation;
  return undefined;
}

/**
 * Powertools decides `cold_start` per Logger instance (true at the first `addContext` of each), which
 * would call every invocation's child logger cold; here it is the invocation's, found in its log context.
 * `createLogger` is Powertools' documented hook for a Logger subclass, so children are of this class too.
 */
class InvocationLogger extends Logger {
  protected override getColdStart(): boolean {
    return invocationOf(contexts.getStore())?.coldStart ?? false;
  }

  protected override createLogger(options?: ConstructorOptions): Logger {
    return new InvocationLogger(options);
  }
}

let processWide: Logger | undefined;
let service: string | undefined;
/** Read once, as the process logger reads it once. */
const serviceName = () => {
  // An empty name is no name, for Powertools too.
  service ??= process.env.POWERTOOLS_SERVICE_NAME || 'intercom-actions';
  return service;
};

/** The logger outside any log context (module init, background work); level from POWERTOOLS_LOG_LEVEL. */
function processLogger(): Logger {
  processWide ??= new InvocationLogger({ serviceName: serviceName(), jsonReplacerFn: redactSecrets });
  return processWide;
}

/**
 * Loggers of ended invocations' contexts, ready for the next. Building a Powertools Logger reads its
 * settings from the environment and makes a console (~70 µs, most of the warm path's cost when it
 * was done per request); an idle one is reset instead: its keys cleared, the new invocation's Lambda
 * context and keys set. Only contexts inside an invocation borrow (they always set a Lambda context,
 * so none is left over from the last user); a few are enough, as Lambda runs one invocation at a time
 * (the local stack runs several).
 */
const idleLoggers: Logger[] = [];
const MAX_IDLE_LOGGERS = 32;

/** Every key of the context and the ones it runs in, outermost first (inner keys win). */
function keysOf(context: LogContext): LogAttributes {
  const chain: LogAttributes[] = [];
  for (let c: LogContext | undefined = context; c; c = c.parent) chain.push(c.keys);
  return Object.assign({}, ...chain.reverse());
}

function loggerOf(context: LogContext): Logger {
  if (context.logger) return context.logger;
  const invocation = invocationOf(context);
  const keys = keysOf(context);
  let child: Logger;
  if (invocation && !context.ended) {
    child = idleLoggers.pop() ?? processLogger().createChild();
    child.resetKeys();
    context.borrowed = true;
  } else {
    // A context outside any invocation (tests, background work), or a line logged after its context
    // ended (nothing must write through a logger that another invocation may have borrowed since).
    child = processLogger().createChild();
  }
  // The Lambda context, as Powertools' injectLambdaContext adds it.
  if (invocation) child.addContext(invocation.context);
  if (Object.keys(keys).length > 0) child.appendKeys(keys);
  if (!context.ended) context.logger = child;
  return child;
}

function end(context: LogContext): void {
  context.ended = true;
  const borrowed = context.borrowed ? context.logger : undefined;
  context.logger = undefined;
  context.borrowed = false;
  if (borrowed && idleLoggers.length < MAX_IDLE_LOGGERS) idleLoggers.push(borrowed);
}

const isPromise = (value: unknown): value is Promise<unknown> => value instanceof Promise;

/** The current invocation's logger (its keys only), or the process's outside any log context. */
export function logger(): Logger {
  const context = contexts.getStore();
  return context ? loggerOf(context) : processLogger();
}

function enter<T>(
  parent: LogContext | undefined,
  keys: LogAttributes,
  fn: () => T,
  invocation?: Invocation,
): T {
  const context: LogContext = {
    parent,
    keys: { ...keys },
    logger: undefined,
    borrowed: false,
    ended: false,
    // Always present, so every context has one shape (the lookups up the chain stay monomorphic).
    invocation,
  };
  let result: T;
  try {
    result = contexts.run(context, fn);
  } catch (error) {
    end(context);
    throw error;
  }
  if (!isPromise(result)) {
    end(context);
    return result;
  }
  return result.finally(() => end(context)) as T;
}

/**
 * Runs `fn` in a new log context inside the current one: its lines carry the current keys and
 * these; keys appended inside it stay in it (and in contexts it starts).
 */
export function withLogKeys<T>(keys: LogAttributes, fn: () => T): T {
  return enter(contexts.getStore(), keys, fn);
}

/**
 * Runs one invocation in a log context of its own that inherits nothing from its caller's: what the
 * local API Gateway and SQS event source do for every handler call, as Lambda would in a fresh process.
 */
export function withInvocationLog<T>(fn: () => T, keys: LogAttributes = {}): T {
  return enter(undefined, keys, fn);
}

/**
 * A Lambda handler whose every call runs in a log context of its own (see withLogKeys), whose lines
 * carry the Lambda context of the call. The first call of the handler is the cold start, unless
 * provisioned concurrency initialised the environment ahead of any request.
 */
export function ownLogContext<E, C extends Context | undefined, R, Rest extends unknown[] = []>(
  handler: (event: E, context: C, ...rest: Rest) => R,
): (event: E, context: C, ...rest: Rest) => R {
  let invoked = false;
  return (event: E, context: C, ...rest: Rest) => {
    const coldStart = !invoked && process.env.AWS_LAMBDA_INITIALIZATION_TYPE !== 'provisioned-concurrency';
    invoked = true;
    const invocation = context ? { context, coldStart } : undefined;
    return enter(contexts.getStore(), {}, () => handler(event, context, ...rest), invocation);
  };
}

/**
 * Adds keys to every later line of the current log context. Refused outside one: on the process
 * logger they would tag the lines of every invocation that runs at the same time.
 */
export function appendLogKeys(keys: LogAttributes): void {
  const context = contexts.getStore();
  if (!context) throw new Error('appendLogKeys needs a log context: run the invocation in withLogKeys()');
  Object.assign(context.keys, keys);
  context.logger?.appendKeys(keys);
}

/** Keys Powertools keeps for itself: it drops them from a line's attributes (with a warning). */
const RESERVED_KEYS = new Set(['level', 'message', 'sampling_rate', 'service', 'timestamp']);
const INFO_OR_BELOW = new Set(['TRACE', 'DEBUG', 'INFO']);
type LineValue = string | number | boolean | undefined;

let printsDirectly: boolean | undefined;

/** The second `isoSecondText` is the ISO text of, up to its dot. */
let isoSecond = Number.NaN;
let isoSecondText = '';

/**
 * `new Date(ms).toISOString()`, formatting the date and time once per second: measured, the full
 * formatting was the largest part of the access line's own time. (A function called less than once
 * a second formats it every time, as before.)
 */
export function isoTimestamp(instant: number): string {
  // Date keeps whole milliseconds.
  const ms = Math.trunc(instant);
  const second = Math.floor(ms / 1000);
  if (second !== isoSecond) {
    const text = new Date(second * 1000).toISOString();
    // A year beyond 9999 (or before 0) is written differently: left to Date.
    if (text.length !== 24) return new Date(ms).toISOString();
    isoSecond = second;
    isoSecondText = text.slice(0, 20);
  }
  const millis = ms - second * 1000;
  return `${isoSecondText}${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`;
}

/**
 * Whether an INFO line is printed as Powertools prints it by default: level INFO or below (also
 * Lambda's own log level, when set), no debug sampling, no pretty-printing (POWERTOOLS_DEV), UTC
 * timestamps. Decided once: the environment of a Lambda process does not change.
 */
function infoPrintsDirectly(): boolean {
  printsDirectly ??=
    INFO_OR_BELOW.has(processLogger().getLevelName()) &&
    (!process.env.AWS_LAMBDA_LOG_LEVEL ||
      INFO_OR_BELOW.has(process.env.AWS_LAMBDA_LOG_LEVEL.toUpperCase())) &&
    !Number(process.env.POWERTOOLS_LOGGER_SAMPLE_RATE) &&
    !isDevMode() &&
    (!process.env.TZ || process.env.TZ.includes('UTC'));
  return printsDirectly;
}

/**
 * An INFO line of the current log context with flat attributes, exactly as its Powertools logger
 * would print it (the same keys in the same order: level, message, timestamp, service, the Lambda
 * context, sampling_rate, xray_trace_id, then the context's keys and these; empty values dropped;
 * secrets redacted), without going through Powertools Logger: the access line every request writes
 * cost ~60 µs there (a logger borrowed and reset, the environment read several times per line, its
 * attribute stores deep-merged), more than the whole middleware stack's 50 µs budget. A test prints
 * the same line both ways and compares them. Anything this does not reproduce (a setting above, an
 * attribute Powertools reserves, a line after its invocation ended) goes through Powertools.
 */
export function logInfoLine(message: string, attributes: Readonly<Record<string, LineValue>>): void {
  const context = contexts.getStore();
  // A context whose logger exists already prints through it: the keys that logger holds are the ones
  // its lines carry (keys added since to an enclosing context are not among them).
  const line =
    context && !context.ended && !context.logger && infoPrintsDirectly()
      ? infoLine(context, message, attributes)
      : undefined;
  if (line === undefined) logger().info(message, attributes);
  else writeLine(line);
}

/** The line, or undefined where it must go through Powertools (an attribute it would treat apart). */
function infoLine(
  context: LogContext,
  message: string,
  attributes: Readonly<Record<string, LineValue>>,
): string | undefined {
  const chain: LogContext[] = [];
  for (let c: LogContext | undefined = context; c; c = c.parent) chain.push(c);
  const invocation = invocationOf(context);
  const lambda = invocation?.context;
  // Powertools' base attributes, in its order (undefined: not known here).
  const printed: Record<string, unknown> = {
    level: 'INFO',
    message,
    timestamp: isoTimestamp(Date.now()),
    service: serviceName(),
    cold_start: invocation?.coldStart,
    function_arn: lambda?.invokedFunctionArn,
    function_memory_size: lambda?.memoryLimitInMB,
    function_name: lambda?.functionName,
    function_request_id: lambda?.awsRequestId,
    sampling_rate: 0,
    xray_trace_id: getXRayTraceIdFromEnv(),
    tenant_id: (lambda as { tenantId?: string } | undefined)?.tenantId,
  };
  const printable = (key: string, value: unknown) =>
    !RESERVED_KEYS.has(key) &&
    key !== '__proto__' &&
    key !== 'constructor' &&
    (value === null || typeof value !== 'object') &&
    typeof value !== 'bigint';
  // Its other attributes: the context's keys (outermost first, a name in its first place, an
  // undefined one left out), then this line's own, replacing theirs even with undefined.
  const keys: Record<string, unknown> = {};
  for (let i = chain.length - 1; i >= 0; i--) {
    const own = chain[i]!.keys;
    for (const key in own) {
      if (!printable(key, own[key])) return undefined;
      keys[key] = own[key];
    }
  }
  const others: Record<string, unknown> = {};
  for (const key in keys) if (keys[key] !== undefined) others[key] = keys[key];
  for (const key in attributes) {
    if (!printable(key, attributes[key])) return undefined;
    others[key] = attributes[key];
  }
  // Merged into the base (an undefined value never replaces a known one), empty values dropped,
  // secrets redacted on what is printed (JSON leaves the undefined out).
  for (const key in others) {
    const value = others[key];
    if (value !== undefined || printed[key] === undefined) printed[key] = value;
  }
  for (const key in printed) {
    const value = printed[key];
    printed[key] =
      value === null || value === '' || value === undefined ? undefined : redactSecrets(key, value);
  }
  return `${JSON.stringify(printed)}\n`;
}
