/**
 * The whole system on one machine: the Intercom sandbox (unless a real token is set), the same
 * Lambda handlers behind the local API Gateway. `npm start` runs it; integration tests start it on
 * random ports.
 */
import { randomBytes } from 'node:crypto';
import { generateApiKey } from '../auth/api-keys.ts';
import { ConfigError, parseVersion } from '../config/parse.ts';
import { FUNCTION_NAMES, type FunctionName } from '../http/routes.ts';
import { latencyFromEnv, type Sandbox, SandboxConfigError, startSandbox } from '../sandbox/server.ts';
import { type LocalAutomations, type LocalAutomationsOptions, startLocalAutomations } from './automations.ts';
import { type LocalBulk, type LocalBulkOptions, startLocalBulk } from './bulk.ts';
import { type LocalExports, type LocalExportsOptions, startLocalExports } from './exports.ts';
import { type HttpHandler, type RequestLogLine, startLocalServer } from './http-server.ts';
import { type LocalTriggers, type LocalTriggersOptions, startLocalTriggers } from './triggers.ts';

export interface LocalStackOptions {
  port?: number;
  sandboxPort?: number;
  onRequest?: (line: RequestLogLine) => void;
  /** The environment to read and fill (process.env by default: the handlers read it at import). */
  env?: NodeJS.ProcessEnv;
  /** The queue, tables and worker of bulk jobs. */
  bulk?: LocalBulkOptions;
  /**
   * Keeps the tables (jobs, notifications, runs) in this folder, and resumes unfinished work from it
   * at start: `npm start` uses `.local-data`. In memory when absent.
   */
  dataDir?: string;
  /** The webhook queue, table and automation worker. */
  automations?: LocalAutomationsOptions;
  /** The S3 emulator, export queue and export worker. */
  exports?: LocalExportsOptions;
  /**
   * The local EventBridge bus and schedules: `port` is EVENTS_PORT (4011), and a free one when the
   * API itself is on a random port (tests).
   */
  events?: Partial<LocalTriggersOptions>;
}

export interface LocalStack {
  url: string;
  apiKey: string;
  /** Set when the embedded sandbox stands in for Intercom. */
  sandboxUrl?: string;
  sandbox?: Sandbox;
  intercomUrl: string;
  webhookSecret: string;
  bulk: LocalBulk;
  automations: LocalAutomations;
  exports: LocalExports;
  /** PutEvents on EVENTS_PORT, and the scheduled rules' timers. */
  triggers: LocalTriggers;
  generated: { apiKey: boolean; webhookSecret: boolean };
  /** What was queued again at start from kept data. */
  recovered: { jobs: number; items: number; notifications: number; exports: number };
  close(): Promise<void>;
}

async function loadHandlers(): Promise<Record<FunctionName, HttpHandler>> {
  const entries = await Promise.all(
    FUNCTION_NAMES.map(async (name) => {
      const module = (await import(`../../functions/${name}.ts`)) as { handler: HttpHandler };
      return [name, module.handler] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<FunctionName, HttpHandler>;
}

/** The sandbox admin the token acts as: the automations' own writes come from it (the loop guard's bot). */
async function sandboxAdminId(sandboxUrl: string, token: string): Promise<string> {
  const res = await fetch(`${sandboxUrl}/me`, {
    headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
  });
  const me = (await res.json()) as { id?: unknown };
  return String(me.id ?? '');
}

export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const env = options.env ?? process.env;
  const closers: Array<() => Promise<void>> = [];
  let sandbox: Sandbox | undefined;
  // What the worker's concurrency is sized for: the sandbox's latency, or the real Intercom's ~200 ms.
  let intercomLatencyMs: number | undefined;
  if (!env.INTERCOM_ACCESS_TOKEN) {
    const token = env.SANDBOX_TOKEN || `sandbox_${randomBytes(12).toString('hex')}`;
    let latency: ReturnType<typeof latencyFromEnv>;
    try {
      latency = latencyFromEnv(env);
    } catch (error) {
      if (error instanceof SandboxConfigError) throw new ConfigError(error.problems.join('; '));
      throw error;
    }
    sandbox = await startSandbox({
      port: options.sandboxPort ?? Number(env.SANDBOX_PORT ?? 4010),
      token,
      // Checked as the handlers will check it, so a bad value reads as a configuration error.
      defaultVersion: parseVersion(env.INTERCOM_VERSION || undefined, 'environment INTERCOM_VERSION'),
      quiet: true,
      ...(latency ? { latency } : {}),
    });
    intercomLatencyMs = latency?.baseMs ?? 0;
    const started = sandbox;
    closers.push(() => started.close());
    env.INTERCOM_ACCESS_TOKEN = token;
    env.INTERCOM_BASE_URL = sandbox.url;
  }
  const generated = { apiKey: !env.API_KEY, webhookSecret: !env.INTERCOM_WEBHOOK_SECRET };
  env.API_KEY ||= generateApiKey();
  env.INTERCOM_WEBHOOK_SECRET ||= randomBytes(24).toString('hex');
  // Locally the terminal shows one line per request; Powertools' JSON logs and EMF stay quiet unless asked.
  env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  env.POWERTOOLS_LOG_LEVEL ??= 'WARN';

  try {
    const bulk = await startLocalBulk(env, {
      ...(intercomLatencyMs !== undefined ? { intercomLatencyMs } : {}),
      ...options.bulk,
      ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    });
    closers.unshift(() => bulk.close());
    const automations = await startLocalAutomations(env, bulk.emulators, options.automations);
    closers.unshift(() => automations.close());
    const exports = await startLocalExports(env, bulk.emulators, {
      ...options.exports,
      ...(options.dataDir && !options.exports?.dataDir ? { dataDir: options.dataDir } : {}),
    });
    closers.unshift(() => exports.close());
    if (sandbox)
      env.AUTOMATIONS_BOT_ADMIN_IDS ??= await sandboxAdminId(sandbox.url, env.INTERCOM_ACCESS_TOKEN!);
    const handlers = await loadHandlers();
    await bulk.startWorker();
    await automations.startWorker();
    await exports.startWorker();
    const jobs = await bulk.recoverJobs();
    const notifications = await automations.recoverNotifications();
    const unfinishedExports = await exports.recoverExports();
    const server = await startLocalServer({
      handlers,
      port: options.port ?? Number(env.PORT ?? 3000),
      ...(options.onRequest ? { onRequest: options.onRequest } : {}),
    });
    closers.unshift(() => server.close());
    const triggers = await startLocalTriggers(env, {
      ...options.events,
      port: options.events?.port ?? (options.port === 0 ? 0 : Number(env.EVENTS_PORT ?? 4011)),
    });
    closers.unshift(() => triggers.close());
    if (sandbox) {
      const secret = env.INTERCOM_WEBHOOK_SECRET.split(',')[0]!;
      await automations.subscribeSandbox(sandbox.url, `${server.url}/webhooks/intercom`, secret);
    }
    return {
      url: server.url,
      apiKey: env.API_KEY,
      ...(sandbox ? { sandboxUrl: sandbox.url, sandbox } : {}),
      intercomUrl: env.INTERCOM_BASE_URL ?? `Intercom (${env.INTERCOM_REGION || 'us'} region)`,
      webhookSecret: env.INTERCOM_WEBHOOK_SECRET,
      bulk,
      automations,
      exports,
      triggers,
      generated,
      recovered: { jobs: jobs.jobs, items: jobs.requeued, notifications, exports: unfinishedExports },
      close: async () => {
        for (const close of closers) await close();
      },
    };
  } catch (error) {
    for (const close of closers) await close();
    throw error;
  }
}
