/**
 * The lookups of writes whose answer was lost, against the sandbox on a fake clock: found means
 * applied, certainly absent means not applied, and a list the lookup could not read far enough is
 * unknown, never "absent".
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MAX_LOOKUP_PAGES, verifyWrite } from '../../lib/delivery/verify.ts';
import { IntercomClient } from '../../lib/intercom/client.ts';
import { type Sandbox, startSandbox } from '../../lib/sandbox/server.ts';

const clock = { now: Date.UTC(2026, 10, 25, 12) };
const now = () => clock.now;
const DAY = 86_400;
let sandbox: Sandbox;
let client: IntercomClient;

beforeAll(async () => {
  sandbox = await startSandbox({ token: 'tok_verify', seed: false, quiet: true, now });
  client = new IntercomClient({ token: 'tok_verify', baseUrl: sandbox.url, now, retry: { maxRetries: 0 } });
}, 30_000);
afterAll(async () => sandbox?.close());

const seconds = () => Math.floor(clock.now / 1000);
const lookup = (operation: string, input: Record<string, unknown>, since: number, options = {}) =>
  verifyWrite(client, operation, input, since, 10_000, { now, ...options });

async function user(userId: string): Promise<void> {
  await client.call('create_user', { body: { user_id: userId } });
}
async function events(userId: string, count: number, prefix: string): Promise<void> {
  for (let i = 1; i <= count; i++) {
    await client.call('create_event', {
      body: { event_name: `${prefix}-${i}`, user_id: userId, created_at: seconds() - i },
    });
  }
}
async function notes(userId: string, count: number, prefix: string): Promise<void> {
  for (let i = 0; i < count; i++) {
    await client.call('create_note', { body: { user: { user_id: userId }, body: `${prefix} ${i}` } });
  }
}

describe('create_event lookup', () => {
  it('finds a backfilled event behind the user’s 50 newest (on a later page)', async () => {
    await user('ev-1');
    const backfilled = { event_name: 'backfilled', user_id: 'ev-1', created_at: seconds() - 30 * DAY };
    await client.call('create_event', { body: backfilled });
    await events('ev-1', 60, 'recent');
    const since = clock.now - 60_000;
    expect(await lookup('create_event', { body: backfilled }, since)).toBe('applied');
    const absent = { ...backfilled, event_name: 'never-sent' };
    expect(await lookup('create_event', { body: absent }, since)).toBe('not_applied');
  });

  it('is unknown for an event dated before the 90 days Intercom lists', async () => {
    await user('ev-2');
    const old = { event_name: 'very-old', user_id: 'ev-2', created_at: seconds() - 100 * DAY };
    await client.call('create_event', { body: old });
    expect(await lookup('create_event', { body: old }, clock.now - 60_000)).toBe('unknown');
  });

  it('is unknown when the event would sit beyond the pages a lookup reads', async () => {
    await user('ev-3');
    await events('ev-3', 50 * MAX_LOOKUP_PAGES + 10, 'many');
    const absent = { event_name: 'deep', user_id: 'ev-3', created_at: seconds() - 2 * DAY };
    expect(await lookup('create_event', { body: absent }, clock.now - 60_000)).toBe('unknown');
  });
});

describe('create_note lookup', () => {
  it('finds a note with more than a page of newer notes on the user', async () => {
    await user('note-1');
    const since = clock.now;
    const ours = { user: { user_id: 'note-1' }, body: 'our lost note' };
    await client.call('create_note', { body: ours });
    clock.now += 1_000;
    await notes('note-1', 55, 'later');
    expect(await lookup('create_note', { body: ours }, since)).toBe('applied');
    const absent = { ...ours, body: 'never written' };
    expect(await lookup('create_note', { body: absent }, since)).toBe('not_applied');
  });

  it('reads no further back than the time of the lost call', async () => {
    await user('note-2');
    await notes('note-2', 120, 'before');
    clock.now += 60_000;
    const requests = sandbox.requests().length;
    const absent = { user: { user_id: 'note-2' }, body: 'never written' };
    expect(await lookup('create_note', { body: absent }, clock.now)).toBe('not_applied');
    expect(sandbox.requests().length - requests).toBe(1);
  });

  it('is unknown when newer notes fill every page it reads, or when there is no budget for the next page', async () => {
    await user('note-3');
    const since = clock.now;
    const ours = { user: { user_id: 'note-3' }, body: 'buried note' };
    await client.call('create_note', { body: ours });
    clock.now += 1_000;
    await notes('note-3', 50 * MAX_LOOKUP_PAGES, 'newer');
    expect(await lookup('create_note', { body: ours }, since)).toBe('unknown');
    expect(await lookup('create_note', { body: ours }, since, { beforePage: async () => false })).toBe(
      'retry',
    );
  });
});

describe('post_reply lookup', () => {
  /** A client whose get_conversation answers `conversation` (the sandbox never truncates parts). */
  const answering = (conversation: unknown) =>
    ({ call: async () => ({ status: 200, data: conversation, attempts: 1 }) }) as never;
  const input = { conversation_id: '1', body: { type: 'admin', message_type: 'comment', body: 'Thanks!' } };
  const part = (body: string) => ({ part_type: 'comment', body: `<p>${body}</p>`, created_at: seconds() });

  it('is unknown when Intercom returned only part of the conversation', async () => {
    const since = clock.now - 60_000;
    const truncated = {
      conversation_parts: { conversation_parts: [part('Other')], total_count: 900 },
    };
    expect(await verifyWrite(answering(truncated), 'post_reply', input, since, 10_000)).toBe('unknown');
    const whole = { conversation_parts: { conversation_parts: [part('Other')], total_count: 1 } };
    expect(await verifyWrite(answering(whole), 'post_reply', input, since, 10_000)).toBe('not_applied');
    const found = { conversation_parts: { conversation_parts: [part('Thanks!')], total_count: 900 } };
    expect(await verifyWrite(answering(found), 'post_reply', input, since, 10_000)).toBe('applied');
  });
});
