import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadWebhookConfig } from '../../lib/config/index.ts';
import type { WebhookConfig } from '../../lib/config/types.ts';

const HOOKS = 'arn:aws:secretsmanager:eu-west-1:1:secret:intercom-actions/prod/webhook-secrets';
const WS = 'arn:aws:secretsmanager:eu-west-1:1:secret:intercom-actions/prod/workspaces';
const PLACEHOLDER = 'Xy7#kQ2!random-placeholder';
const TOKEN = 'tok_main_1234567890';

/** Loads with these secrets, recording which were read. */
async function load(env: Record<string, string>, secrets: Record<string, string>) {
  const read: string[] = [];
  const config = await loadWebhookConfig(env, {
    readSecret: async (arn) => {
      read.push(arn);
      return secrets[arn];
    },
  });
  return { config, read };
}

const plain = (config: WebhookConfig) => ({
  workspaces: Object.fromEntries(config.workspaces),
  defaultWorkspace: config.defaultWorkspace,
});

describe('the webhook intake configuration', () => {
  it('reads the webhook secrets secret alone when deployed: routing and signing secrets, no token', async () => {
    const doc = {
      default: 'eu',
      workspaces: {
        eu: { webhookSecrets: ['whsec_eu', ''], appId: 'app_eu' },
        au: { webhookSecrets: 'whsec_au', appId: 'app_au' },
      },
    };
    const { config, read } = await load(
      { WEBHOOK_SECRETS_SECRET_ARN: HOOKS, WORKSPACES_SECRET_ARN: WS },
      { [HOOKS]: JSON.stringify(doc) },
    );
    // A document in the new secret is the whole truth: the workspaces secret is not even read.
    expect(read).toEqual([HOOKS]);
    expect(plain(config)).toEqual({
      workspaces: {
        // An empty secret would accept forged notifications: dropped.
        eu: { name: 'eu', webhookSecrets: ['whsec_eu'], appId: 'app_eu' },
        au: { name: 'au', webhookSecrets: ['whsec_au'], appId: 'app_au' },
      },
      defaultWorkspace: 'eu',
    });
  });

  it.each([
    ['one workspace is the default', { workspaces: { main: { webhookSecrets: ['s'] } } }, 'main'],
    [
      'several and no default: only an app_id routes',
      { workspaces: { a: { webhookSecrets: ['s'], appId: 'app_a' }, b: { appId: 'app_b' } } },
      undefined,
    ],
    ['none yet (a deployment without webhooks)', { workspaces: {} }, undefined],
  ])('takes a document whose default is implied: %s', async (_case, doc, defaultWorkspace) => {
    const { config } = await load({ WEBHOOK_SECRETS_SECRET_ARN: HOOKS }, { [HOOKS]: JSON.stringify(doc) });
    expect(config.defaultWorkspace).toBe(defaultWorkspace);
    expect([...config.workspaces.keys()]).toEqual(Object.keys(doc.workspaces));
  });

  it.each([
    [{}, 'webhook secrets document: needs a "workspaces" object'],
    [{ workspaces: { main: 'whsec' } }, 'webhook secrets document: workspace "main": must be an object'],
    [
      { workspaces: { main: { accessToken: TOKEN, webhookSecrets: ['s'] } } },
      'webhook secrets document: workspace "main": holds an accessToken; tokens belong in the workspaces secret only',
    ],
    [
      { workspaces: { main: { webhookSecrets: [1] } } },
      'webhook secrets document: workspace "main": webhook secrets must be strings',
    ],
    [
      { workspaces: { main: { appId: '' } } },
      'webhook secrets document: workspace "main": appId must be a non-empty string',
    ],
    [
      { workspaces: { a: { appId: 'app_1' }, b: { appId: 'app_1' } } },
      `webhook secrets document: workspace "b": appId "app_1" is also workspace "a"'s`,
    ],
    [
      { default: 'eu', workspaces: { main: { webhookSecrets: ['s'] } } },
      'webhook secrets document: "default" must name one of its workspaces',
    ],
  ])('refuses a bad document with a message that names the problem (%#)', async (doc, message) => {
    const error = await load({ WEBHOOK_SECRETS_SECRET_ARN: HOOKS }, { [HOOKS]: JSON.stringify(doc) }).catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(message);
    expect(error.message).not.toContain(TOKEN);
  });

  it('falls back to the workspaces secret only while the new one holds the placeholder and the function may read both', async () => {
    const legacy = JSON.stringify({
      default: 'main',
      workspaces: {
        main: { accessToken: TOKEN, webhookSecrets: ['whsec_legacy'], appId: 'app_main' },
        eu: { accessToken: 'tok_eu_1234567890', region: 'eu' },
      },
    });
    const { config, read } = await load(
      { WEBHOOK_SECRETS_SECRET_ARN: HOOKS, WORKSPACES_SECRET_ARN: WS },
      { [HOOKS]: PLACEHOLDER, [WS]: legacy },
    );
    expect(read).toEqual([HOOKS, WS]);
    // Even then the intake keeps no token.
    expect(plain(config)).toEqual({
      workspaces: {
        main: { name: 'main', webhookSecrets: ['whsec_legacy'], appId: 'app_main' },
        eu: { name: 'eu', webhookSecrets: [] },
      },
      defaultWorkspace: 'main',
    });
    expect(JSON.stringify(plain(config))).not.toContain('tok_');
    const error = await load({ WEBHOOK_SECRETS_SECRET_ARN: HOOKS }, { [HOOKS]: PLACEHOLDER }).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain('`intercom-actions workspace migrate`');
  });

  it('reads the environment locally as before, without the tokens', async () => {
    const { config, read } = await load(
      { INTERCOM_ACCESS_TOKEN: TOKEN, INTERCOM_WEBHOOK_SECRET: 'w1, w2', INTERCOM_APP_ID: 'app_local' },
      {},
    );
    expect(read).toEqual([]);
    expect(plain(config)).toEqual({
      workspaces: { default: { name: 'default', webhookSecrets: ['w1', 'w2'], appId: 'app_local' } },
      defaultWorkspace: 'default',
    });
    const several = await load(
      {
        INTERCOM_WORKSPACES_JSON: JSON.stringify({
          default: 'a',
          workspaces: { a: { accessToken: TOKEN, webhookSecrets: ['sa'] }, b: { accessToken: TOKEN } },
        }),
      },
      {},
    );
    expect(plain(several.config)).toEqual({
      workspaces: { a: { name: 'a', webhookSecrets: ['sa'] }, b: { name: 'b', webhookSecrets: [] } },
      defaultWorkspace: 'a',
    });
  });
});
