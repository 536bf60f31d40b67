/**
 * What the benchmarks that run the whole local stack share: a clean environment (no real Intercom,
 * quiet logs, no metrics), the stack on free ports with the sandbox's webhooks off (so only the
 * benchmark's own work spends the budget), and the sandbox's accepted requests per rate window.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LocalStackOptions } from '../lib/local/stack.ts';

type Sandbox = NonNullable<import('../lib/local/stack.ts').LocalStack['sandbox']>;

export async function startBenchStack(
  options: LocalStackOptions = {},
  env: Record<string, string> = {},
  { webhooks = false }: { webhooks?: boolean } = {},
) {
  for (const key of ['INTERCOM_ACCESS_TOKEN', 'INTERCOM_BASE_URL', 'API_KEY']) delete process.env[key];
  Object.assign(process.env, {
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    // The whole budget is the benchmark's unless it says otherwise: no interactive share reserved.
    RATE_LIMIT_RESERVE: '0',
    ...env,
  });
  const { startLocalStack } = await import('../lib/local/stack.ts');
  const stack = await startLocalStack({ port: 0, sandboxPort: 0, ...options });
  if (!webhooks) await fetch(`${stack.sandboxUrl}/__sandbox/webhooks`, { method: 'DELETE' });
  return stack;
}

/** Waits for the start of a fresh window so runs begin alike; returns that window's start. */
export async function nextWindow(windowMs: number): Promise<number> {
  await new Promise((r) => setTimeout(r, windowMs - (Date.now() % windowMs) + 5));
  return Date.now() - (Date.now() % windowMs);
}

/**
 * Counts the requests Intercom accepted (200s) in each rate window from `windowStart` on, by
 * sampling the sandbox's counters at every window boundary.
 */
export function windowSampler(sandbox: Sandbox, windowStart: number, windowMs: number) {
  const accepted = () => sandbox.stats().responses['200'] ?? 0;
  const marks = [accepted()];
  let timer: NodeJS.Timeout;
  const schedule = () => {
    timer = setTimeout(
      () => {
        marks.push(accepted());
        schedule();
      },
      windowStart + marks.length * windowMs - Date.now(),
    );
  };
  schedule();
  return {
    /** Accepted requests per window, the last (partial) window included. */
    stop(): number[] {
      clearTimeout(timer);
      marks.push(accepted());
      return marks.slice(1).map((m, i) => m - marks[i]!);
    },
  };
}

/** What the emulators' process reports about itself (bench/emulators-process.ts). */
export interface EmulatorUsage {
  memory: NodeJS.MemoryUsage;
  cpu: NodeJS.CpuUsage;
  calls: { dynamodb: Record<string, number>; sqs: Record<string, number> };
}

/**
 * The export path alone, as deployed, with the AWS services in a process of their own: the export
 * endpoints behind the local API Gateway, the export worker fed by the local stand-in of Lambda's
 * event source mapping, and DynamoDB, SQS and S3 emulated in a forked process. This process then holds
 * what a Lambda would (the handlers, the worker, the SDK clients) plus the stand-in of the mapping,
 * which polls only between invocations (one batch at a time, as one export needs): its memory and CPU
 * are the stack's, and the emulators' are measured apart (`usage`).
 */
