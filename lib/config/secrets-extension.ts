/**
 * Reads secrets through the AWS Parameters and Secrets Lambda Extension (a localhost HTTP cache that
 * AWS runs beside the function). Not Powertools Parameters: that pulls the AWS SDK (~315 KB) into
 * every action bundle, and just loading it cost ~45 ms of each cold start here, measured; the
 * extension serves the same cached secret with no SDK. The CDK app attaches the extension layer.
 */

import { Agent, request } from '../intercom/undici-lite.ts';
import type { SecretReader } from './load.ts';
import { ConfigError } from './parse.ts';

export const DEFAULT_EXTENSION_PORT = 2773;

export function extensionSecretReader(
  port = DEFAULT_EXTENSION_PORT,
  env: Readonly<Record<string, string | undefined>> = process.env,
): SecretReader {
  return async (secretId) => {
    const token = env.AWS_SESSION_TOKEN;
    if (!token) throw new ConfigError('AWS_SESSION_TOKEN is not set: secrets can only be read inside Lambda');
    const agent = new Agent({ connect: { timeout: 2_000 } });
    try {
      const response = await request.call(agent, {
        origin: `http://localhost:${port}`,
        path: `/secretsmanager/get?secretId=${encodeURIComponent(secretId)}`,
        method: 'GET',
        headers: { 'x-aws-parameters-secrets-token': token },
        headersTimeout: 5_000,
        bodyTimeout: 5_000,
      });
      const text = await response.body.text();
      if (response.statusCode !== 200) {
        throw new ConfigError(
          `Secrets extension answered ${response.statusCode} for ${secretId} (does the function's role allow secretsmanager:GetSecretValue?)`,
        );
      }
      const secret = JSON.parse(text) as { SecretString?: unknown };
      if (typeof secret.SecretString !== 'string')
        throw new ConfigError(`Secret ${secretId} has no SecretString`);
      return secret.SecretString;
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      throw new ConfigError(
        `Could not read ${secretId} from the AWS Parameters and Secrets Lambda Extension on port ${port} (${(error as Error).message}); the function needs the extension layer`,
      );
    } finally {
      await agent.close();
    }
  };
}
