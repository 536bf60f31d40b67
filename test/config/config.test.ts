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

  describe('key identity', () => {
    const twoWorkspaces = JSON.stringify({
      default: 'eu',
      workspaces: { eu: { accessToken: 't-eu-123456' }, au: { accessToken: 't-au-123456' } },
    });
    const key = (name: string, secret: string, extra: Record<string, unknown> = {}) => ({
      name,
      key: secret.padEnd(20, '0'),
      ...extra,
    });
    const keysJson = (keys: unknown[], extra: Record<string, unknown> = {}) =>
      JSON.stringify({ keys, ...extra });

    it.each([
      [
        'a key named API_KEY beside the API_KEY variable',
        { ...base, API_KEYS_JSON: keysJson([key('API_KEY', 'a')]) },
        'API keys: more than one key is named "API_KEY" (names are unique across API_KEYS_JSON or the API keys secret and the API_KEY variable)',
      ],
      [
        'one name in two workspaces',
        {
          INTERCOM_WORKSPACES_JSON: twoWorkspaces,
          API_KEYS_JSON: keysJson([
            key('shared', 'a', { workspace: 'eu' }),
            key('shared', 'b', { workspace: 'au' }),
          ]),
        },
        'API keys: more than one key is named "shared" (names are unique across API_KEYS_JSON or the API keys secret and the API_KEY variable)',
      ],
      [
        'one id on two keys',
        {
          ...base,
          API_KEYS_JSON: keysJson([key('a', 'a', { id: 'key_same' }), key('b', 'b', { id: 'key_same' })]),
        },
        'API keys: "a" and "b" have the same id "key_same" (ids are unique)',
      ],
      [
        'one secret under two names',
        {
          ...base,
          API_KEYS_JSON: keysJson([key('a', 'a', { id: 'key_a' }), key('b', 'a', { id: 'key_b' })]),
        },
        'API keys: "a" and "b" have the same secret (each key needs its own)',
      ],
      [
        'the id of a revoked key',
        {
          ...base,
          API_KEYS_JSON: keysJson([key('a', 'a'), key('back', 'b', { id: 'key_gone' })], {
            revoked: ['key_gone'],
          }),
        },
        'API key #2 ("back"): id "key_gone" belongs to a revoked key and is never used again',
      ],
      [
        'a revoked list that is not ids',
        { ...base, API_KEYS_JSON: keysJson([key('a', 'a')], { revoked: 'key_gone' }) },
        'API keys document: "revoked" must be a list of key ids',
      ],
      [
        'an id that is not one',
        { ...base, API_KEYS_JSON: keysJson([key('a', 'a', { id: 'no spaces' })]) },
        'API key #1 ("a"): id must be 4-64 letters, digits, _ or -',
      ],
    ])('refuses %s at start-up', async (_what, env, message) => {
      const error = await loadConfig(env).catch((e) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toBe(message);
    });

    it('refuses a duplicate name in the API keys secret as well', async () => {
      const secrets: Record<string, string> = {
        'arn:keys': keysJson([key('zapier', 'a'), key('zapier', 'b')]),
      };
      const error = await loadConfig(
        { INTERCOM_ACCESS_TOKEN: 'tok_1234567890', API_KEYS_SECRET_ARN: 'arn:keys' },
        { readSecret: async (arn) => secrets[arn] },
      ).catch((e) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toBe(
        'API keys: more than one key is named "zapier" (names are unique across API_KEYS_JSON or the API keys secret and the API_KEY variable)',
      );
    });

    it('keeps a configured id and accepts other keys beside a revoked list', async () => {
      const config = await loadConfig({
        ...base,
        API_KEYS_JSON: keysJson([key('ci', 'c', { id: 'key_ci_0001' })], { revoked: ['key_gone'] }),
      });
      expect(config.apiKeys.map((k) => [k.id, k.name])).toEqual([
        ['key_ci_0001', 'ci'],
        [derivedKeyId(sha256Hex(base.API_KEY)), 'API_KEY'],
      ]);
    });
  });

  it('lets the CLI run without API keys', async () => {
    const config = await loadConfig({ INTERCOM_ACCESS_TOKEN: 'tok_1234567890' }, { requireApiKeys: false });
    expect(config.apiKeys).toEqual([]);
  });
});