export async function startExportBenchStack(env: Record<string, string>) {
  const child = fork(fileURLToPath(new URL('./emulators-process.ts', import.meta.url)), [], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  type Message = { type: string } & Record<string, unknown>;
  const next = (type: string) =>
    new Promise<Message>((resolve, reject) => {
      const onMessage = (message: Message) => {
        if (message.type !== type) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(message);
      };
      const onExit = (code: number | null) => reject(new Error(`the emulators' process exited (${code})`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  const started = (await next('started')) as unknown as {
    sqsEndpoint: string;
    dynamodbEndpoint: string;
    s3Endpoint: string;
  };
  const closeChild = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.send({ type: 'close' });
    await exited;
  };
  try {
    const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
    const { SQSClient } = await import('@aws-sdk/client-sqs');
    const { createQueueWithDeadLetter, createTables } = await import('../lib/local/emulators.ts');
    const { createTableInput, TABLES } = await import('../lib/tables/definitions.ts');
    const { LOCAL_NAMES } = await import('../lib/local/bulk.ts');
    const { LOCAL_EXPORTS } = await import('../lib/local/exports.ts');
    const { generateApiKey } = await import('../lib/auth/api-keys.ts');
    const region = 'us-east-1';
    // The emulators check no signatures, but the SDK signs; s3rver knows this key pair only.
    const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
    const dynamodb = new DynamoDBClient({ region, credentials, endpoint: started.dynamodbEndpoint });
    const sqs = new SQSClient({ region, credentials, endpoint: started.sqsEndpoint });
    const tableNames = Object.fromEntries(
      TABLES.map((t) => [t.id, `${LOCAL_NAMES.tablePrefix}${t.id.toLowerCase()}`]),
    );
    await createTables(
      dynamodb,
      TABLES.map((t) => createTableInput(t, tableNames[t.id]!)),
    );
    // As deployed: the export worker's own timeout decides how often an export hands over.
    const { EXPORT_WORKER_TIMEOUT_SECONDS } = await import('../lib/exports/settings.ts');
    const workerTimeoutMs = EXPORT_WORKER_TIMEOUT_SECONDS * 1000;
    const queue = await createQueueWithDeadLetter(sqs, {
      name: LOCAL_EXPORTS.queue,
      visibilityTimeoutSeconds: Math.ceil((6 * workerTimeoutMs) / 1000),
      maxReceiveCount: 20,
    });
    dynamodb.destroy();
    for (const key of ['INTERCOM_ACCESS_TOKEN', 'INTERCOM_BASE_URL', 'API_KEY']) delete process.env[key];
    const apiKey = generateApiKey();
    Object.assign(process.env, {
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
      RATE_LIMIT_RESERVE: '0',
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_ENDPOINT_URL_SQS: started.sqsEndpoint,
      AWS_ENDPOINT_URL_DYNAMODB: started.dynamodbEndpoint,
      AWS_ENDPOINT_URL_S3: started.s3Endpoint,
      BULK_JOBS_TABLE: tableNames.Jobs,
      RATE_TABLE: tableNames.Rate,
      EXPORTS_BUCKET: LOCAL_EXPORTS.bucket,
      EXPORTS_QUEUE_URL: queue.queueUrl,
      API_KEY: apiKey,
      ...env,
    });
    const { FUNCTION_NAMES } = await import('../lib/http/routes.ts');
    const { startLocalServer } = await import('../lib/local/http-server.ts');
    const { startSqsEventSource } = await import('../lib/local/sqs-event-source.ts');
    type Handlers = Parameters<typeof startLocalServer>[0]['handlers'];
    const api = ((await import('../functions/exports.ts')) as { handler: Handlers['exports'] }).handler;
    const notServed: Handlers['exports'] = async () => ({ statusCode: 404, body: '{"error":"not served"}' });
    const handlers = Object.fromEntries(
      FUNCTION_NAMES.map((name) => [name, name === 'exports' ? api : notServed]),
    ) as Handlers;
    const { handler: worker } = await import('../functions/exports-worker.ts');
    const source = startSqsEventSource({
      sqs,
      queueUrl: queue.queueUrl,
      queueArn: queue.queueArn,
      handler: worker,
      batchSize: 1,
      maxConcurrency: 1,
      functionTimeoutMs: workerTimeoutMs,
      functionName: 'intercom-actions-exports-worker',
    });
    const server = await startLocalServer({ handlers, port: 0 });
    return {
      url: server.url,
      apiKey,
      /** The emulators' process: its memory, CPU and the calls it served so far. */
      async usage(): Promise<EmulatorUsage> {
        const answer = next('usage');
        child.send({ type: 'usage' });
        return (await answer) as unknown as EmulatorUsage;
      },
      async close() {
        await server.close();
        await source.stop();
        sqs.destroy();
        await closeChild();
      },
    };
  } catch (error) {
    await closeChild();
    throw error;
  }
}
