/**
 * The scroll lock: Intercom keeps one open scroll per app, so every enumerator of ours (exports, and
 * event-triggered rules later) takes this per-workspace lease in DynamoDB before it opens or
 * continues one. The lease names its owner (e.g. `export:<id>`) and the invocation holding it
 * (`token`); between invocations an owner keeps the lease (token cleared) for as long as its scroll
 * stays open on Intercom's side, so no other owner opens a scroll only to meet `scroll_exists`.
 * Interactive `scroll_*` actions do not take it: Intercom's own `scroll_exists` arbitrates them.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure } from '../tables/table-store.ts';

/** Intercom forgets an idle scroll after a minute; the lease outlives it a little. */
export const SCROLL_IDLE_MS = 60_000;

export interface LockHolder {
  workspace: string;
  /** Who scrolls: the same owner may take the lease over from its earlier invocations. */
  owner: string;
  /** This invocation. */
  token: string;
}

export type LockResult =
  | {
      ok: true /** The owner's previous invocation still held it (did not hand over): it died mid-run. */;
      tookOver: boolean;
    }
  | { ok: false; owner: string; until: number };

export class ScrollLock {
  readonly #db: DynamoDBDocumentClient;
  readonly #table: string;

  constructor(db: DynamoDBDocumentClient, table: string) {
    this.#db = db;
    this.#table = table;
  }

  #key(workspace: string) {
    return { pk: `scroll#${workspace}`, sk: 'lock' };
  }

  /**
   * Takes the lease until `until` (epoch ms): free, expired, or the owner's own between invocations;
   * or held by `replacing`, an invocation of the same owner the caller knows died (its own records
   * say so), so it need not wait for the dead one's lease to run out.
   */
  async acquire(holder: LockHolder, until: number, now: number, replacing?: string): Promise<LockResult> {
    const key = this.#key(holder.workspace);
    const { Item } = await this.#db.send(
      new GetCommand({ TableName: this.#table, Key: key, ConsistentRead: true }),
    );
    const current = Item as { owner?: string; token?: string | null; until?: number } | undefined;
    try {
      await this.#db.send(
        new PutCommand({
          TableName: this.#table,
          Item: {
            ...key,
            owner: holder.owner,
            token: holder.token,
            until,
            expiresAt: Math.ceil((until + SCROLL_IDLE_MS) / 1000) + 3600,
          },
          // Free or expired, or this owner's and not held by a live invocation.
          ConditionExpression:
            'attribute_not_exists(pk) OR #until < :now OR (#owner = :owner AND (attribute_type(#token, :null) OR #token IN (:token, :replacing)))',
          ExpressionAttributeNames: { '#until': 'until', '#owner': 'owner', '#token': 'token' },
          ExpressionAttributeValues: {
            ':now': now,
            ':owner': holder.owner,
            ':token': holder.token,
            ':replacing': replacing ?? holder.token,
            ':null': 'NULL',
          },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const { Item: held } = await this.#db.send(
        new GetCommand({ TableName: this.#table, Key: key, ConsistentRead: true }),
      );
      return { ok: false, owner: String(held?.owner ?? ''), until: Number(held?.until ?? now) };
    }
    const tookOver =
      current?.owner === holder.owner && typeof current.token === 'string' && current.token !== holder.token;
    return { ok: true, tookOver };
  }

  /** Between invocations: the owner keeps the scroll reserved until `until`, any of its invocations may take it. */
  async handOver(holder: LockHolder, until: number): Promise<void> {
    await this.#write(holder, { owner: holder.owner, token: null, until });
  }

  /** The scroll is closed: anyone may open the next. */
  async release(holder: LockHolder): Promise<void> {
    try {
      // Expired at once rather than deleted: the same one conditional write, and no DeleteItem to grant.
      await this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: this.#key(holder.workspace),
          UpdateExpression: 'SET #until = :zero, #token = :null',
          ConditionExpression: '#owner = :owner',
          ExpressionAttributeNames: { '#owner': 'owner', '#until': 'until', '#token': 'token' },
          ExpressionAttributeValues: { ':owner': holder.owner, ':zero': 0, ':null': null },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  async #write(
    holder: LockHolder,
    item: { owner: string; token: string | null; until: number },
  ): Promise<void> {
    try {
      await this.#db.send(
        new PutCommand({
          TableName: this.#table,
          Item: { ...this.#key(holder.workspace), ...item, expiresAt: Math.ceil(item.until / 1000) + 3600 },
          ConditionExpression: '#owner = :owner AND #token = :token',
          ExpressionAttributeNames: { '#owner': 'owner', '#token': 'token' },
          ExpressionAttributeValues: { ':owner': holder.owner, ':token': holder.token },
        }),
      );
    } catch (error) {
      // Lost to a newer invocation of the owner or another owner after the lease ran out: theirs now.
      if (!isConditionFailure(error)) throw error;
    }
  }
}
