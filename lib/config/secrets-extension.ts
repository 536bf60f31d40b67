/**
 * Reads secrets through the AWS Parameters and Secrets Lambda Extension (a localhost HTTP endpoint
 * that AWS runs beside the function). Not Powertools Parameters: that pulls the AWS SDK (~315 KB) into
 * every action bundle, and just loading it cost ~45 ms of each cold start here, measured. Plain
 * `node:http`, not undici: the functions that never call Intercom would carry ~465 KB of undici for
 * this one local GET (~14 ms of their cold start, measured). The CDK app attaches the extension layer.
 */
import type * as Http from 'node:http';
import { ConfigError } from './parse.ts';
import type { SecretReader } from './types.ts';

export const DEFAULT_EXTENSION_PORT = 2773;
/** The extension answers from Secrets Manager within this, or the read fails (and is retried later). */
export const EXTENSION_TIMEOUT_MS = 5_000;

/**
 * `node:http` loaded when first used, not imported: an ESM import of it builds the module's ESM
 * namespace, which evaluates its lazy `WebSocket`/`EventSource` exports and so loads Node's own
 * bundled undici (~10-20 ms of every cold start, measured, for a module most invocations never use).
 */
const http = (): typeof Http => process.getBuiltinModule('node:http');

interface Answer {
  status: number;
  text: string;
}

function get(port: number, path: string, token: string, timeoutMs: number): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const fail = (error: Error) => {
      clearTimeout(deadline);
      reject(error);
    };
    const req = http().request(
      {
        host: 'localhost',
        port,
        path,
        method: 'GET',
        headers: { 'X-Aws-Parameters-Secrets-Token': token },
        // A fresh connection per read: reads are minutes apart, and a pooled socket may not survive
        // the container being frozen in between.
        agent: false,
        // No byte for this long (connecting included) ends the read.
        timeout: timeoutMs,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          clearTimeout(deadline);
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', fail);
      },
    );
    const giveUp = () => req.destroy(new Error(`no answer within ${timeoutMs} ms`));
    // And the whole read, however slowly the bytes drip.
    const deadline = setTimeout(giveUp, timeoutMs);
    req.on('timeout', giveUp);
    req.on('error', fail);
    req.end();
  });
}

export function extensionSecretReader(
  port = DEFAULT_EXTENSION_PORT,
  env: Readonly<Record<string, string | undefined>> = process.env,
  timeoutMs = EXTENSION_TIMEOUT_MS,
): SecretReader {
  return async (secretId) => {
    const token = env.AWS_SESSION_TOKEN;
    if (!token) throw new ConfigError('AWS_SESSION_TOKEN is not set: secrets can only be read inside Lambda');
    let answer: Answer;
    try {
      answer = await get(
        port,
        `/secretsmanager/get?secretId=${encodeURIComponent(secretId)}`,
        token,
        timeoutMs,
      );
    } catch (error) {
      throw new ConfigError(
        `Could not read ${secretId} from the AWS Parameters and Secrets Lambda Extension on port ${port} (${(error as Error).message}); the function needs the extension layer`,
      );
    }
    if (answer.status !== 200) {
      throw new ConfigError(
        `Secrets extension answered ${answer.status} for ${secretId} (does the function's role allow secretsmanager:GetSecretValue?)`,
      );
    }
    let secret: { SecretString?: unknown };
    try {
      secret = JSON.parse(answer.text) as { SecretString?: unknown };
    } catch {
      throw new ConfigError(`Secrets extension answered 200 for ${secretId} without JSON`);
    }
    if (typeof secret?.SecretString !== 'string')
      throw new ConfigError(`Secret ${secretId} has no SecretString`);
    return secret.SecretString;
  };
}
