import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { keyRing } from '../../lib/auth/api-keys.ts';
import { runCli } from '../../lib/cli/main.ts';
import {
  ConfigError,
  derivedKeyId,
  loadConfig,
  loadWebhookConfig,
  sha256Hex,
} from '../../lib/config/index.ts';
import { awsSecretStore } from '../../lib/secrets/store.ts';
import { type FakeSecretsManager, startSecretsManager } from '../helpers/secrets-manager-server.ts';

let sm: FakeSecretsManager;
beforeAll(async () => {
  // As after `cdk deploy`: the three secrets exist, holding CloudFormation's random placeholder.
  sm = await startSecretsManager({
    'intercom-actions/dev/api-keys': 'Xy7#random',
    'intercom-actions/dev/workspaces': 'Qz9!random',
    'intercom-actions/dev/webhook-secrets': 'Wk3$random',
  });
});
afterAll(() => sm.close());

async function cli(argv: string[], env: Record<string, string> = {}) {
  let out = '';
  let err = '';
  const store = () =>
    awsSecretStore({
      endpoint: sm.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
  const code = await runCli(argv, {
    out: (t) => (out += `${t}\n`),
    err: (t) => (err += `${t}\n`),
    env,
    store,
  });
  return { code, out, err };
}

describe('intercom-actions keys and workspace (against the Secrets Manager protocol)', () => {
  it('creates a key, prints it once and stores only its hash', async () => {
    const res = await cli(['keys', 'create', '--name', 'zapier', '--scopes', 'read,write']);
    expect(res.code).toBe(0);
    const key = /Key \(shown once, store it now\): (\S+)/.exec(res.out)![1]!;
    const stored = sm.secrets.get('intercom-actions/dev/api-keys')!;
    expect(stored).not.toContain(key);
    const entry = JSON.parse(stored).keys[0];
    expect(entry).toMatchObject({
      name: 'zapier',
      sha256: sha256Hex(key),
      scopes: ['read', 'write'],
    });
    expect(entry.id).toMatch(/^key_[A-Za-z0-9_-]{22}$/);
    expect(res.out).toContain(`API key "zapier" (id ${entry.id}; read, write)`);
    const again = await cli(['keys', 'create', '--name', 'zapier']);
    expect(again).toMatchObject({
      code: 2,
      err: 'configuration error: API key name "zapier" is already used in intercom-actions/dev/api-keys (names are unique): revoke that key or pick another name\n',
    });
    expect(JSON.parse(sm.secrets.get('intercom-actions/dev/api-keys')!).keys).toHaveLength(1);
    expect((await cli(['keys', 'create', '--name', 'x', '--scopes', 'root'])).code).toBe(2);
  });

  it('stores a workspace from the environment, never from argv: the token in the workspaces secret, the webhook secrets in their own, and the functions load them', async () => {
    expect((await cli(['workspace', 'set', '--name', 'main'])).code).toBe(2);
    const res = await cli(['workspace', 'set', '--name', 'main', '--region', 'eu', '--app-id', 'app_main'], {
      INTERCOM_ACCESS_TOKEN: 'tok_from_env_123',
      INTERCOM_WEBHOOK_SECRET: 'w1,w2',
    });
    expect(res).toMatchObject({
      code: 0,
      out: 'Workspace "main" stored in intercom-actions/dev/workspaces (default).\nIts webhook secrets and app id are in intercom-actions/dev/webhook-secrets.\n',
    });
    const secrets = Object.fromEntries(sm.secrets);
    expect(secrets['intercom-actions/dev/workspaces']).not.toMatch(/w1|app_main|webhookSecrets/);
    expect(secrets['intercom-actions/dev/webhook-secrets']).not.toContain('tok_from_env_123');
    const readSecret = async (id: string) => secrets[id];
    const config = await loadConfig(
      {
        WORKSPACES_SECRET_ARN: 'intercom-actions/dev/workspaces',
        API_KEYS_SECRET_ARN: 'intercom-actions/dev/api-keys',
      },
      { readSecret },
    );
    expect(config.workspaces.get('main')).toMatchObject({ accessToken: 'tok_from_env_123', region: 'eu' });
    expect(config.apiKeys.map((k) => k.name)).toEqual(['zapier']);
    const hooks = await loadWebhookConfig(
      { WEBHOOK_SECRETS_SECRET_ARN: 'intercom-actions/dev/webhook-secrets' },
      { readSecret },
    );
    expect(hooks).toEqual({
      workspaces: new Map([['main', { name: 'main', webhookSecrets: ['w1', 'w2'], appId: 'app_main' }]]),
      defaultWorkspace: 'main',
    });
    expect((await cli(['workspace', 'list'])).out).toContain('main (default)\teu');
    // A new token keeps the webhook secrets; new webhook secrets keep the app id.
    await cli(['workspace', 'set', '--name', 'main'], { INTERCOM_ACCESS_TOKEN: 'tok_rotated_456' });
    await cli(['workspace', 'set', '--name', 'main'], {
      INTERCOM_ACCESS_TOKEN: 'tok_rotated_456',
      INTERCOM_WEBHOOK_SECRET: 'w3',
    });
    expect(JSON.parse(sm.secrets.get('intercom-actions/dev/webhook-secrets')!)).toEqual({
      workspaces: { main: { webhookSecrets: ['w3'], appId: 'app_main' } },
      default: 'main',
    });
    expect(JSON.parse(sm.secrets.get('intercom-actions/dev/workspaces')!).workspaces.main.accessToken).toBe(
      'tok_rotated_456',
    );
  });

  describe('migrating a stack from before the webhook secrets secret', () => {
    /** A workspaces secret as the previous version wrote it, and a freshly deployed webhook secrets secret. */
    const legacy = (stage: string) => {
      sm.secrets.set(
        `intercom-actions/${stage}/workspaces`,
        JSON.stringify({
          default: 'main',
          workspaces: {
            main: {
              accessToken: 'tok_main_123456',
              region: 'eu',
              webhookSecrets: ['whsec_main'],
              appId: 'app_main',
            },
            other: { accessToken: 'tok_other_123456', webhookSecrets: 'whsec_other', appId: 'app_other' },
            tokenOnly: { accessToken: 'tok_only_123456' },
          },
        }),
      );
      sm.secrets.set(`intercom-actions/${stage}/webhook-secrets`, 'Wk3$random');
    };
    const env = (stage: string) => ({
      WEBHOOK_SECRETS_SECRET_ARN: `intercom-actions/${stage}/webhook-secrets`,
      WORKSPACES_SECRET_ARN: `intercom-actions/${stage}/workspaces`,
    });
    const readSecret = async (id: string) => sm.secrets.get(id);
    const expected = {
      workspaces: new Map([
        ['main', { name: 'main', webhookSecrets: ['whsec_main'], appId: 'app_main' }],
        ['other', { name: 'other', webhookSecrets: ['whsec_other'], appId: 'app_other' }],
      ]),
      defaultWorkspace: 'main',
    };

    it('workspace migrate moves every webhook secret and app id, once; the intake reads the same from the new secret alone', async () => {
      legacy('old');
      // Deployed with -c legacyWebhookSecrets=true, the intake reads them from the workspaces secret.
      const before = await loadWebhookConfig(env('old'), { readSecret });
      expect(before.workspaces.get('main')).toEqual(expected.workspaces.get('main'));
      const res = await cli(['workspace', 'migrate', '--stage', 'old']);
      expect(res).toEqual({
        code: 0,
        out: 'Moved the webhook secrets and app ids of main, other from intercom-actions/old/workspaces to intercom-actions/old/webhook-secrets; the webhook intake reads them within 5 minutes.\n',
        err: '',
      });
      const workspaces = sm.secrets.get('intercom-actions/old/workspaces')!;
      expect(workspaces).not.toMatch(/whsec|app_|webhookSecrets|appId/);
      // The tokens stay where they were, and load as before.
      const config = await loadConfig(
        { WORKSPACES_SECRET_ARN: 'intercom-actions/old/workspaces' },
        {
          readSecret,
          requireApiKeys: false,
        },
      );
      expect([...config.workspaces.values()].map((w) => [w.name, w.accessToken, w.region])).toEqual([
        ['main', 'tok_main_123456', 'eu'],
        ['other', 'tok_other_123456', 'us'],
        ['tokenOnly', 'tok_only_123456', 'us'],
      ]);
      // Deployed again without the flag, the intake reads only the new secret: the same routing.
      const after = await loadWebhookConfig(
        { WEBHOOK_SECRETS_SECRET_ARN: 'intercom-actions/old/webhook-secrets' },
        { readSecret },
      );
      expect(after).toEqual(expected);
      expect(await cli(['workspace', 'migrate', '--stage', 'old'])).toMatchObject({
        code: 0,
        out: 'Nothing to move: intercom-actions/old/workspaces holds no webhook secrets or app ids.\n',
      });
    });

    it('workspace set moves them too, and keeps what the new secret already holds', async () => {
      legacy('mixed');
      // Someone already put main's new secret there by hand: that is what the intake reads, and stays.
      sm.secrets.set(
        'intercom-actions/mixed/webhook-secrets',
        JSON.stringify({ workspaces: { main: { webhookSecrets: ['whsec_main_new'], appId: 'app_main' } } }),
      );
      const res = await cli(
        ['workspace', 'set', '--stage', 'mixed', '--name', 'other', '--app-id', 'app_other_2'],
        {
          INTERCOM_ACCESS_TOKEN: 'tok_other_rotated',
        },
      );
      expect(res.out).toContain(
        'Moved the webhook secrets and app ids of main, other from intercom-actions/mixed/workspaces to intercom-actions/mixed/webhook-secrets (it already held main: kept as it was).',
      );
      const hooks = await loadWebhookConfig(
        { WEBHOOK_SECRETS_SECRET_ARN: 'intercom-actions/mixed/webhook-secrets' },
        { readSecret },
      );
      expect(hooks.workspaces.get('other')).toEqual({
        name: 'other',
        webhookSecrets: ['whsec_other'],
        appId: 'app_other_2',
      });
      expect(hooks.workspaces.get('main')).toEqual({
        name: 'main',
        webhookSecrets: ['whsec_main_new'],
        appId: 'app_main',
      });
      expect(hooks.defaultWorkspace).toBe('main');
      expect(sm.secrets.get('intercom-actions/mixed/workspaces')).not.toMatch(/whsec|app_/);
    });

    it('a --secret-id names the webhook secrets secret beside it, or webhook secrets need --webhook-secret-id', async () => {
      sm.secrets.set('team/workspaces', 'Qz9!random');
      sm.secrets.set('team/webhook-secrets', 'Wk3$random');
      const token = { INTERCOM_ACCESS_TOKEN: 'tok_team_123456', INTERCOM_WEBHOOK_SECRET: 'whsec_team' };
      expect(
        (await cli(['workspace', 'set', '--secret-id', 'team/workspaces', '--name', 'team'], token)).code,
      ).toBe(0);
      expect(JSON.parse(sm.secrets.get('team/webhook-secrets')!).workspaces.team).toEqual({
        webhookSecrets: ['whsec_team'],
      });
      const refused = {
        code: 2,
        out: '',
        err: 'usage: --webhook-secret-id is needed with a --secret-id that does not end in /workspaces\n',
      };
      expect(
        await cli(['workspace', 'set', '--secret-id', 'arn:team-ws-Ab12', '--name', 'team'], token),
      ).toEqual(refused);
      expect(await cli(['workspace', 'migrate', '--secret-id', 'arn:team-ws-Ab12'])).toEqual(refused);
      // A token alone goes where it always went.
      sm.secrets.set('arn:team-ws-Ab12', 'Qz9!random');
      const tokenOnly = await cli(['workspace', 'set', '--secret-id', 'arn:team-ws-Ab12', '--name', 'team'], {
        INTERCOM_ACCESS_TOKEN: 'tok_team_123456',
      });
      expect(tokenOnly.code).toBe(0);
      expect(JSON.parse(sm.secrets.get('arn:team-ws-Ab12')!).workspaces.team.accessToken).toBe(
        'tok_team_123456',
      );
    });

    it('on a stack deployed before the webhook secrets secret: a token is stored as before, webhook secrets wait for the deploy', async () => {
      legacy('undeployed');
      sm.secrets.delete('intercom-actions/undeployed/webhook-secrets');
      const before = sm.secrets.get('intercom-actions/undeployed/workspaces')!;
      const refused = await cli(['workspace', 'set', '--stage', 'undeployed', '--name', 'main'], {
        INTERCOM_ACCESS_TOKEN: 'tok_main_rotated',
        INTERCOM_WEBHOOK_SECRET: 'whsec_new',
      });
      expect(refused).toEqual({
        code: 2,
        out: '',
        err: 'configuration error: The webhook secrets secret intercom-actions/undeployed/webhook-secrets does not exist: deploy the stack (npx cdk deploy), which creates it, then run this again\n',
      });
      expect(sm.secrets.get('intercom-actions/undeployed/workspaces')).toBe(before);
      expect((await cli(['workspace', 'migrate', '--stage', 'undeployed'])).code).toBe(2);
      const tokenOnly = await cli(['workspace', 'set', '--stage', 'undeployed', '--name', 'main'], {
        INTERCOM_ACCESS_TOKEN: 'tok_main_rotated',
      });
      expect(tokenOnly.code).toBe(0);
      // The functions of that stack still read their webhook secrets there: they stay.
      expect(JSON.parse(sm.secrets.get('intercom-actions/undeployed/workspaces')!).workspaces.main).toEqual({
        accessToken: 'tok_main_rotated',
        region: 'eu',
        webhookSecrets: ['whsec_main'],
        appId: 'app_main',
      });
    });
  });

  it('sets the Intercom API version with --api-version; the old --version works with a notice', async () => {
    sm.secrets.set('versions', 'Rn5%random');
    const env = { INTERCOM_ACCESS_TOKEN: 'tok_from_env_456' };
    const stored = () => JSON.parse(sm.secrets.get('versions')!).workspaces.main;
    const current = await cli(
      ['workspace', 'set', '--secret-id=versions', '--name=main', '--api-version=1.2'],
      env,
    );
    expect(current).toMatchObject({ code: 0, err: '' });
    expect(stored().version).toBe('1.2');
    const old = await cli(
      ['workspace', 'set', '--secret-id', 'versions', '--name', 'main', '--version', '1.3'],
      env,
    );
    expect(old).toMatchObject({
      code: 0,
      err: 'notice: workspace set --version is renamed --api-version (the Intercom API version); the old spelling still works for now\n',
    });
    expect(stored().version).toBe('1.3');
    const both = ['--secret-id', 'versions', '--name', 'main', '--version', '1.1', '--api-version', '1.1'];
    expect(await cli(['workspace', 'set', ...both], env)).toMatchObject({
      code: 2,
      err: 'usage: --version is the old spelling of --api-version: give only --api-version\n',
    });
    const bad = await cli(
      ['workspace', 'set', '--secret-id', 'versions', '--name', 'main', '--api-version', '2.0'],
      env,
    );
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--api-version');
    expect(stored().version).toBe('1.3');
    expect((await cli(['workspace', 'set', '--name', 'main', '--default=yes'], env)).err).toBe(
      'usage: --default takes no value\n',
    );
  });

  it('rotates a key: a new secret printed once, the same id, scopes and workspace, the old hash gone', async () => {
    const before = JSON.parse(sm.secrets.get('intercom-actions/dev/api-keys')!).keys[0];
    const res = await cli(['keys', 'rotate', '--name', 'zapier']);
    expect(res.code).toBe(0);
    const key = /Key \(shown once, store it now\): (\S+)/.exec(res.out)![1]!;
    expect(res.out).toContain(`Rotated "zapier" (id ${before.id})`);
    const stored = sm.secrets.get('intercom-actions/dev/api-keys')!;
    expect(stored).not.toContain(key);
    expect(stored).not.toContain(before.sha256);
    const after = JSON.parse(stored).keys[0];
    expect(after).toMatchObject({
      id: before.id,
      name: 'zapier',
      scopes: ['read', 'write'],
      createdAt: before.createdAt,
      sha256: sha256Hex(key),
    });
    expect(after.rotatedAt).toEqual(expect.any(String));
    const config = await loadConfig(
      { INTERCOM_ACCESS_TOKEN: 'tok_1234567890', API_KEYS_SECRET_ARN: 'keys' },
      { readSecret: async () => stored },
    );
    expect(keyRing(config.apiKeys).find(key)?.id).toBe(before.id);
    expect(await cli(['keys', 'rotate', '--name', 'nope'])).toMatchObject({
      code: 2,
      err: 'usage: No key named "nope"\n',
    });
  });

  it('keeps the id of a key written without one (derived from its old hash) when rotating it', async () => {
    const oldHash = sha256Hex('legacy-key-0123456789');
    sm.secrets.set('legacy-keys', JSON.stringify({ keys: [{ name: 'legacy', sha256: oldHash }] }));
    expect((await cli(['keys', 'list', '--secret-id', 'legacy-keys'])).out).toBe(
      `${derivedKeyId(oldHash)}\tlegacy\tread,write,delete,bulk\t(default)\t\n`,
    );
    expect((await cli(['keys', 'rotate', '--secret-id', 'legacy-keys', '--name', 'legacy'])).code).toBe(0);
    const entry = JSON.parse(sm.secrets.get('legacy-keys')!).keys[0];
    expect(entry.id).toBe(derivedKeyId(oldHash));
    expect(entry.sha256).not.toBe(oldHash);
  });

  it('lists and revokes keys; a revoked id is never used again', async () => {
    const { id } = JSON.parse(sm.secrets.get('intercom-actions/dev/api-keys')!).keys[0];
    expect((await cli(['keys', 'list'])).out).toContain(`${id}\tzapier\tread,write\t(default)\t`);
    const revoke = await cli(['keys', 'revoke', '--name', 'zapier']);
    expect(revoke.code).toBe(0);
    expect(revoke.out).toContain(`Revoked "zapier" (id ${id}): functions refuse it within 5 minutes`);
    expect((await cli(['keys', 'list'])).out).toContain('no API keys');
    expect((await cli(['keys', 'revoke', '--name', 'zapier'])).code).toBe(2);
    const doc = JSON.parse(sm.secrets.get('intercom-actions/dev/api-keys')!);
    expect(doc).toMatchObject({ keys: [], revoked: [id] });
    // A name can come back (a new key, a new id); the revoked id cannot.
    expect((await cli(['keys', 'create', '--name', 'zapier'])).code).toBe(0);
    const reused = JSON.parse(sm.secrets.get('intercom-actions/dev/api-keys')!);
    expect(reused.keys[0].id).not.toBe(id);
    reused.keys[0].id = id;
    const error = await loadConfig(
      { INTERCOM_ACCESS_TOKEN: 'tok_1234567890', API_KEYS_SECRET_ARN: 'keys' },
      { readSecret: async () => JSON.stringify(reused) },
    ).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toBe(
      `API key #1 ("zapier"): id "${id}" belongs to a revoked key and is never used again`,
    );
  });

  it('prints a local API_KEYS_JSON entry with --local', async () => {
    const res = await cli(['keys', 'create', '--name', 'dev', '--local']);
    const json = JSON.parse(/Add to API_KEYS_JSON: (.*)/.exec(res.out)![1]!);
    expect(json.keys[0].name).toBe('dev');
    expect(json.keys[0].id).toMatch(/^key_[A-Za-z0-9_-]{22}$/);
  });
});
