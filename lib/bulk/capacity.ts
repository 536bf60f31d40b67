/**
 * How many worker batches carry Intercom's rate budget: the formula the CDK app derives the deployed
 * event source mapping's `maxConcurrency` from (infra/bulk-config.ts), and the local stack its event
 * source emulator's. docs/bulk-capacity.md explains it and bench/bulk-simulation.ts checks it.
 */

/** Intercom's default private-app limit: 10,000 requests per minute, counted per 10-s window. */
export const INTERCOM_DEFAULT_RATE_PER_MINUTE = 10_000;
/** A typical Intercom answer seen from AWS (us-east-1 to Intercom's US region). */
export const INTERCOM_DEFAULT_LATENCY_MS = 200;

/** SQS's default batch: the worker runs a batch's items in parallel (the event source mapping's `batchSize`). */
export const WORKER_BATCH_SIZE = 10;

/** AWS's bounds of an SQS event source mapping's `maxConcurrency`. */
export const MAX_CONCURRENCY_BOUNDS = { min: 2, max: 1000 } as const;

/** What one worker batch waits on besides Intercom: typical in-region AWS latencies per API call. */
export const AWS_CALL_MS = {
  /** A DynamoDB UpdateItem/GetItem from Lambda in the same region: 5-10 ms; the upper end. */
  dynamodb: 10,
  /** An SQS ReceiveMessage/DeleteMessageBatch/ChangeMessageVisibility: 10-20 ms; the upper end. */
  sqs: 20,
} as const;

export interface ConcurrencyInputs {
  /** Intercom's limit for the app, requests per minute (10,000: 1,666 per 10-s window). */
  ratePerMinute: number;
  /** The share of it left to interactive `/actions` calls (`rateLimitReserve`). */
  reserve: number;
  /** A typical Intercom answer's time as seen from the worker, ms. */
  intercomLatencyMs: number;
  /** Items per SQS batch (the mapping's `batchSize`). */
  batchSize: number;
  /** One DynamoDB call, ms (default `AWS_CALL_MS.dynamodb`). */
  dynamodbMs?: number;
  /** One SQS call, ms (default `AWS_CALL_MS.sqs`). */
  sqsMs?: number;
  /** In-flight capacity over what the rate needs, for jitter, the batch's slowest item and governor waits. */
  headroom?: number;
}

export interface ConcurrencyEstimate {
  /** The mapping's `maxConcurrency`: concurrent worker batches. */
  concurrency: number;
  /** Bulk requests per second the budget allows (R). */
  requestsPerSecond: number;
  /** One batch's time from receive to delete (T), ms. */
  batchMs: number;
  /** Items in flight the rate needs (R x T, Little's law). */
  inFlight: number;
}

/**
 * The worker concurrency that carries the rate budget, from Little's law:
 *
 * - bulk requests per second `R = ratePerMinute / 60 x (1 - reserve)`;
 * - one batch of B items (run in parallel) takes about `T = claim + governor + Intercom + finish +
 *   count + SQS receive and delete`: four DynamoDB calls (one UpdateItem each to claim, take the
 *   batch's slots, finish, and add the batch's counts; the governor's state read is cached), two SQS
 *   calls and one Intercom call;
 * - items in flight needed `L = R x T`;
 * - `maxConcurrency = ceil(R x T x headroom / B)`, headroom 1.5, clamped to AWS's 2..1000.
 *
 * Intercom's default 10,000/min with a 10% reserve and 200 ms answers: R = 150/s, T = 200 + 4 x 10 +
 * 2 x 20 = 280 ms, L = 42 items, 42 x 1.5 / 10 -> 7 batches. More only makes batches wait on the
 * governor; fewer leaves budget unspent. bench/bulk-simulation.ts checks it against the real worker.
 */
export function workerConcurrency(inputs: ConcurrencyInputs): ConcurrencyEstimate {
  const dynamodbMs = inputs.dynamodbMs ?? AWS_CALL_MS.dynamodb;
  const sqsMs = inputs.sqsMs ?? AWS_CALL_MS.sqs;
  const headroom = inputs.headroom ?? 1.5;
  const requestsPerSecond = (inputs.ratePerMinute / 60) * (1 - inputs.reserve);
  const batchMs = inputs.intercomLatencyMs + 4 * dynamodbMs + 2 * sqsMs;
  const inFlight = (requestsPerSecond * batchMs) / 1000;
  const raw = Math.ceil((inFlight * headroom) / inputs.batchSize - 1e-9);
  const concurrency = Math.min(MAX_CONCURRENCY_BOUNDS.max, Math.max(MAX_CONCURRENCY_BOUNDS.min, raw));
  return { concurrency, requestsPerSecond, batchMs, inFlight };
}
