/**
 * Notification records in DynamoDB: the intake's de-duplication, the worker's claim (one run per
 * notification, whatever SQS and Intercom redeliver), each action's outcome (a retried notification
 * skips what already ran), the run log, and the loop guard's counters.
 */
import { GetCommand, PutCommand, QueryCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure, TableStore } from '../tables/table-store.ts';
import { ByteBudget } from '../validation/response-size.ts';
import {
  type ActionResult,
  keyOf,
  matchesRunFilter,
  type NotificationRun,
  notificationKey,
  type RunFilter,
} from './run-records.ts';

export type NotificationClaim =
  | { kind: 'claimed'; done: Record<string, ActionResult> }
  | { kind: 'done' }
  | { kind: 'busy'; leaseUntil: number };

const DAY_MS = 86_400_000;
/** Reads of the run log per request at most when a filter skips runs (one day's page each). */
const MAX_RUN_QUERIES = 20;
/** Runs read per query when a filter may skip most of them. */
const FILTERED_QUERY_LIMIT = 100;
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export class NotificationStore extends TableStore {
  /** Whether this notification id was received before (a redelivery). */
  async isKnown(workspace: string, id: string): Promise<boolean> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.table,
        Key: notificationKey(workspace, id),
        ConsistentRead: true,
        ProjectionExpression: 'pk',
      }),
    );
    return Item !== undefined;
  }

  /**
   * Marks the notification received, after it is queued (never before: a notification must not be
   * seen without being queued), by a conditional write on the intake's own attribute (the worker may
   * claim the record first): false when another delivery marked it already. Never touches the
   * worker's state.
   */
  async markReceived(
    workspace: string,
    id: string,
    topic: string,
    now: number,
    /** The queued message, kept until the notification is done: a lost message is queued again from it. */
    queued?: { body: string; group: string; dedupe: string },
  ): Promise<boolean> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: notificationKey(workspace, id),
          UpdateExpression:
            'SET #queuedAt = :now, #receivedAt = if_not_exists(#receivedAt, :now), #topic = :topic, #workspace = :ws, #expiresAt = if_not_exists(#expiresAt, :exp)' +
            (queued ? ', #message = :message' : ''),
          ConditionExpression: 'attribute_not_exists(#queuedAt)',
          ExpressionAttributeNames: {
            '#queuedAt': 'queuedAt',
            '#receivedAt': 'receivedAt',
            '#topic': 'topic',
            '#workspace': 'workspace',
            '#expiresAt': 'expiresAt',
            ...(queued ? { '#message': 'message' } : {}),
          },
          ExpressionAttributeValues: {
            ':now': now,
            ':topic': topic,
            ':ws': workspace,
            ':exp': this.expiresAt(now),
            ...(queued ? { ':message': queued } : {}),
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async claim(workspace: string, id: string, leaseUntil: number, now: number): Promise<NotificationClaim> {
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: notificationKey(workspace, id),
          UpdateExpression:
            'SET #state = :inProgress, #lease = :lease, #done = if_not_exists(#done, :empty), #expiresAt = :exp, #receivedAt = if_not_exists(#receivedAt, :now)',
          ConditionExpression: 'attribute_not_exists(#state) OR (#state = :inProgress AND #lease < :now)',
          ExpressionAttributeNames: {
            '#state': 'state',
            '#lease': 'leaseUntil',
            '#done': 'actions',
            '#expiresAt': 'expiresAt',
            '#receivedAt': 'receivedAt',
          },
          ExpressionAttributeValues: {
            ':inProgress': 'in_progress',
            ':lease': leaseUntil,
            ':empty': {},
            ':now': now,
            ':exp': this.expiresAt(now),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { kind: 'claimed', done: (Attributes?.actions ?? {}) as Record<string, ActionResult> };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: notificationKey(workspace, id), ConsistentRead: true }),
    );
    if (Item?.state === 'done') return { kind: 'done' };
    return { kind: 'busy', leaseUntil: Number(Item?.leaseUntil ?? now) };
  }

  /** Records one action's outcome, so a retry of the notification does not run it again. */
  async recordAction(workspace: string, id: string, key: string, result: ActionResult): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: notificationKey(workspace, id),
        UpdateExpression: 'SET #actions.#key = :result',
        ExpressionAttributeNames: { '#actions': 'actions', '#key': key },
        ExpressionAttributeValues: { ':result': result },
      }),
    );
  }

  /** Lets the next delivery take the notification at once (a retryable failure). */
  async release(workspace: string, id: string): Promise<void> {
    await this.db
      .send(
        new UpdateCommand({
          TableName: this.table,
          Key: notificationKey(workspace, id),
          UpdateExpression: 'SET #lease = :zero',
          ConditionExpression: '#state = :inProgress',
          ExpressionAttributeNames: { '#lease': 'leaseUntil', '#state': 'state' },
          ExpressionAttributeValues: { ':zero': 0, ':inProgress': 'in_progress' },
        }),
      )
      .catch((error: unknown) => {
        if (!isConditionFailure(error)) throw error;
      });
  }

  async finish(run: NotificationRun): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: notificationKey(run.workspace, run.notificationId),
        UpdateExpression: 'SET #state = :done, #run = :run REMOVE #lease, #message',
        ExpressionAttributeNames: {
          '#state': 'state',
          '#run': 'run',
          '#lease': 'leaseUntil',
          '#message': 'message',
        },
        ExpressionAttributeValues: { ':done': 'done', ':run': run },
      }),
    );
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          pk: keyOf('log', run.workspace, day(run.finishedAt)),
          sk: `${String(run.finishedAt).padStart(15, '0')}#${run.notificationId}`,
          ...run,
          expiresAt: this.expiresAt(run.finishedAt),
        },
      }),
    );
  }

  /**
   * The queued messages of notifications not done yet (a Scan: for the local stack's recovery at
   * start, never on a request path).
   */
  async unfinishedMessages(): Promise<Array<{ body: string; group: string; dedupe: string }>> {
    const messages: Array<{ body: string; group: string; dedupe: string }> = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new ScanCommand({
          TableName: this.table,
          FilterExpression:
            'attribute_exists(#message) AND (attribute_not_exists(#state) OR #state <> :done)',
          ExpressionAttributeNames: { '#message': 'message', '#state': 'state' },
          ExpressionAttributeValues: { ':done': 'done' },
          ProjectionExpression: '#message',
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of page.Items ?? [])
        messages.push(item.message as { body: string; group: string; dedupe: string });
      start = page.LastEvaluatedKey;
    } while (start);
    return messages;
  }

  async getRun(workspace: string, id: string): Promise<NotificationRun | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: notificationKey(workspace, id) }),
    );
    return Item?.run as NotificationRun | undefined;
  }

  /**
   * Newest runs first, day partition by day back over the retention period: at most `limit` that
   * match `filter`, and no more than `maxBytes` of response (lib/validation/response-size.ts), `next`
   * then naming the last run read. A filter that matches few runs may answer a short page (even an
   * empty one) with `next` after `MAX_RUN_QUERIES` reads, rather than read the whole log at once.
   */
  async listRuns(
    workspace: string,
    limit: number,
    cursor: { day: string; sk?: string } | undefined,
    now: number,
    maxBytes?: number,
    filter: RunFilter = {},
  ): Promise<{ runs: NotificationRun[]; next: { day: string; sk?: string } | undefined }> {
    const runs: NotificationRun[] = [];
    const bytes = new ByteBudget(maxBytes);
    const filtered = Object.values(filter).some((value) => value !== undefined);
    const top = filter.to === undefined ? now : Math.min(now, filter.to);
    // Runs are kept by the day they finished: no day before `from`'s is read.
    const floor = Math.max(
      now - this.retentionSeconds * 1000 - DAY_MS,
      filter.from === undefined ? Number.NEGATIVE_INFINITY : Date.parse(`${day(filter.from)}T00:00:00Z`),
    );
    // Sort keys start with the 15-digit finish time: below this one, a run finished at `to` or before.
    const toBound = filter.to === undefined ? undefined : String(filter.to + 1).padStart(15, '0');
    // A cursor's day is clamped to the retained days: a forged one cannot send this back through years.
    let current = Math.min(top, Math.max(floor, cursor ? Date.parse(`${cursor.day}T00:00:00Z`) : top));
    /** The sort key of the last run read on the current day (the next read starts below it). */
    let after = cursor?.sk;
    const position = () => (after === undefined ? { day: day(current) } : { day: day(current), sk: after });
    for (let queries = 0; runs.length < limit && current >= floor; queries++) {
      // Unfiltered, every query returns runs or moves a day back: bounded by the retention period.
      if (filtered && queries >= MAX_RUN_QUERIES) return { runs, next: position() };
      const upper = after === undefined || (toBound !== undefined && toBound < after) ? toBound : after;
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: upper ? '#pk = :pk AND #sk < :upper' : '#pk = :pk',
          ExpressionAttributeNames: { '#pk': 'pk', ...(upper ? { '#sk': 'sk' } : {}) },
          ExpressionAttributeValues: {
            ':pk': keyOf('log', workspace, day(current)),
            ...(upper ? { ':upper': upper } : {}),
          },
          ScanIndexForward: false,
          Limit: filtered ? FILTERED_QUERY_LIMIT : limit - runs.length,
        }),
      );
      for (const item of page.Items ?? []) {
        const { pk: _pk, sk, expiresAt: _e, ...rest } = item;
        const run = rest as NotificationRun;
        // Newest first: every later run finished before `from` too.
        if (filter.from !== undefined && run.finishedAt < filter.from) return { runs, next: undefined };
        if (matchesRunFilter(run, filter)) {
          // The first run left out comes first next time: the cursor names the last one read.
          if (!bytes.take(run)) return { runs, next: position() };
          runs.push(run);
        }
        after = String(sk);
        if (runs.length === limit) return { runs, next: position() };
      }
      if (page.LastEvaluatedKey) {
        after = String(page.LastEvaluatedKey.sk);
        continue;
      }
      current -= DAY_MS;
      after = undefined;
    }
    return { runs, next: current >= floor ? position() : undefined };
  }

  /** Counts a run of `rule` on `objectKey` in the current window; false once `max` is reached. */
  async takeRun(
    workspace: string,
    rule: string,
    objectKey: string,
    max: number,
    windowSeconds: number,
    now: number,
  ): Promise<boolean> {
    const windowStart = Math.floor(now / 1000 / windowSeconds) * windowSeconds;
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: keyOf('guard', workspace, rule, objectKey), sk: `w#${windowStart}` },
          UpdateExpression: 'ADD #count :one SET #expiresAt = :exp',
          ConditionExpression: 'attribute_not_exists(#count) OR #count < :max',
          ExpressionAttributeNames: { '#count': 'count', '#expiresAt': 'expiresAt' },
          ExpressionAttributeValues: { ':one': 1, ':max': max, ':exp': windowStart + windowSeconds + 3600 },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}
