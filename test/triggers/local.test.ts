/**
 * EventBridge events and schedules end to end on the local stack: PutEvents through the local bus with
 * the real EventBridge SDK client, the intake, the automation worker, the rule's call reaching the
 * sandbox; invalid entries and their codes; a redelivered event running once; cron and rate schedules
 * on a fake clock; firing a rule through the API.
 */
import { fileURLToPath } from 'node:url';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { automationsCommand } from '../../lib/cli/automations.ts';
import { type BulkTestStack, startBulkTestStack } from '../helpers/bulk-stack.ts';
import { FakeClock } from '../helpers/fake-clock.ts';

const RULES = fileURLToPath(new URL('../fixtures/triggers/rules.yaml', import.meta.url));
const BUS = 'intercom-actions-dev';
const READ_ONLY = 'key-with-read-scope-only-0001';
const WRITE_ONLY = 'key-with-write-scope-only-001';
/** Saturday noon UTC: the next Paris 02:00 would be Sunday 31 March, the night clocks go forward. */
const START = Date.parse('2024-03-30T12:00:00Z');

let t: BulkTestStack;
let clock: FakeClock;
let events: EventBridgeClient;

beforeAll(async () => {
  clock = new FakeClock(START);
  t = await startBulkTestStack(
    { events: { clock } },
    {
      AUTOMATIONS_FILE: RULES,
      API_KEYS_JSON: JSON.stringify({
        keys: [
          { name: 'reader', key: READ_ONLY, scopes: ['read'] },
          { name: 'writer', key: WRITE_ONLY, scopes: ['read', 'write'] },
        ],
      }),
    },
  );
  events = new EventBridgeClient({
    endpoint: t.stack.triggers.bus.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const user = await t.request('POST', '/actions/create_user', { body: { user_id: 'trigger-user' } });
  expect(user.status).toBe(200);
}, 30_000);
afterAll(async () => {
  events?.destroy();
  await t?.close();
});

/** Until every event and firing handed over so far has run. */
async function settle(): Promise<void> {
  await t.stack.triggers.bus.idle();
  await t.stack.triggers.schedules.idle();
  await t.stack.automations.workerSource!.drained(20_000);
}

async function run(notificationId: string) {
  return t.request('GET', `/automations/runs/${encodeURIComponent(notificationId)}`);
}

async function tagNames(): Promise<string[]> {
  const tags = await t.request('POST', '/actions/list_tags', {});
  return tags.json.data.tags.map((tag: { name: string }) => tag.name);
}

const order = (orderId: string, total: number): PutEventsRequestEntry => ({
  Source: 'com.example.shop',
  DetailType: 'OrderPlaced',
  Detail: JSON.stringify({ orderId, userId: 'trigger-user', total }),
  EventBusName: BUS,
});

describe('EventBridge events', () => {
  it('PutEvents with the SDK runs the matching rule, whose call reaches the sandbox', async () => {
    const answer = await events.send(
      new PutEventsCommand({ Entries: [order('o-100', 250), order('o-101', 20)] }),
    );
    expect(answer.FailedEntryCount).toBe(0);
    const [big, small] = answer.Entries!.map((e) => e.EventId!);
    await settle();
    const ran = await run(`eventbridge:${big}`);
    expect(ran.status).toBe(200);
    expect(ran.json.run).toMatchObject({
      topic: 'eventbridge',
      objectKey: 'detail.orderId=o-100',
      rules: [
        { rule: 'big-order-tag', status: 'ran', actions: [{ operation: 'create_tag', status: 'succeeded' }] },
      ],
    });
    expect(await tagNames()).toContain('big-order-o-100');
    // Below the pattern's total: never delivered, so nothing ran.
    expect((await run(`eventbridge:${small}`)).status).toBe(404);
    expect(await tagNames()).not.toContain('big-order-o-101');
  });

  it('runs a redelivered event (the same id) once', async () => {
    const event = {
      version: '0',
      id: 'redelivered-event-1',
      'detail-type': 'OrderPlaced',
      source: 'com.example.shop',
      account: '000000000000',
      time: '2024-03-30T12:00:00Z',
      region: 'us-east-1',
      resources: [],
      detail: { orderId: 'o-200', userId: 'trigger-user', total: 500 },
    };
    const first = (await t.stack.triggers.deliver(event)) as { workspaces: Array<{ outcome: string }> };
    const second = (await t.stack.triggers.deliver(event)) as { workspaces: Array<{ outcome: string }> };
    expect(first.workspaces.map((w) => w.outcome)).toEqual(['queued']);
    expect(second.workspaces.map((w) => w.outcome)).toEqual(['duplicate']);
    await settle();
    const ran = await run('eventbridge:redelivered-event-1');
    expect(ran.json.run.rules).toHaveLength(1);
    const all = (await t.request('GET', '/automations/runs?limit=200')).json.runs;
    expect(
      all.filter((r: { notificationId: string }) => r.notificationId === 'eventbridge:redelivered-event-1'),
    ).toHaveLength(1);
  });

  it("answers invalid entries with EventBridge's per-entry codes, the others accepted", async () => {
    const answer = await events.send(
      new PutEventsCommand({
        Entries: [
          { DetailType: 'OrderPlaced', Detail: '{}', EventBusName: BUS },
          { Source: 'com.example.shop', Detail: '{}', EventBusName: BUS },
          { Source: 'com.example.shop', DetailType: 'OrderPlaced', EventBusName: BUS },
          {
            Source: 'com.example.shop',
            DetailType: 'OrderPlaced',
            Detail: '{"unclosed": ',
            EventBusName: BUS,
          },
          { Source: 'com.example.shop', DetailType: 'OrderPlaced', Detail: '[1, 2]', EventBusName: BUS },
          { Source: 'aws.ec2', DetailType: 'OrderPlaced', Detail: '{}', EventBusName: BUS },
          order('o-300', 1),
        ],
      }),
    );
    expect(answer.FailedEntryCount).toBe(6);
    expect(answer.Entries!.slice(0, 6)).toEqual([
      {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: 'Parameter Source is not valid. Reason: Source is a required argument.',
      },
      {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: 'Parameter DetailType is not valid. Reason: DetailType is a required argument.',
      },
      {
        ErrorCode: 'InvalidArgument',
        ErrorMessage: 'Parameter Detail is not valid. Reason: Detail is a required argument.',
      },
      { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
      { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
      { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' },
    ]);
    expect(answer.Entries![6]!.EventId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses a whole request of more than 10 entries, or over 256 KB, with ValidationException', async () => {
    const eleven = Array.from({ length: 11 }, (_, i) => order(`o-4${i}`, 1));
    await expect(events.send(new PutEventsCommand({ Entries: eleven }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('Member must have length less than or equal to 10'),
    });
    const big = { ...order('o-500', 1), Detail: JSON.stringify({ pad: 'x'.repeat(256 * 1024) }) };
    await expect(events.send(new PutEventsCommand({ Entries: [big] }))).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'Total size of the entries in the request is over the limit.',
    });
  });

  it('accepts events for another bus and delivers them nowhere, as AWS does', async () => {
    const answer = await events.send(
      new PutEventsCommand({ Entries: [{ ...order('o-600', 900), EventBusName: 'other' }] }),
    );
    expect(answer.FailedEntryCount).toBe(0);
    await settle();
    expect((await run(`eventbridge:${answer.Entries![0]!.EventId}`)).status).toBe(404);
  });

  it('speaks only PutEvents over JSON 1.1', async () => {
    const res = await fetch(`${t.stack.triggers.bus.url}/`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AWSEvents.ListRules',
        authorization: 'AWS4-HMAC-SHA256 Credential=local',
      },
      body: '{}',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ __type: 'UnknownOperationException' });
    const unsigned = await fetch(`${t.stack.triggers.bus.url}/`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.PutEvents' },
      body: '{}',
    });
    expect(unsigned.status).toBe(403);
  });
});

describe('schedules', () => {
  it('fire cron and rate rules on the clock, Scheduler style (a time lost to DST is skipped)', async () => {
    // Twelve hours on: the rate rule fires twice; the nightly rule not yet.
    clock.advanceTo(START + 12 * 3_600_000);
    await settle();
    for (const time of ['2024-03-30T18:00:00Z', '2024-03-31T00:00:00Z']) {
      const ran = await run(`schedule:six-hourly-tag:${time}`);
      expect(ran.json.run).toMatchObject({
        topic: 'schedule',
        rules: [
          {
            rule: 'six-hourly-tag',
            status: 'ran',
            actions: [{ operation: 'create_tag', status: 'succeeded' }],
          },
        ],
      });
    }
    expect(await tagNames()).toContain('six-hourly 2024-03-31T00:00:00Z');
    // On to Monday: 02:00 Paris did not exist on Sunday (clocks went from 02:00 to 03:00).
    clock.advanceTo(Date.parse('2024-04-01T01:00:00Z'));
    await settle();
    expect((await run('schedule:nightly-tag:2024-03-31T00:00:00Z')).status).toBe(404);
    expect((await run('schedule:nightly-tag:2024-03-31T01:00:00Z')).status).toBe(404);
    const monday = await run('schedule:nightly-tag:2024-04-01T00:00:00Z');
    expect(monday.json.run.rules).toEqual([
      {
        rule: 'nightly-tag',
        status: 'ran',
        actions: [expect.objectContaining({ operation: 'create_tag', status: 'succeeded' })],
      },
    ]);
    expect(await tagNames()).toContain('nightly 2024-04-01T00:00:00Z');
    expect(t.stack.triggers.schedules.next().get('nightly-tag')).toBe(Date.parse('2024-04-02T00:00:00Z'));
  });
});

describe('POST /automations/rules/{name}/fire', () => {
  it('fires a scheduled rule now; its run is in the run log', async () => {
    const fired = await t.request('POST', '/automations/rules/nightly-tag/fire', {});
    expect(fired.status).toBe(202);
    expect(fired.json).toMatchObject({ rule: 'nightly-tag', workspace: 'default' });
    expect(fired.json.notificationId).toMatch(/^fire:nightly-tag:[0-9a-f-]{36}$/);
    await settle();
    const ran = await run(fired.json.notificationId);
    expect(ran.json.run.rules).toEqual([
      {
        rule: 'nightly-tag',
        status: 'ran',
        actions: [expect.objectContaining({ operation: 'create_tag', status: 'succeeded' })],
      },
    ]);
  });

  it('is what `intercom-actions automations fire <rule>` calls', async () => {
    const out: string[] = [];
    const io = { out: (text: string) => out.push(text), err: (text: string) => out.push(text), env: {} };
    const code = await automationsCommand(
      ['fire', 'six-hourly-tag', '--url', t.stack.url, '--key', t.stack.apiKey],
      io,
    );
    expect(code).toBe(0);
    const id = /notification (fire:six-hourly-tag:[0-9a-f-]{36})/.exec(out.join('\n'))?.[1];
    expect(id).toBeDefined();
    await settle();
    expect((await run(id!)).json.run.rules[0]).toMatchObject({ rule: 'six-hourly-tag', status: 'ran' });
  });

  it('fires a scheduled for-each rule: one bulk job with exactly the records it keeps', async () => {
    const res = await t.request('POST', '/automations/rules/tag-trigger-user-each/fire', {});
    expect(res.status).toBe(202);
    await settle();
    const runs = (await t.request('GET', '/automations/runs?limit=200')).json.runs as any[];
    const fired = runs.find((r) => r.rules.some((rule: any) => rule.rule === 'tag-trigger-user-each'));
    const [action] = fired.rules[0].actions;
    expect(action).toMatchObject({ operation: 'create_update_user', status: 'succeeded', matched: 1 });
    const job = await t.waitForJob(action.jobId);
    expect(job).toMatchObject({ total: 1, succeeded: 1 });
    const writes = t.stack
      .sandbox!.requests()
      .filter((r) => r.method === 'POST' && r.path === '/users' && r.rawBody?.includes('fired_at'));
    expect(writes.map((r) => JSON.parse(r.rawBody!).user_id)).toEqual(['trigger-user']);
  });

  it.each([
    ['an unknown rule', 'no-such-rule', undefined, 404, 'not_found'],
    ['an event rule', 'big-order-tag', undefined, 409, 'rule_not_fireable'],
    ['a key without the write scope', 'nightly-tag', READ_ONLY, 403, 'forbidden'],
    [
      'a for-each rule, to a key without the bulk scope',
      'tag-trigger-user-each',
      WRITE_ONLY,
      403,
      'forbidden',
    ],
    ['no key', 'nightly-tag', '', 401, 'unauthorized'],
  ])('refuses %s', async (_what, rule, key, status, code) => {
    const headers: Record<string, string> =
      key === undefined ? {} : { authorization: key ? `Bearer ${key}` : '' };
    const res = await t.request('POST', `/automations/rules/${rule}/fire`, {}, headers);
    expect(res.status).toBe(status);
    expect(res.json.error.code).toBe(code);
  });
});
