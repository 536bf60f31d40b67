/**
 * Local stand-ins for SQS (local-aws-sqs) and DynamoDB (dynalite): real HTTP servers speaking the AWS
 * protocols, so the same handlers and SDK clients run unchanged on one machine.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DynamoDBClient,
  ResourceInUseException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import dynalite from 'dynalite';
import { createRequestHandler } from 'local-aws-sqs';

export interface EmulatorOptions {
  /** 0 (the default) picks a free port. */
  sqsPort?: number;
  dynamodbPort?: number;
  host?: string;
  /** Keeps DynamoDB's data in this folder (LevelDB) across restarts; in memory when absent. */
  dataDir?: string;
  /**
   * Runs the emulators in a worker thread of their own: their CPU (request parsing, expression
   * evaluation, storage) then uses another core than the handlers that call them. `npm start` does.
   */
  thread?: boolean;
}

/** API calls each emulator has answered since it started, by action (`UpdateItem`, `SendMessageBatch`, ...). */
export interface EmulatorCalls {
  dynamodb: Record<string, number>;
  sqs: Record<string, number>;
}

export interface Emulators {
  sqsEndpoint: string;
  dynamodbEndpoint: string;
  region: 'us-east-1';
  credentials: { accessKeyId: string; secretAccessKey: string };
  sqs: SQSClient;
  dynamodb: DynamoDBClient;
  /** What a design costs per item, counted where AWS would bill it. */
  calls(): Promise<EmulatorCalls>;
  close(): Promise<void>;
}

/** The emulators' HTTP servers alone: what runs in the worker thread when `thread` is set. */
export interface EmulatorServers {
  sqsEndpoint: string;
  dynamodbEndpoint: string;
  calls(): EmulatorCalls;
  close(): Promise<void>;
}

/** Counts each request by its `X-Amz-Target` action (the JSON protocols of DynamoDB and SQS). */
function countCalls(server: Server): Record<string, number> {
  const counts: Record<string, number> = {};
  server.prependListener('request', (req) => {
    const target = req.headers['x-amz-target'];
    const action = typeof target === 'string' ? target.slice(target.indexOf('.') + 1) : 'Query protocol';
    counts[action] = (counts[action] ?? 0) + 1;
  });
  return counts;
}

const REGION = 'us-east-1';
// The emulators check no signatures, but the SDK refuses to sign without credentials.
// The S3 emulator (s3rver) knows this key pair only; the others check none.
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
// SQS's maximum; a dead-letter queue should outlive its source queue's retention.
const DEAD_LETTER_RETENTION_SECONDS = 1_209_600;

export async function startEmulatorServers(
  options: Omit<EmulatorOptions, 'thread'> = {},
): Promise<EmulatorServers> {
  const host = options.host ?? '127.0.0.1';
  const servers: Server[] = [];
  try {
    // Not createSqsServer: its listen() has no error handler, so a busy port would crash the process.
    const { service, requestHandler } = createRequestHandler({
      port: options.sqsPort ?? 0,
      hostname: host,
      region: REGION,
      // Deleting and re-creating a queue must work at once in tests, unlike AWS's 60 s wait.
      emulateQueueCreationLifecycle: false,
    });
    const sqsServer = createServer(requestHandler);
    const sqsCalls = countCalls(sqsServer);
    servers.push(sqsServer);
    await listen(sqsServer, options.sqsPort ?? 0, host);
    // Queue URLs embed this port.
    service.PORT = (sqsServer.address() as AddressInfo).port;
    const dynamodbServer = dynalite({
      createTableMs: 0,
      deleteTableMs: 0,
      updateTableMs: 0,
      ...(options.dataDir ? { path: join(options.dataDir, 'dynamodb') } : {}),
    });
    const dynamodbCalls = countCalls(dynamodbServer);
    servers.push(dynamodbServer);
    await listen(dynamodbServer, options.dynamodbPort ?? 0, host);
    let closing: Promise<void> | undefined;
    return {
      sqsEndpoint: endpointOf(sqsServer, host),
      dynamodbEndpoint: endpointOf(dynamodbServer, host),
      calls: () => ({ dynamodb: { ...dynamodbCalls }, sqs: { ...sqsCalls } }),
      close() {
        closing ??= Promise.all(servers.map(closeServer)).then(() => undefined);
        return closing;
      },
    };
  } catch (error) {
    await Promise.all(servers.map(closeServer));
    throw error;
  }
}

export async function startEmulators(options: EmulatorOptions = {}): Promise<Emulators> {
  const { thread, ...serverOptions } = options;
  const servers = thread
    ? await startEmulatorThread(serverOptions)
    : await startEmulatorServers(serverOptions);
  const clientConfig = { region: REGION, credentials: CREDENTIALS } as const;
  const sqs = new SQSClient({ ...clientConfig, endpoint: servers.sqsEndpoint });
  const dynamodb = new DynamoDBClient({ ...clientConfig, endpoint: servers.dynamodbEndpoint });
  let closing: Promise<void> | undefined;
  return {
    sqsEndpoint: servers.sqsEndpoint,
    dynamodbEndpoint: servers.dynamodbEndpoint,
    region: REGION,
    credentials: { ...CREDENTIALS },
    sqs,
    dynamodb,
    calls: async () => servers.calls(),
    close() {
      closing ??= (async () => {
        sqs.destroy();
        dynamodb.destroy();
        await servers.close();
      })();
      return closing;
    },
  };
}

