/**
 * Lists never outgrow a Lambda response, through the local stack (whose API Gateway fails an answer
 * over 6,291,556 bytes as AWS does): a large `list_users`, the automation run log and a job's
 * failures stop before the size budget and resume exactly where they stopped, nothing lost or
 * repeated.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ApiKeyRecord } from '../../lib/config/types.ts';
import { listItemBytes, RESPONSE_BUDGET_BYTES } from '../../lib/validation/response-size.ts';
import { type BulkTestStack, startBulkTestStack } from '../helpers/bulk-stack.ts';

let t: BulkTestStack;

beforeAll(async () => {
  // No rules: the users created below make notifications, and their runs must not join the log.
  t = await startBulkTestStack({}, { AUTOMATIONS_FILE: 'test/fixtures/automations/empty.yaml' });
}, 30_000);
afterAll(async () => {
  await t?.close();
});

/** What Lambda counted for an answer: its status, headers and body serialized. */
async function call(method: string, path: string, body?: unknown) {
  const res = await fetch(`${t.stack.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${t.stack.apiKey}`,
      'x-request-id': 'size-test',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  const lambdaBytes = Buffer.byteLength(
    JSON.stringify({
      statusCode: res.status,
      headers: { 'content-type': res.headers.get('content-type'), 'x-request-id': 'size-test' },
      body: text,
    }),
  );
  return { status: res.status, json: JSON.parse(text), lambdaBytes };
}

const sum = (items: unknown[]) => items.reduce<number>((total, item) => total + listItemBytes(item), 0);

describe('the automation run log', () => {
  it('stops a page before the size budget, across days, and the next page starts at the first run left out', async () => {
    const { documentClient } = await import('../../lib/aws/clients.ts');
    const { automationSettings } = await import('../../lib/automations/settings.ts');
    const { NotificationStore } = await import('../../lib/automations/notification-store.ts');
    const settings = automationSettings();
    const store = new NotificationStore(documentClient(), settings.table, settings.retentionDays);
    // 18 runs of ~90 KB stored (one DynamoDB page holds a day's), ~360 KB each in a response: 6.5 MB.
    const now = Date.now();
    const written: string[] = [];
    for (let day = 0; day < 3; day++) {
      for (let j = 0; j < 6; j++) {
        const finishedAt = now - day * 86_400_000 - j * 1000;
        const notificationId = `notif_size-${day}-${j}`;
        written.push(notificationId);
        await store.finish({
          notificationId,
          topic: 'user.created',
          workspace: 'default',
          objectKey: `user:${day}-${j}`,
          receivedAt: finishedAt - 100,
          finishedAt,
          rules: [
            {
              rule: 'size',
              status: 'ran',
              actions: [
                {
                  operation: 'create_tag',
                  status: 'failed',
                  error: { status: 400, code: 'parameter_invalid', message: '"'.repeat(90_000) },
                },
              ],
            },
          ],
        });
      }
    }
    const first = await call('GET', '/automations/runs?limit=200');
    expect(first.status).toBe(200);
    expect(first.lambdaBytes).toBeLessThanOrEqual(RESPONSE_BUDGET_BYTES);
    // Full up to one run: the next would not have fitted.
    expect(first.lambdaBytes + listItemBytes(first.json.runs[0])).toBeGreaterThan(
      RESPONSE_BUDGET_BYTES - 16 * 1024,
    );
    expect(first.json.runs.length).toBeLessThan(written.length);
    expect(first.json.next).toEqual(expect.any(String));
    const second = await call('GET', `/automations/runs?limit=200&next=${first.json.next}`);
    expect(second.status).toBe(200);
    const seen = [...first.json.runs, ...second.json.runs].map(
      (r: { notificationId: string }) => r.notificationId,
    );
    // Newest first, each run once.
    expect(seen).toEqual(written);
    expect(second.json.next).toBeNull();
  }, 60_000);
});

describe('a large list_users', () => {
  let total: number;
  beforeAll(async () => {
    // 150 users of ~24 KB each, half quotes: ~3.6 MB of JSON but ~7.2 MB in a Lambda response.
    const sandbox = t.stack.sandboxUrl!;
    const token = process.env.INTERCOM_ACCESS_TOKEN!;
    const create = async (i: number) => {
      const res = await fetch(`${sandbox}/users`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          user_id: `big-${i}`,
          email: `big-${i}@example.com`,
          custom_attributes: { bio: '"'.repeat(12_000) },
        }),
      });
      expect(res.status).toBe(200);
    };
    for (let i = 0; i < 150; i += 10) await Promise.all(Array.from({ length: 10 }, (_, j) => create(i + j)));
    const stats = (await (await fetch(`${sandbox}/__sandbox/stats`)).json()) as {
      objects: { users: number };
    };
    total = stats.objects.users;
  }, 60_000);

  it('answers 200 under the budget with a next that resumes exactly: no user lost or repeated', async () => {
    const body = { sort: 'created_at', order: 'asc', resultsPath: 'users', limit: 10_000 };
    const first = await call('POST', '/actions/list_users', body);
    expect(first.status).toBe(200);
    expect(first.lambdaBytes).toBeLessThanOrEqual(RESPONSE_BUDGET_BYTES);
    expect(first.lambdaBytes).toBeGreaterThan(
      RESPONSE_BUDGET_BYTES - 16 * 1024 - 2 * listItemBytes(first.json.data.at(-1)),
    );
    expect(first.json.next).toEqual(expect.any(String));
    const second = await call('POST', '/actions/list_users', { ...body, next: first.json.next });
    expect(second.status).toBe(200);
    expect(second.json.next).toBeNull();
    const ids = [...first.json.data, ...second.json.data].map((u: { id: string }) => u.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(total);
    expect(sum(first.json.data)).toBeLessThanOrEqual(RESPONSE_BUDGET_BYTES);
  }, 60_000);
});

