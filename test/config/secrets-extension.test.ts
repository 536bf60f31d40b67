import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from '../../lib/config/index.ts';
import { extensionSecretReader } from '../../lib/config/secrets-extension.ts';

/** Speaks the AWS Parameters and Secrets Lambda Extension's HTTP interface. */
const server = createServer((req, res) => {
  seen.push({ url: req.url ?? '', headers: req.headers });
  if (req.headers['x-aws-parameters-secrets-token'] !== 'session-token')
    return void res.writeHead(401).end('unauthorized');
  const id = new URL(req.url ?? '/', 'http://x').searchParams.get('secretId');
  const secrets: Record<string, string> = {
    'arn:aws:secretsmanager:eu-west-1:1:secret:ws': JSON.stringify({
      workspaces: { main: { accessToken: 'tok-from-secret' } },
    }),
    'arn:aws:secretsmanager:eu-west-1:1:secret:keys': JSON.stringify({
      keys: [{ name: 'ci', key: 'k'.repeat(24) }],
    }),
  };
  if (!id || !secrets[id]) return void res.writeHead(400).end('{"message":"not found"}');
  res
    .writeHead(200, { 'content-type': 'application/json' })
    .end(JSON.stringify({ Name: id, SecretString: secrets[id] }));
});
const seen: Array<{ url: string; headers: IncomingHttpHeaders }> = [];
let port = 0;

beforeAll(async () => {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe('secrets through the Parameters and Secrets Lambda Extension', () => {
  it('loads workspaces and keys with the session token header', async () => {
    const readSecret = extensionSecretReader(port, { AWS_SESSION_TOKEN: 'session-token' });
    const config = await loadConfig(
      {
        WORKSPACES_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:1:secret:ws',
        API_KEYS_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:1:secret:keys',
      },
      { readSecret },
    );
    expect(config.workspaces.get('main')?.accessToken).toBe('tok-from-secret');
    expect(config.apiKeys[0]?.name).toBe('ci');
    expect(seen[0]?.url).toBe(
      '/secretsmanager/get?secretId=arn%3Aaws%3Asecretsmanager%3Aeu-west-1%3A1%3Asecret%3Aws',
    );
  });

  it('fails start-up clearly when the secret is missing, access is denied or the extension is absent', async () => {
    await expect(
      extensionSecretReader(port, { AWS_SESSION_TOKEN: 'session-token' })('arn:missing'),
    ).rejects.toThrow('answered 400 for arn:missing');
    await expect(extensionSecretReader(port, { AWS_SESSION_TOKEN: 'wrong' })('arn:x')).rejects.toThrow(
      'answered 401',
    );
    await expect(extensionSecretReader(port, {})('arn:x')).rejects.toThrow('AWS_SESSION_TOKEN is not set');
    await expect(extensionSecretReader(1, { AWS_SESSION_TOKEN: 't' })('arn:x')).rejects.toThrow(
      'needs the extension layer',
    );
  });

  it('gives up on an extension that does not answer, and on an answer that is not JSON', async () => {
    const silent = createServer((req, res) => {
      if (req.url?.includes('garbled')) res.writeHead(200).end('<html>');
      // Otherwise never answers.
    });
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const silentPort = (silent.address() as AddressInfo).port;
    try {
      const read = extensionSecretReader(silentPort, { AWS_SESSION_TOKEN: 'session-token' }, 100);
      const error = await read('arn:slow').catch((e) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect(error.message).toBe(
        `Could not read arn:slow from the AWS Parameters and Secrets Lambda Extension on port ${silentPort} (no answer within 100 ms); the function needs the extension layer`,
      );
      await expect(read('arn:garbled')).rejects.toThrow(
        'Secrets extension answered 200 for arn:garbled without JSON',
      );
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });
});
