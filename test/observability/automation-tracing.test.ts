/**
 * An automation worker with active tracing, through the local stack: a notification's subsegment,
 * one per rule inside it, and the rule's Intercom calls inside that, linked to the trace that queued
 * it. A UDP socket stands in for Lambda's X-Ray daemon; _X_AMZN_TRACE_ID holds a sampled trace header
 * (process-wide here, where Lambda sets one per invocation).
 */
import { createHmac } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from '@jest/globals';
import type { SubsegmentDocument } from '../../lib/observability/tracing.ts';
import { type BulkTestStack, startBulkTestStack } from '../helpers/bulk-stack.ts';

const RULES = fileURLToPath(new URL('../fixtures/webhooks/rules.yaml', import.meta.url));
const ROOT = '1-67891236-000000000000000000000004';
const PARENT = '3333333333333333';

let daemon: Socket;
const received: SubsegmentDocument[] = [];
let t: BulkTestStack;

beforeAll(async () => {
  daemon = createSocket('udp4');
  daemon.on('message', (message) => {
    const text = message.toString('utf8');
    received.push(JSON.parse(text.slice(text.indexOf('\n') + 1)) as SubsegmentDocument);
  });
  daemon.bind(0, '127.0.0.1');
  await new Promise((resolve) => daemon.once('listening', resolve));
  t = await startBulkTestStack(
    {},
    {
      AUTOMATIONS_FILE: RULES,
      AWS_XRAY_DAEMON_ADDRESS: `127.0.0.1:${daemon.address().port}`,
      _X_AMZN_TRACE_ID: `Root=${ROOT};Parent=${PARENT};Sampled=1`,
    },
  );
}, 30_000);
afterAll(async () => {
  await t?.close();
  daemon.close();
});

/** Waits until the documents `found` picks are all there. */
async function waitFor<T>(found: () => T | undefined, what: string): Promise<T> {
  const until = Date.now() + 20_000;
  for (;;) {
    const value = found();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`no ${what} among ${received.map((d) => d.name).join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

it("traces a notification, its rule and the rule's Intercom call, one inside the other", async () => {
  const user = await t.request('POST', '/actions/create_user', {
    body: { user_id: 'traced-1', email: 'ada@traced.example' },
  });
  expect(user.status).toBe(200);
  const body = JSON.stringify({
    type: 'notification_event',
    id: 'notif_traced',
    topic: 'user.created',
    app_id: 'local',
    created_at: 1_800_000_000,
    data: { item: { type: 'user', id: user.json.data.id, email: 'ada@traced.example' } },
  });
  const res = await fetch(`${t.stack.url}/webhooks/intercom`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-hub-signature': `sha1=${createHmac('sha1', t.stack.webhookSecret).update(body).digest('hex')}`,
    },
    body,
  });
  expect(res.status).toBe(200);
  const notification = await waitFor(
    () =>
      received.find(
        (d) => d.name === 'automation notification' && d.annotations?.notificationId === 'notif_traced',
      ),
    'notification subsegment',
  );
  const rule = await waitFor(
    () => received.find((d) => d.name === 'rule tag-by-domain' && d.parent_id === notification.id),
    'rule subsegment',
  );
  const call = await waitFor(
    () => received.find((d) => d.name === 'Intercom create_tag' && d.parent_id === rule.id),
    'Intercom subsegment',
  );
  expect(notification).toMatchObject({
    trace_id: ROOT,
    parent_id: PARENT,
    type: 'subsegment',
    metadata: { 'intercom-actions': { topic: 'user.created', messageId: expect.any(String) } },
  });
  expect(rule).toMatchObject({ trace_id: ROOT, type: 'subsegment' });
  expect(call).toMatchObject({
    trace_id: ROOT,
    namespace: 'remote',
    annotations: { operation: 'create_tag', status: 200, attempt: 1 },
  });
  for (const inner of [rule, call]) expect(inner.start_time).toBeGreaterThanOrEqual(notification.start_time);
  expect(call.end_time).toBeLessThanOrEqual(rule.end_time);
  expect(rule.end_time).toBeLessThanOrEqual(notification.end_time);
}, 40_000);