describe("a job's failures", () => {
  it('stop a page before the size budget and resume at the first failure left out', async () => {
    // Notes on users that do not exist: every item fails (404) and keeps its ~60 KB input.
    const items = Array.from({ length: 12 }, (_, i) => ({
      body: { body: `${'"'.repeat(30_000)}${i}`, user: { id: `missing-${i}` } },
    }));
    const submitted = await call('POST', '/bulk/create_note', { items });
    expect(submitted.status).toBe(202);
    const job = await t.waitForJob(submitted.json.jobId);
    expect(job).toMatchObject({ status: 'completed_with_errors', failed: 12 });

    // Through HTTP the page is one DynamoDB query (1 MB of records, ~2 MB of response at most).
    const whole = await call('GET', `/bulk/jobs/${job.jobId}/failures?limit=1000`);
    expect(whole.status).toBe(200);
    expect(whole.json.failures).toHaveLength(12);
    expect(whole.lambdaBytes).toBeLessThanOrEqual(RESPONSE_BUDGET_BYTES);

    // The service stops at the budget it is given (the handler gives LIST_BUDGET_BYTES).
    const { bulkParts, bulkSettings } = await import('../../lib/bulk/index.ts');
    const { BulkService } = await import('../../lib/bulk/service.ts');
    const { apiKeysSource } = await import('../../lib/config/source.ts');
    const validators = await import('../../lib/validation/generated/index.ts');
    const service = new BulkService({ ...bulkParts(bulkSettings()), validators });
    const key = (await apiKeysSource()).value.find((k: ApiKeyRecord) => k.name === 'API_KEY')!;
    // Room for four and a half failures: pages of four.
    const budget = Math.floor(listItemBytes(whole.json.failures[11]) * 4.5);
    const pages: number[][] = [];
    let next: string | undefined;
    do {
      const page = await service.failures(job.jobId, key, 1000, next, budget);
      expect(sum(page.failures)).toBeLessThanOrEqual(budget);
      pages.push(page.failures.map((f) => f.index));
      next = page.next ?? undefined;
    } while (next && pages.length < 10);
    expect(pages).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9, 10, 11],
    ]);
  }, 60_000);
});
