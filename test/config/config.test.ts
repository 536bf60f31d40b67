import { describe, expect, it } from '@jest/globals';
import { ConfigError, derivedKeyId, loadConfig, sha256Hex } from '../../lib/config/index.ts';

const base = { INTERCOM_ACCESS_TOKEN: 'tok_1234567890', API_KEY: 'ia_local_key_0123456789' };

describe('configuration', () => {
  it('reads one workspace and the local API key from the environment', async () => {
    const config = await loadConfig({
      ...base,
      INTERCOM_REGION: 'eu',
      INTERCOM_VERSION: '1.2',
      INTERCOM_WEBHOOK_SECRET: 'a,,b',
    });
    expect(config.defaultWorkspace).toBe('default');
    expect(config.workspaces.get('default')).toMatchObject({
      accessToken: 'tok_1234567890',
      region: 'eu',
      version: '1.2',
      webhookSecrets: ['a', 'b'],
    });
    expect(config.apiKeys).toEqual([
      {
        id: derivedKeyId(sha256Hex(base.API_KEY)),
        name: 'API_KEY',
        sha256: sha256Hex(base.API_KEY),
        scopes: ['read', 'write', 'delete', 'bulk'],
        workspace: 'default',
      },
    ]);
  });

  it.each([
    [{ API_KEY: base.API_KEY }, 'INTERCOM_ACCESS_TOKEN is not set'],
    [{ ...base, INTERCOM_REGION: 'mars' }, 'region must be one of us, eu, au'],
    [{ ...base, INTERCOM_VERSION: '2.0' }, 'Intercom version must be one of 1.0, 1.1, 1.2, 1.3, 1.4'],
    [{ ...base, INTERCOM_BASE_URL: 'not a url' }, 'base URL is not a URL'],
    [{ ...base, API_KEY: 'short' }, 'API_KEY must be at least 16 characters'],
    [{ INTERCOM_ACCESS_TOKEN: 'tok_1234567890' }, 'No API key is configured'],
    [{ ...base, INTERCOM_WORKSPACES_JSON: '{' }, 'INTERCOM_WORKSPACES_JSON: not valid JSON'],
    [{ ...base, INTERCOM_WORKSPACES_JSON: '{"workspaces": {"a": {}}}' }, 'workspace "a": accessToken'],
    [
      {
        ...base,
        INTERCOM_WORKSPACES_JSON:
          '{"default": "x", "workspaces": {"a": {"accessToken": "t"}, "b": {"accessToken": "t"}}}',
      },
      '"default" must name',
    ],
    [{ ...base, API_KEYS_JSON: '{"keys": [{"name": "k", "sha256": "nothex"}]}' }, 'needs "sha256"'],
    [
      { ...base, API_KEYS_JSON: '{"keys": [{"key": "0123456789abcdefgh", "scopes": ["admin"]}]}' },
      'scopes must be a list',
    ],
    [
      { ...base, API_KEYS_JSON: '{"keys": [{"key": "0123456789abcdefgh", "workspace": "nope"}]}' },
      'workspace "nope" is not configured',
    ],
  ])('fails at start-up with a clear message (%#)', async (env, message) => {
    const error = await loadConfig(env).catch((e) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.message).toContain(message);
    expect(error.message).not.toContain('tok_1234567890');
  });

  it('reads several workspaces and hashed keys from Secrets Manager when the ARNs are set', async () => {
    const secrets: Record<string, string> = {
      'arn:ws': JSON.stringify({
        default: 'eu',
        workspaces: {
          eu: { accessToken: 't-eu', region: 'eu', webhookSecrets: ['s1', ''] },
          au: { accessToken: 't-au', region: 'au', version: '1.3' },
        },
      }),
      'arn:keys': JSON.stringify({
        keys: [{ name: 'zapier', sha256: sha256Hex('k'.repeat(20)), scopes: ['read'], workspace: 'au' }],
      }),
    };
    const read: string[] = [];
    const config = await loadConfig(
      { WORKSPACES_SECRET_ARN: 'arn:ws', API_KEYS_SECRET_ARN: 'arn:keys' },
      {
        readSecret: async (arn) => {
          read.push(arn);
          return secrets[arn];
        },
      },
    );
    expect(read).toEqual(['arn:ws', 'arn:keys']);
    expect(config.defaultWorkspace).toBe('eu');
    expect(config.workspaces.get('eu')?.webhookSecrets).toEqual(['s1']);
    expect(config.workspaces.get('au')).toMatchObject({ region: 'au', version: '1.3' });
    expect(config.apiKeys).toEqual([
      {
        id: derivedKeyId(sha256Hex('k'.repeat(20))),
        name: 'zapier',
        sha256: sha256Hex('k'.repeat(20)),
        scopes: ['read'],
        workspace: 'au',
      },
    ]);
  });

  it('lets the CLI run without API keys', async () => {
    const config = await loadConfig({ INTERCOM_ACCESS_TOKEN: 'tok_1234567890' }, { requireApiKeys: false });
    expect(config.apiKeys).toEqual([]);
  });
});
