/** Builds group handlers wired to a MockAgent, with keys of chosen scopes. */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { MockAgent } from 'undici';
import { GROUPS, type Group } from '../../lib/catalog/index.ts';
import type { ApiKeyScope } from '../../lib/catalog/types.ts';
import { sha256Hex } from '../../lib/config/parse.ts';
import type { AppConfig } from '../../lib/config/types.ts';
import { createActionHandler } from '../../lib/http/action-handler.ts';
import { createMetaHandler } from '../../lib/http/meta-handler.ts';
import { IntercomClient } from '../../lib/intercom/client.ts';
import type { ValidatorMap } from '../../lib/validation/validate.ts';
import { workspaceClientOptions } from '../../lib/workspaces/clients.ts';
import { type EventInput, httpEvent, testContext } from './events.ts';

export const TOKEN = 'tok_intercom_SECRET_value';
export const FULL_KEY = 'ia_full_key_0123456789abcdef';

export function keyWith(scopes: ApiKeyScope[]): string {
  return `ia_scoped_${[...scopes].sort().join('_') || 'none'}_padding`;
}

const ALL_SCOPE_SETS: ApiKeyScope[][] = [
  [],
  ['read'],
  ['write'],
  ['delete'],
  ['bulk'],
  ['read', 'write', 'bulk'],
  ['read', 'delete', 'bulk'],
  ['write', 'delete', 'bulk'],
];

export function testConfig(): AppConfig {
  return {
    workspaces: new Map([
      ['main', { name: 'main', accessToken: TOKEN, region: 'us', version: '1.4', webhookSecrets: [] }],
    ]),
    defaultWorkspace: 'main',
    apiKeys: [
      {
        id: 'key_full',
        name: 'full',
        sha256: sha256Hex(FULL_KEY),
        scopes: ['read', 'write', 'delete', 'bulk'],
        workspace: 'main',
      },
      ...ALL_SCOPE_SETS.map((scopes) => ({
        id: `key_scoped-${scopes.join('-')}`,
        name: `scoped-${scopes.join('-')}`,
        sha256: sha256Hex(keyWith(scopes)),
        scopes,
        workspace: 'main',
      })),
    ],
  };
}

export type Invoke = (
  input: EventInput & { key?: string | null },
) => Promise<APIGatewayProxyStructuredResultV2 & { json: any }>;

export interface ActionStack {
  agent: MockAgent;
  pool: ReturnType<MockAgent['get']>;
  /** Invokes the handler that API Gateway would route the request to. */
  invoke: Invoke;
}

/** Quiet by default: no EMF, no log lines (tests that inspect them set their own). */
export async function actionStack(env: { logLevel?: string; metrics?: boolean } = {}): Promise<ActionStack> {
  process.env.POWERTOOLS_LOG_LEVEL = env.logLevel ?? 'SILENT';
  if (env.metrics) delete process.env.POWERTOOLS_METRICS_DISABLED;
  else process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  const agent = new MockAgent();
  agent.disableNetConnect();
  const config = testConfig();
  const createClient = (workspace: Parameters<typeof workspaceClientOptions>[0]) =>
    new IntercomClient({
      ...workspaceClientOptions(workspace),
      dispatcher: agent,
      retry: { baseDelayMs: 1, maxDelayMs: 2 },
    });
  const handlers = new Map<
    string,
    (event: unknown, context: unknown) => Promise<APIGatewayProxyStructuredResultV2>
  >();
  for (const group of GROUPS) {
    const validators = (await import(`../../lib/validation/generated/${group}.ts`)) as ValidatorMap;
    handlers.set(
      group,
      createActionHandler(group as Group, validators, config, {
        createClient,
        maxBodyBytes: 64 * 1024,
      }) as never,
    );
  }
  handlers.set('meta', createMetaHandler(config.apiKeys) as never);
  const invoke: Invoke = async ({ key = FULL_KEY, ...input }) => {
    const headers = { ...(key === null ? {} : { authorization: `Bearer ${key}` }), ...input.headers };
    const { matchRoute, routeKey } = await import('../../lib/http/routes.ts');
    const method = input.method ?? 'POST';
    const route = matchRoute(method, new URL(input.path, 'http://x').pathname)?.route;
    const event = httpEvent({
      ...input,
      headers,
      routeKey: input.routeKey ?? (route ? routeKey(route) : '$default'),
    });
    const result = await handlers.get(route?.target ?? 'meta')!(event, testContext());
    return { ...result, json: result.body ? JSON.parse(result.body) : undefined };
  };
  return { agent, pool: agent.get('https://api.intercom.io'), invoke };
}
