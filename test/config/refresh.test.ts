/**
 * Warm functions follow the secrets: the real handlers, the real extension reader, a fake extension
 * whose answer changes, and an injected clock (no sleeps).
 */
import { createHmac } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { MockAgent } from 'undici';
import { ConfigError, type Env, sha256Hex } from '../../lib/config/index.ts';
import { extensionSecretReader } from '../../lib/config/secrets-extension.ts';
import {
  apiKeysSource,
  appConfigSource,
  DEFAULT_REFRESH_SECONDS,
  RETRY_AFTER_FAILURE_MS,
  webhookConfigSource,
} from '../../lib/config/source.ts';
import type { WorkspaceConfig } from '../../lib/config/types.ts';
import { createActionHandler } from '../../lib/http/action-handler.ts';
import { createMetaHandler } from '../../lib/http/meta-handler.ts';
import { createWebhookHandler } from '../../lib/http/webhook-handler.ts';
import { IntercomClient } from '../../lib/intercom/client.ts';
import * as validators from '../../lib/validation/generated/admins.ts';
import { workspaceClientOptions } from '../../lib/workspaces/clients.ts';
import { httpEvent, testContext } from '../helpers/events.ts';
import { type FakeExtension, SESSION_TOKEN, startFakeExtension } from '../helpers/fake-extension.ts';
import { JSON_HEADERS } from '../helpers/mock-intercom.ts';

const WS = 'arn:aws:secretsmanager:eu-west-1:1:secret:ws';
const KEYS = 'arn:aws:secretsmanager:eu-west-1:1:secret:keys';
const HOOKS = 'arn:aws:secretsmanager:eu-west-1:1:secret:webhook-secrets';
const ZAPIER_KEY = 'ia_zapier_key_0123456789abcdef';
const CI_KEY = 'ia_ci_key_0123456789abcdef_ci';
const EU_KEY = 'ia_eu_key_0123456789abcdef_eu';
const INTERVAL_MS = DEFAULT_REFRESH_SECONDS * 1000;

function workspaces(tokens: Record<string, string>): string {
  return JSON.stringify({
    default: 'main',
    workspaces: Object.fromEntries(
      Object.entries(tokens).map(([name, accessToken]) => [name, { accessToken }]),
    ),
  });
}

function keys(entries: Array<[name: string, key: string, workspace?: string]>): string {
  return JSON.stringify({
    keys: entries.map(([name, key, workspace]) => ({
      id: `key_${name}`,
      name,
      sha256: sha256Hex(key),
      ...(workspace ? { workspace } : {}),
    })),
  });
}

let fake: FakeExtension;
let agent: MockAgent;
const clock = { now: 1_800_000_000_000 };
const warnings: Array<{ message: string; details: Record<string, unknown> }> = [];
const options = () => ({
  readSecret: extensionSecretReader(fake.port, { AWS_SESSION_TOKEN: SESSION_TOKEN }),
  now: () => clock.now,
  warn: (message: string, details: Record<string, unknown>) => warnings.push({ message, details }),
});
const deployed: Env = { WORKSPACES_SECRET_ARN: WS, API_KEYS_SECRET_ARN: KEYS };

beforeAll(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});
beforeEach(async () => {
  fake = await startFakeExtension({
    [WS]: workspaces({ main: 'tok_main_first_123', eu: 'tok_eu_first_12345' }),
    [KEYS]: keys([
      ['zapier', ZAPIER_KEY],
      ['ci', CI_KEY],
      ['eu', EU_KEY, 'eu'],
    ]),
  });
  agent = new MockAgent();
  agent.disableNetConnect();
  warnings.length = 0;
});
afterEach(async () => {
  await fake.close();
  await agent.close();
});
afterAll(() => {
  delete process.env.POWERTOOLS_LOG_LEVEL;
});

