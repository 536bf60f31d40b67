/**
 * What a for-each run keeps between invocations, in the automations table: its position in the
 * enumeration, how many items it has handed to its bulk job, the chunk it was about to hand over, and
 * the ids of every record it handed over (gzipped), so a scroll restarted from the beginning skips
 * them. And the per-rule lease that keeps two runs of one rule from enumerating at the same time.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure, TableStore } from '../tables/table-store.ts';
import { keyOf } from './run-records.ts';

export interface PendingChunk {
  offset: number;
  items: Record<string, unknown>[];
  ids: string[];
}

export interface ForEachState {
  /** The invocation working on it; cleared when it hands over. Set on a record read back: one died. */
  token?: string;
  /** Where the enumeration continues: a scroll param or a list cursor (undefined: from the start). */
  position?: string;
  /** Items registered with the job so far (the next chunk's offset). */
  offset: number;
  pending?: PendingChunk;
  /** Ids of the records handed over (pending ones included). */
  seen: Set<string>;
  scanned: number;
  pages: number;
  restarts: number;
  /** Set once the run is over. */
  done?: { jobId?: string; matched: number; truncated: boolean; error?: { code: string; message: string } };
}

const stateKey = (workspace: string, notificationId: string, rule: string) => ({
  pk: keyOf('foreach', workspace, notificationId, rule),
  sk: 'state',
});
const leaseKey = (workspace: string, rule: string) => ({
  pk: keyOf('foreachlease', workspace, rule),
  sk: 'lease',
});

export class ForEachStore extends TableStore {
  async load(workspace: string, notificationId: string, rule: string): Promise<ForEachState | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.table,
        Key: stateKey(workspace, notificationId, rule),
        ConsistentRead: true,
      }),
    );
    if (!Item) return undefined;
    const seenBytes = Item.seen as Uint8Array | undefined;
    const seenText = seenBytes && seenBytes.length > 0 ? gunzipSync(seenBytes).toString('utf8') : '';
    return {
      ...(typeof Item.token === 'string' ? { token: Item.token } : {}),
      ...(typeof Item.position === 'string' ? { position: Item.position } : {}),
      offset: Number(Item.offset ?? 0),
      ...(Item.pending ? { pending: Item.pending as PendingChunk } : {}),
      seen: new Set(seenText ? seenText.split('\n') : []),
      scanned: Number(Item.scanned ?? 0),
      pages: Number(Item.pages ?? 0),
      restarts: Number(Item.restarts ?? 0),
      ...(Item.done ? { done: Item.done as ForEachState['done'] } : {}),
    };
  }

  /**
   * Writes the state, on condition that no other invocation took it over since `expectedToken` (the
   * token this invocation found, or its own): false when one did.
   */
  async save(
    workspace: string,
    notificationId: string,
    rule: string,
    state: ForEachState,
    expectedToken: string | undefined,
    now: number,
  ): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: {
            ...stateKey(workspace, notificationId, rule),
            ...(state.token ? { token: state.token } : {}),
            ...(state.position ? { position: state.position } : {}),
            offset: state.offset,
            ...(state.pending ? { pending: state.pending } : {}),
            seen: gzipSync([...state.seen].join('\n')),
            scanned: state.scanned,
            pages: state.pages,
            restarts: state.restarts,
            ...(state.done ? { done: state.done } : {}),
            updatedAt: now,
            expiresAt: this.expiresAt(now),
          },
          ConditionExpression:
            expectedToken === undefined
              ? 'attribute_not_exists(#token)'
              : 'attribute_not_exists(#token) OR #token = :token',
          ExpressionAttributeNames: { '#token': 'token' },
          ...(expectedToken === undefined ? {} : { ExpressionAttributeValues: { ':token': expectedToken } }),
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /**
   * Takes the rule's enumeration lease for `holder` (a notification id) until `until`: free, expired,
   * or already its own. Otherwise the holder whose run is still enumerating.
   */
  async takeLease(
    workspace: string,
    rule: string,
    holder: string,
    until: number,
    now: number,
  ): Promise<{ ok: true } | { ok: false; holder: string; until: number }> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...leaseKey(workspace, rule), holder, until, expiresAt: Math.ceil(until / 1000) + 86_400 },
          ConditionExpression: 'attribute_not_exists(pk) OR #until < :now OR #holder = :holder',
          ExpressionAttributeNames: { '#until': 'until', '#holder': 'holder' },
          ExpressionAttributeValues: { ':now': now, ':holder': holder },
        }),
      );
      return { ok: true };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const { Item } = await this.db.send(
        new GetCommand({ TableName: this.table, Key: leaseKey(workspace, rule), ConsistentRead: true }),
      );
      return { ok: false, holder: String(Item?.holder ?? ''), until: Number(Item?.until ?? 0) };
    }
  }

  async releaseLease(workspace: string, rule: string, holder: string): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: leaseKey(workspace, rule),
          UpdateExpression: 'SET #until = :zero',
          ConditionExpression: '#holder = :holder',
          ExpressionAttributeNames: { '#until': 'until', '#holder': 'holder' },
          ExpressionAttributeValues: { ':zero': 0, ':holder': holder },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }
}
