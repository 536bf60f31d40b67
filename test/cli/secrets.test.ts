import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { keyRing } from '../../lib/auth/api-keys.ts';
import { runCli } from '../../lib/cli/main.ts';
import { ConfigError, derivedKeyId, loadConfig, sha256Hex } from '../../lib/config/index.ts';
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