/** The emulator servers in a worker thread (lib/local/emulator-thread.ts), driven by messages. */
async function startEmulatorThread(
  options: Omit<EmulatorOptions, 'thread'>,
): Promise<Omit<EmulatorServers, 'calls'> & { calls(): Promise<EmulatorCalls> }> {
  const worker = new Worker(new URL('./emulator-thread.ts', import.meta.url), { workerData: options });
  const pending = new Map<number, (value: unknown) => void>();
  let nextId = 0;
  const ask = <T>(type: string): Promise<T> =>
    new Promise<T>((resolve) => {
      const id = ++nextId;
      pending.set(id, resolve as (value: unknown) => void);
      worker.postMessage({ id, type });
    });
  const started = await new Promise<{ sqsEndpoint: string; dynamodbEndpoint: string }>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('exit', (code) =>
      reject(new Error(`the emulator thread exited (${code}) before it started`)),
    );
    worker.once(
      'message',
      (message: { type: string; error?: string; sqsEndpoint: string; dynamodbEndpoint: string }) => {
        if (message.type === 'started') resolve(message);
        else reject(new Error(message.error ?? 'the emulator thread did not start'));
      },
    );
  });
  worker.removeAllListeners('error');
  worker.removeAllListeners('exit');
  worker.on('message', (message: { id?: number; value?: unknown }) => {
    if (message.id !== undefined) {
      pending.get(message.id)?.(message.value);
      pending.delete(message.id);
    }
  });
  let closing: Promise<void> | undefined;
  return {
    ...started,
    calls: () => ask<EmulatorCalls>('calls'),
    close() {
      closing ??= ask('close').then(async () => {
        await worker.terminate();
      });
      return closing;
    },
  };
}

/** The variables the AWS SDK v3 reads, so `new SQSClient({})` inside a handler reaches the emulators. */
export function awsEnvironment(emulators: Emulators): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_SQS: emulators.sqsEndpoint,
    AWS_ENDPOINT_URL_DYNAMODB: emulators.dynamodbEndpoint,
    AWS_REGION: emulators.region,
    AWS_ACCESS_KEY_ID: emulators.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: emulators.credentials.secretAccessKey,
  };
}

export interface QueueWithDeadLetterOptions {
  /** Without `.fifo`; it is appended for FIFO queues. */
  name: string;
  visibilityTimeoutSeconds: number;
  maxReceiveCount: number;
  fifo?: boolean;
  messageRetentionSeconds?: number;
}

export interface QueueWithDeadLetter {
  queueUrl: string;
  queueArn: string;
  deadLetterQueueUrl: string;
  deadLetterQueueArn: string;
}

/** Creates `<name>-dlq` and `<name>` redriving to it; calling it again with the same options is a no-op. */
export async function createQueueWithDeadLetter(
  sqs: SQSClient,
  options: QueueWithDeadLetterOptions,
): Promise<QueueWithDeadLetter> {
  const suffix = options.fifo ? '.fifo' : '';
  const fifoAttributes: Record<string, string> = options.fifo
    ? { FifoQueue: 'true', ContentBasedDeduplication: 'false' }
    : {};
  const deadLetterQueueUrl = await createQueue(sqs, `${options.name}-dlq${suffix}`, {
    ...fifoAttributes,
    MessageRetentionPeriod: String(DEAD_LETTER_RETENTION_SECONDS),
  });
  const deadLetterQueueArn = await queueArn(sqs, deadLetterQueueUrl);
  const queueUrl = await createQueue(sqs, `${options.name}${suffix}`, {
    ...fifoAttributes,
    VisibilityTimeout: String(options.visibilityTimeoutSeconds),
    ...(options.messageRetentionSeconds === undefined
      ? {}
      : { MessageRetentionPeriod: String(options.messageRetentionSeconds) }),
    RedrivePolicy: JSON.stringify({
      deadLetterTargetArn: deadLetterQueueArn,
      maxReceiveCount: options.maxReceiveCount,
    }),
  });
  return { queueUrl, queueArn: await queueArn(sqs, queueUrl), deadLetterQueueUrl, deadLetterQueueArn };
}

/** Creates each table (an existing one is kept) and waits until all are ACTIVE. */
export async function createTables(
  dynamodb: DynamoDBClient,
  inputs: CreateTableCommandInput[],
): Promise<void> {
  await Promise.all(
    inputs.map(async (input) => {
      try {
        await dynamodb.send(new CreateTableCommand(input));
      } catch (error) {
        if (!(error instanceof ResourceInUseException)) throw error;
      }
      await waitUntilTableExists(
        { client: dynamodb, maxWaitTime: 30, minDelay: 1, maxDelay: 1 },
        { TableName: input.TableName },
      );
    }),
  );
}

async function createQueue(sqs: SQSClient, name: string, attributes: Record<string, string>) {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
  if (!QueueUrl) throw new Error(`CreateQueue ${name} returned no QueueUrl`);
  return QueueUrl;
}

async function queueArn(sqs: SQSClient, queueUrl: string) {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  if (!Attributes?.QueueArn) throw new Error(`GetQueueAttributes ${queueUrl} returned no QueueArn`);
  return Attributes.QueueArn;
}

function listen(server: Server, port: number, host: string) {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function endpointOf(server: Server, host: string) {
  const { port } = server.address() as AddressInfo;
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

function closeServer(server: Server) {
  if (!server.listening) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    // Keep-alive sockets from SDK clients would otherwise hold close() open.
    server.closeAllConnections();
  });
}
