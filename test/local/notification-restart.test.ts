/**
 * Notifications across a restart of the local stack on kept data: one queued but not processed when
 * the stack stopped runs after the next start (the FIFO emulator keeps nothing; the table does), and a
 * done one is not queued again. Its own file: the AWS SDK clients of a process keep their endpoints,
 * so both stacks use the same emulator ports.
 */
import { createHmac } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type Sandbox, startSandbox } from '../../lib/sandbox/server.ts';
import { startBulkTestStack } from '../helpers/bulk-stack.ts';

const RULES = fileURLToPath(new URL('../fixtures/webhooks/rules.yaml', import.meta.url));
const SECRET = 'webhook-secret-for-recovery';
const TOKEN = 'sandbox_notification_restart';

describe('notifications across a restart of the local stack', () => {
  let dataDir: string;
  // Intercom outlives the local stack, as the real one does (and the handlers, imported once per
  // process, keep its URL).
  let sandbox: Sandbox;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'intercom-actions-recovery-'));
    sandbox = await startSandbox({ port: 0, token: TOKEN, quiet: true });
  });
  afterAll(async () => {
    await sandbox?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('runs a notification that was queued but not processed when the stack stopped', async () => {
    const env = {
      AUTOMATIONS_FILE: RULES,
      INTERCOM_WEBHOOK_SECRET: SECRET,
      INTERCOM_ACCESS_TOKEN: TOKEN,
      INTERCOM_BASE_URL: sandbox.url,
      API_KEY: 'ia_notification_restart_key_01',
    };
    const user = await fetch(`${sandbox.url}/users`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${TOKEN}`,
        'content-type': 'application/json',
        accept: 'application/json',
      },
      body: JSON.stringify({ user_id: 'kept-1', email: 'kept@restart.example' }),
    }).then((r) => r.json() as Promise<{ id: string }>);
    const before = await startBulkTestStack({ dataDir }, env);
    let notificationId: string;
    const env_ = { dynamodb: process.env.AWS_ENDPOINT_URL_DYNAMODB!, sqs: process.env.AWS_ENDPOINT_URL_SQS! };
    try {
      await before.stack.automations.workerSource!.stop();
      notificationId = 'notif_across-restart';
      const body = JSON.stringify({
        type: 'notification_event',
        id: notificationId,
        topic: 'user.created',
        created_at: Math.floor(Date.now() / 1000),
        data: { item: { type: 'user', id: user.id, email: 'kept@restart.example' } },
      });
      const res = await fetch(`${before.stack.url}/webhooks/intercom`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-hub-signature': `sha1=${createHmac('sha1', SECRET).update(body).digest('hex')}`,
        },
        body,
      });
      expect(res.status).toBe(200);
    } finally {
      await before.close();
    }

    // The same ports: the AWS SDK clients of this process keep their endpoints.
    const ports = {
      dynamodbPort: Number(new URL(env_.dynamodb).port),
      sqsPort: Number(new URL(env_.sqs).port),
    };
    const after = await startBulkTestStack({ dataDir, bulk: ports }, env);
    try {
      expect(after.stack.recovered.notifications).toBe(1);
      let run: any;
      for (let i = 0; i < 200 && !run; i++) {
        const res = await after.request('GET', `/automations/runs/${notificationId}`);
        if (res.status === 200) run = res.json.run;
        else await new Promise((r) => setTimeout(r, 100));
      }
      expect(run).toMatchObject({ notificationId, topic: 'user.created' });
      expect(run.rules).toEqual([
        expect.objectContaining({
          rule: 'tag-by-domain',
          actions: [expect.objectContaining({ status: 'succeeded' })],
        }),
      ]);
      // Done notifications are not queued again at the next start.
      await after.stack.automations.workerSource!.drained(10_000);
    } finally {
      await after.close();
    }
    const third = await startBulkTestStack({ dataDir, bulk: ports }, env);
    try {
      expect(third.stack.recovered.notifications).toBe(0);
    } finally {
      await third.close();
    }
  }, 90_000);
});
