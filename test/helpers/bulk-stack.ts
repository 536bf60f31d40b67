/** A local stack with bulk jobs for tests: random ports, quiet logs, helpers to call the bulk API. */
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { LocalStack, LocalStackOptions } from '../../lib/local/stack.ts';

const RESET_KEYS = [
  'INTERCOM_ACCESS_TOKEN',
  'INTERCOM_BASE_URL',
  'API_KEY',
  'INTERCOM_WEBHOOK_SECRET',
  'INTERCOM_VERSION',
  'API_KEYS_JSON',
];

export interface BulkTestStack {
  stack: LocalStack;
  request(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; json: any; headers: Headers }>;
  waitForJob(jobId: string, timeoutMs?: number): Promise<any>;
  close(): Promise<void>;
}

export async function startBulkTestStack(
  options: LocalStackOptions = {},
  env: Record<string, string> = {},
): Promise<BulkTestStack> {
  const saved = { ...process.env };
  for (const key of RESET_KEYS) delete process.env[key];
  Object.assign(process.env, { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' }, env);
  const { startLocalStack } = await import('../../lib/local/stack.ts');
  let stack: LocalStack;
  try {
    stack = await startLocalStack({ port: 0, sandboxPort: 0, ...options });
  } catch (error) {
    process.env = saved;
    throw error;
  }
  const request: BulkTestStack['request'] = async (method, path, body, headers = {}) => {
    const res = await fetch(`${stack.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${stack.apiKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined, headers: res.headers };
  };
  return {
    stack,
    request,
    async waitForJob(jobId, timeoutMs = 60_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const { json } = await request('GET', `/bulk/jobs/${jobId}`);
        if (json.status === 'completed' || json.status === 'completed_with_errors') return json;
        if (Date.now() > until) {
          // What is left on the queue tells a message still in flight from counters left short.
          const { Attributes } = await stack.bulk.emulators.sqs.send(
            new GetQueueAttributesCommand({
              QueueUrl: stack.bulk.queue.queueUrl,
              AttributeNames: [
                'ApproximateNumberOfMessages',
                'ApproximateNumberOfMessagesNotVisible',
                'ApproximateNumberOfMessagesDelayed',
              ],
            }),
          );
          throw new Error(
            `job ${jobId} still ${json.status}: ${JSON.stringify(json)}; queue: ${JSON.stringify(Attributes)}`,
          );
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async close() {
      await stack.close();
      process.env = saved;
    },
  };
}