/** The admins group handler on the refreshed config; `tokens` collects the Authorization Intercom saw. */
async function adminsHandler(env: Env = deployed) {
  const tokens: string[] = [];
  agent
    .get('https://api.intercom.io')
    .intercept({ path: '/me', method: 'GET' })
    .reply((opts) => {
      tokens.push(String((opts.headers as Record<string, string>).authorization));
      return {
        statusCode: 200,
        data: { type: 'admin', id: '1' },
        responseOptions: { headers: JSON_HEADERS },
      };
    })
    .persist();
  const createClient = (workspace: WorkspaceConfig) =>
    new IntercomClient({ ...workspaceClientOptions(workspace), dispatcher: agent, retry: { maxRetries: 0 } });
  const handler = createActionHandler('admins', validators, await appConfigSource(env, options()), {
    createClient,
  });
  const call = async (key: string) => {
    const event = httpEvent({
      path: '/actions/get_current_admin_and_app',
      routeKey: 'POST /actions/get_current_admin_and_app',
      headers: { authorization: `Bearer ${key}` },
    });
    const result = await handler(event, testContext() as never);
    return { status: result.statusCode, json: JSON.parse(result.body ?? 'null') };
  };
  return { call, tokens };
}

describe('configuration from Secrets Manager follows the secrets in warm functions', () => {
  it('refuses a revoked key once the refresh interval has passed: 401 unauthorized', async () => {
    const { call } = await adminsHandler();
    expect((await call(ZAPIER_KEY)).status).toBe(200);
    fake.secrets.set(KEYS, keys([['ci', CI_KEY]]));
    // Within the interval the last read stands (the documented bound, not an instant).
    clock.now += INTERVAL_MS - 1;
    expect((await call(ZAPIER_KEY)).status).toBe(200);
    clock.now += 1;
    const revoked = await call(ZAPIER_KEY);
    expect(revoked.status).toBe(401);
    expect(revoked.json.error).toMatchObject({ code: 'unauthorized', message: 'The API key is not valid' });
    expect((await call(CI_KEY)).status).toBe(200);
    expect(warnings).toEqual([]);
  });

  it('uses a rotated Intercom token for new calls, and stops serving a removed workspace', async () => {
    const { call, tokens } = await adminsHandler();
    expect((await call(ZAPIER_KEY)).status).toBe(200);
    expect((await call(EU_KEY)).status).toBe(200);
    fake.secrets.set(WS, workspaces({ main: 'tok_main_rotated_9' }));
    fake.secrets.set(
      KEYS,
      keys([
        ['zapier', ZAPIER_KEY],
        ['ci', CI_KEY],
      ]),
    );
    clock.now += INTERVAL_MS;
    expect((await call(ZAPIER_KEY)).status).toBe(200);
    expect((await call(EU_KEY)).status).toBe(401);
    expect(tokens).toEqual([
      'Bearer tok_main_first_123',
      'Bearer tok_eu_first_12345',
      'Bearer tok_main_rotated_9',
    ]);
  });

  it('keeps the last good keys when a refresh fails, warns without secrets, and retries after a back-off', async () => {
    const { call } = await adminsHandler();
    const readsAtStart = fake.reads.length;
    fake.status = 500;
    clock.now += INTERVAL_MS;
    expect((await call(ZAPIER_KEY)).status).toBe(200);
    expect(fake.reads.length).toBe(readsAtStart + 1);
    expect(warnings).toEqual([
      {
        message: 'Configuration refresh failed; keeping the last good configuration',
        details: {
          reason: `Secrets extension answered 500 for ${WS} (does the function's role allow secretsmanager:GetSecretValue?)`,
          configAgeSeconds: DEFAULT_REFRESH_SECONDS,
          retryInSeconds: RETRY_AFTER_FAILURE_MS / 1000,
        },
      },
    ]);
    const logged = JSON.stringify(warnings);
    for (const secret of ['tok_main_first_123', ZAPIER_KEY, sha256Hex(ZAPIER_KEY), SESSION_TOKEN])
      expect(logged).not.toContain(secret);
    // Not on every request: the next try waits for the back-off.
    clock.now += RETRY_AFTER_FAILURE_MS - 1;
    expect((await call(ZAPIER_KEY)).status).toBe(200);
    expect(fake.reads.length).toBe(readsAtStart + 1);
    // The extension is back, and the key was revoked meanwhile.
    fake.status = undefined;
    fake.secrets.set(KEYS, keys([['ci', CI_KEY]]));
    clock.now += 1;
    expect((await call(ZAPIER_KEY)).status).toBe(401);
    expect(warnings).toHaveLength(1);
  });

  it('keeps the last good configuration when the new one is invalid, and says why', async () => {
    const { call } = await adminsHandler();
    fake.secrets.set(
      KEYS,
      keys([
        ['ci', CI_KEY],
        ['ci', ZAPIER_KEY],
      ]),
    );
    clock.now += INTERVAL_MS;
    expect((await call(ZAPIER_KEY)).status).toBe(200);
    expect(warnings.map((w) => w.details.reason)).toEqual([
      'API keys: more than one key is named "ci" (names are unique across API_KEYS_JSON or the API keys secret and the API_KEY variable)',
    ]);
  });

  it('shares one read between concurrent invocations, and re-reads nothing before the interval', async () => {
    const source = await appConfigSource(deployed, options());
    expect(fake.reads).toEqual([WS, KEYS]);
    await Promise.all([source.fresh(), source.fresh(), source.fresh()]);
    expect(fake.reads).toEqual([WS, KEYS]);
    clock.now += INTERVAL_MS;
    const [a, b, c] = await Promise.all([source.fresh(), source.fresh(), source.fresh()]);
    expect(fake.reads).toEqual([WS, KEYS, WS, KEYS]);
    // Unchanged secrets keep the same object, so nothing derived from it is rebuilt.
    expect(a).toBe(b);
    expect(b).toBe(c);
    const built: unknown[] = [];
    const derived = source.derive((config) => built.push(config));
    derived();
    derived();
    clock.now += INTERVAL_MS;
    await source.fresh();
    derived();
    expect(built).toHaveLength(1);
    fake.secrets.set(KEYS, keys([['ci', CI_KEY]]));
    clock.now += INTERVAL_MS;
    await source.fresh();
    derived();
    derived();
    expect(built).toHaveLength(2);
  });

  it('refreshes the keys-only functions too (meta)', async () => {
    const handler = createMetaHandler(await apiKeysSource({ API_KEYS_SECRET_ARN: KEYS }, options()));
    const call = async (key: string) =>
      (
        await handler(
          httpEvent({
            method: 'GET',
            path: '/nowhere',
            routeKey: '$default',
            headers: { authorization: `Bearer ${key}` },
          }),
          testContext(),
        )
      ).statusCode;
    expect(await call(ZAPIER_KEY)).toBe(404);
    fake.secrets.set(KEYS, keys([['ci', CI_KEY]]));
    clock.now += INTERVAL_MS;
    expect(await call(ZAPIER_KEY)).toBe(401);
    expect(fake.reads).toEqual([KEYS, KEYS]);
  });

  /** The webhook handler on `env`; `post` answers [status, body] for a notification signed with `secret`. */
  async function webhookHandler(env: Env) {
    const handler = createWebhookHandler({
      config: await webhookConfigSource(env, options()),
      // Every notification is already known: the answer shows whether the signature verified.
      store: { isKnown: async () => true } as never,
      queue: {} as never,
    });
    const body = JSON.stringify({
      type: 'notification_event',
      id: 'notif_refresh-1',
      topic: 'company.created',
      created_at: 1_800_000_000,
      data: { type: 'notification_event_data', item: { type: 'company', id: 'c1' } },
    });
    return async (secret: string) => {
      const signature = createHmac('sha1', secret).update(body).digest('hex');
      const event = httpEvent({
        path: '/webhooks/intercom',
        routeKey: 'POST /webhooks/intercom',
        body,
        headers: { 'content-type': 'application/json', 'x-hub-signature': `sha1=${signature}` },
      });
      const result = await handler(event, testContext() as never);
      const answer = JSON.parse(result.body ?? 'null');
      return [result.statusCode, answer.error?.code ?? answer];
    };
  }
  const hooks = (secret: string) => JSON.stringify({ workspaces: { main: { webhookSecrets: [secret] } } });
  const VERIFIED = [200, { received: true, duplicate: true }];
  const REFUSED = [401, 'invalid_signature'];

  it('verifies webhooks with the refreshed secrets of the webhook secrets secret, never reading the tokens (webhooks)', async () => {
    fake.secrets.set(HOOKS, hooks('whsec_old_2025'));
    const post = await webhookHandler({ WEBHOOK_SECRETS_SECRET_ARN: HOOKS });
    expect(await post('whsec_old_2025')).toEqual(VERIFIED);
    fake.secrets.set(HOOKS, hooks('whsec_new_2026'));
    clock.now += INTERVAL_MS;
    expect(await post('whsec_new_2026')).toEqual(VERIFIED);
    expect(await post('whsec_old_2025')).toEqual(REFUSED);
    expect(fake.reads).toEqual([HOOKS, HOOKS]);
  });

  it('while migrating, reads the workspaces secret until the webhook secrets secret holds a document, then only that', async () => {
    // Deployed with -c legacyWebhookSecrets=true: the new secret is CloudFormation's placeholder, the
    // webhook secrets still in the workspaces secret.
    fake.secrets.set(HOOKS, 'Xy7#random-placeholder');
    fake.secrets.set(
      WS,
      JSON.stringify({
        workspaces: { main: { accessToken: 'tok_main_first_123', webhookSecrets: ['whsec_legacy'] } },
      }),
    );
    const post = await webhookHandler({ WEBHOOK_SECRETS_SECRET_ARN: HOOKS, WORKSPACES_SECRET_ARN: WS });
    expect(await post('whsec_legacy')).toEqual(VERIFIED);
    expect(fake.reads).toEqual([HOOKS, WS]);
    // `workspace migrate` moved them; within the interval the intake follows.
    fake.secrets.set(HOOKS, hooks('whsec_legacy'));
    fake.secrets.set(WS, workspaces({ main: 'tok_main_first_123' }));
    clock.now += INTERVAL_MS;
    expect(await post('whsec_legacy')).toEqual(VERIFIED);
    expect(fake.reads).toEqual([HOOKS, WS, HOOKS]);
  });

  it('fails the cold start with the migration to run when the webhook secrets secret holds no document and the tokens are out of reach', async () => {
    fake.secrets.set(HOOKS, 'Xy7#random-placeholder');
    const error = await webhookHandler({ WEBHOOK_SECRETS_SECRET_ARN: HOOKS }).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(
      'The webhook secrets secret holds no document yet: move the webhook secrets out of the workspaces secret with `intercom-actions workspace migrate`, or put them with `intercom-actions workspace set` (see docs/deploy.md)',
    );
    expect(fake.reads).toEqual([HOOKS]);
  });

  it('takes the interval from CONFIG_REFRESH_SECONDS', async () => {
    const source = await appConfigSource({ ...deployed, CONFIG_REFRESH_SECONDS: '60' }, options());
    clock.now += 59_999;
    await source.fresh();
    expect(fake.reads).toHaveLength(2);
    clock.now += 1;
    await source.fresh();
    expect(fake.reads).toHaveLength(4);
  });

  it.each(['0', '1.5', 'soon', '86401'])('refuses CONFIG_REFRESH_SECONDS=%s at start-up', async (value) => {
    const error = await appConfigSource({ ...deployed, CONFIG_REFRESH_SECONDS: value }, options()).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(
      `CONFIG_REFRESH_SECONDS must be a whole number of seconds from 1 to 86400 (got "${value}")`,
    );
  });

  it('still fails the cold start when the first read fails', async () => {
    fake.status = 503;
    const error = await appConfigSource(deployed, options()).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(
      `Secrets extension answered 503 for ${WS} (does the function's role allow secretsmanager:GetSecretValue?)`,
    );
  });

  it('never re-reads configuration that comes from the environment', async () => {
    const env: Record<string, string> = { INTERCOM_ACCESS_TOKEN: 'tok_env_123456', API_KEY: ZAPIER_KEY };
    const source = await appConfigSource(env, options());
    env.API_KEY = CI_KEY;
    clock.now += 10 * INTERVAL_MS;
    expect((await source.fresh()).apiKeys[0]?.sha256).toBe(sha256Hex(ZAPIER_KEY));
    expect(fake.reads).toEqual([]);
  });
});
