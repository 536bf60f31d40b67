import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { runCli } from '../../lib/cli/main.ts';
import { loadConfig, sha256Hex } from '../../lib/config/index.ts';
import { awsSecretStore } from '../../lib/secrets/store.ts';
import { type FakeSecretsManager, startSecretsManager } from '../helpers/secrets-manager-server.ts';

let sm: FakeSecretsManager;
beforeAll(async () => {
  // As after `cdk deploy`: both secrets exist, holding CloudFormation's random placeholder.
  sm = await startSecretsManager({
    'intercom-actions/dev/api-keys': 'Xy7#random',
    'intercom-actions/dev/workspaces': 'Qz9!random',
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
    expect(JSON.parse(stored).keys[0]).toMatchObject({
      name: 'zapier',
      sha256: sha256Hex(key),
      scopes: ['read', 'write'],
    });
    expect((await cli(['keys', 'create', '--name', 'zapier'])).code).toBe(2);
    expect((await cli(['keys', 'create', '--name', 'x', '--scopes', 'root'])).code).toBe(2);
  });

  it('stores a workspace from the environment, never from argv, and the functions can load both', async () => {
    expect((await cli(['workspace', 'set', '--name', 'main'])).code).toBe(2);
    const res = await cli(['workspace', 'set', '--name', 'main', '--region', 'eu'], {
      INTERCOM_ACCESS_TOKEN: 'tok_from_env_123',
      INTERCOM_WEBHOOK_SECRET: 'w1,w2',
    });
    expect(res.code).toBe(0);
    const secrets = Object.fromEntries(sm.secrets);
    const config = await loadConfig(
      {
        WORKSPACES_SECRET_ARN: 'intercom-actions/dev/workspaces',
        API_KEYS_SECRET_ARN: 'intercom-actions/dev/api-keys',
      },
      { readSecret: async (id) => secrets[id] },
    );
    expect(config.workspaces.get('main')).toMatchObject({
      accessToken: 'tok_from_env_123',
      region: 'eu',
      webhookSecrets: ['w1', 'w2'],
    });
    expect(config.apiKeys.map((k) => k.name)).toEqual(['zapier']);
    expect((await cli(['workspace', 'list'])).out).toContain('main (default)\teu');
  });

  it('lists and revokes keys', async () => {
    expect((await cli(['keys', 'list'])).out).toContain('zapier\tread,write');
    expect((await cli(['keys', 'revoke', '--name', 'zapier'])).code).toBe(0);
    expect((await cli(['keys', 'list'])).out).toContain('no API keys');
    expect((await cli(['keys', 'revoke', '--name', 'zapier'])).code).toBe(2);
  });

  it('prints a local API_KEYS_JSON entry with --local', async () => {
    const res = await cli(['keys', 'create', '--name', 'dev', '--local']);
    const json = JSON.parse(/Add to API_KEYS_JSON: (.*)/.exec(res.out)![1]!);
    expect(json.keys[0].name).toBe('dev');
  });
});
