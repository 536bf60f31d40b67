/**
 * A loopback server speaking AWS Secrets Manager's JSON 1.1 protocol (GetSecretValue, PutSecretValue),
 * so the AWS SDK adapter is tested over the wire with no AWS account.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeSecretsManager {
  endpoint: string;
  secrets: Map<string, string>;
  close(): Promise<void>;
}

export async function startSecretsManager(initial: Record<string, string> = {}): Promise<FakeSecretsManager> {
  const secrets = new Map(Object.entries(initial));
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as {
      SecretId?: string;
      SecretString?: string;
    };
    const target = String(req.headers['x-amz-target'] ?? '');
    const reply = (status: number, payload: unknown, errorType?: string) => {
      const headers: Record<string, string> = { 'content-type': 'application/x-amz-json-1.1' };
      if (errorType) headers['x-amzn-errortype'] = errorType;
      res.writeHead(status, headers).end(JSON.stringify(payload));
    };
    const id = body.SecretId ?? '';
    const arn = `arn:aws:secretsmanager:us-east-1:000000000000:secret:${id}`;
    if (target === 'secretsmanager.GetSecretValue') {
      const value = secrets.get(id);
      if (value === undefined)
        return reply(
          400,
          {
            __type: 'ResourceNotFoundException',
            message: "Secrets Manager can't find the specified secret.",
          },
          'ResourceNotFoundException',
        );
      return reply(200, {
        ARN: arn,
        Name: id,
        SecretString: value,
        VersionId: 'v1',
        VersionStages: ['AWSCURRENT'],
        CreatedDate: 1,
      });
    }
    if (target === 'secretsmanager.PutSecretValue') {
      if (!secrets.has(id))
        return reply(
          400,
          { __type: 'ResourceNotFoundException', message: 'not found' },
          'ResourceNotFoundException',
        );
      secrets.set(id, body.SecretString ?? '');
      return reply(200, { ARN: arn, Name: id, VersionId: 'v2', VersionStages: ['AWSCURRENT'] });
    }
    reply(400, { __type: 'UnknownOperationException', message: target }, 'UnknownOperationException');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    secrets,
    close: async () => {
      server.closeAllConnections();
      server.close();
    },
  };
}
