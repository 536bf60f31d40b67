/**
 * An export across a restart of the local stack on kept data: queued when the stack stopped (its
 * worker not running), it runs to the end after the next start, which queues it again (the queue
 * emulator keeps nothing; the jobs table does). Its own file: the AWS SDK clients of a process keep
 * their endpoints, so both stacks use the same emulator ports.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Sandbox, startSandbox } from '../../lib/sandbox/server.ts';
import { startBulkTestStack } from '../helpers/bulk-stack.ts';

const TOKEN = 'sandbox_export_restart';

describe('an export across a restart of the local stack', () => {
  let dataDir: string;
  let sandbox: Sandbox;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'intercom-actions-export-recovery-'));
    sandbox = await startSandbox({ port: 0, token: TOKEN, quiet: true });
  });
  afterAll(async () => {
    await sandbox?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('finishes an export that was queued but not run when the stack stopped', async () => {
    const env = {
      INTERCOM_ACCESS_TOKEN: TOKEN,
      INTERCOM_BASE_URL: sandbox.url,
      API_KEY: 'ia_export_restart_key_000001',
    };
    const before = await startBulkTestStack({ dataDir }, env);
    const endpoints = {
      dynamodb: process.env.AWS_ENDPOINT_URL_DYNAMODB!,
      sqs: process.env.AWS_ENDPOINT_URL_SQS!,
      s3: process.env.AWS_ENDPOINT_URL_S3!,
    };
    let exportId: string;
    try {
      await before.stack.exports.workerSource!.stop();
      const created = await before.request('POST', '/exports/scroll_users', {});
      expect(created.status).toBe(202);
      exportId = created.json.exportId;
    } finally {
      await before.close();
    }

    const after = await startBulkTestStack(
      {
        dataDir,
        bulk: {
          dynamodbPort: Number(new URL(endpoints.dynamodb).port),
          sqsPort: Number(new URL(endpoints.sqs).port),
        },
        exports: { s3Port: Number(new URL(endpoints.s3).port) },
      },
      env,
    );
    try {
      expect(after.stack.recovered.exports).toBe(1);
      let view: any;
      for (let i = 0; i < 300; i++) {
        view = (await after.request('GET', `/exports/${exportId}`)).json;
        if (view.status === 'succeeded' || view.status === 'failed') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(view).toMatchObject({ status: 'succeeded', records: sandbox.stats().objects.users });
    } finally {
      await after.close();
    }
  }, 90_000);
});
