/**
 * Export records in the jobs table, one per export under its owner's partition
 * (`exports#<workspace>#<owner>`, sorted by export id, which sorts by creation time): a key lists
 * its own exports newest first with one query, and another key's look-up finds nothing (404), as
 * docs/security.md asks. The record is everything a continuation needs: the scroll param, the
 * upload id and its parts, the carry, how many id lists were written, the counters, and the token of
 * the invocation running it (fencing: a write of an invocation that lost the export fails).
 */
import { randomBytes } from 'node:crypto';
import { GetCommand, PutCommand, QueryCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keyOwner } from '../auth/ownership.ts';
import type { ApiKeyRecord } from '../config/types.ts';
import { isConditionFailure, TableStore } from '../tables/table-store.ts';
import type { UploadedPart } from './files.ts';
import type { ExportFormat } from './request.ts';

export type ExportStatus = 'queued' | 'running' | 'waiting' | 'succeeded' | 'failed';

export interface ExportRef {
  workspace: string;
  ownerId: string;
  exportId: string;
}

export interface ExportRecord extends ExportRef {
  operation: string;
  /** A list export's filter (`{tag_id}` or `{segment_id}`), sent with every page. */
  params?: Record<string, string>;
  format: ExportFormat;
  fields?: string[];
  gzip: boolean;
  status: ExportStatus;
  /** The file's S3 key. */
  key: string;
  records: number;
  pages: number;
  restarts: number;
  /** Bytes of the file uploaded so far (compressed when gzip). */
  bytes: number;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
  error?: { code: string; message: string };
  /** A list export that reached Intercom's cap on paged lists: the file holds its first records only. */
  capped?: boolean;
  /** How many records the list had (Intercom's `total_count`) when a list export ended capped. */
  available?: number;
  /** Continuation state: a scroll's param, */
  param?: string;
  /** or the next page of a list (1-based; absent before the first). */
  page?: number;
  uploadId?: string;
  parts: UploadedPart[];
  /** Bytes gathered short of a part, kept at `<key>.carry` between invocations (0: none). */
  carryBytes: number;
  /** Id lists written (`<key>.ids/<n>`), each the ids of records made durable together. */
  idsLists: number;
  /** The invocation running it; null between invocations. Left set by an invocation that died. */
  runToken?: string | null;
  /** Since when it waits for another scroll to close. */
  waitingSince?: number;
}

/** What a continuation writes back. */
export type ExportProgress = Pick<
  ExportRecord,
  'records' | 'pages' | 'restarts' | 'bytes' | 'parts' | 'carryBytes' | 'idsLists'
> &
  Partial<
    Pick<
      ExportRecord,
      | 'param'
      | 'page'
      | 'capped'
      | 'available'
      | 'uploadId'
      | 'status'
      | 'finishedAt'
      | 'error'
      | 'waitingSince'
    >
  > & {
    runToken: string | null;
  };

const PAGE_MAX = 100;

export function newExportId(now: number): string {
  return `exp_${now.toString(36).padStart(10, '0')}${randomBytes(8).toString('hex')}`;
}

function pk(workspace: string, ownerId: string): string {
  return `exports#${workspace}#${ownerId}`;
}

function strip(item: Record<string, unknown>): ExportRecord {
  const { pk: _pk, sk: _sk, expiresAt: _e, ...rest } = item;
  return rest as unknown as ExportRecord;
}

export class ExportStore extends TableStore {
  async create(record: ExportRecord): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          pk: pk(record.workspace, record.ownerId),
          sk: record.exportId,
          ...record,
          expiresAt: this.expiresAt(record.createdAt),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  /**
   * Every export not finished (queued, running, waiting), across workspaces: what a local restart
   * queues again, since the local queue keeps nothing across one. A scan: a start-up step on a local
   * table, never a request path.
   */
  async unfinished(): Promise<Array<ExportRef & { operation: string }>> {
    const refs: Array<ExportRef & { operation: string }> = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new ScanCommand({
          TableName: this.table,
          FilterExpression: 'begins_with(pk, :exports) AND #status IN (:queued, :running, :waiting)',
          ExpressionAttributeNames: { '#status': 'status', '#operation': 'operation' },
          ExpressionAttributeValues: {
            ':exports': 'exports#',
            ':queued': 'queued',
            ':running': 'running',
            ':waiting': 'waiting',
          },
          ProjectionExpression: 'workspace, ownerId, exportId, #operation',
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of page.Items ?? []) refs.push(item as ExportRef & { operation: string });
      start = page.LastEvaluatedKey;
    } while (start);
    return refs;
  }

  async get(ref: ExportRef): Promise<ExportRecord | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.table,
        Key: { pk: pk(ref.workspace, ref.ownerId), sk: ref.exportId },
        ConsistentRead: true,
      }),
    );
    return Item ? strip(Item) : undefined;
  }

  /** The key's own export, or undefined (another key's is reported as missing). */
  async getFor(
    key: Pick<ApiKeyRecord, 'id' | 'workspace'>,
    exportId: string,
  ): Promise<ExportRecord | undefined> {
    return this.get({ workspace: key.workspace, ownerId: keyOwner(key), exportId });
  }

  /** The key's exports, newest first; `after` is the last export id of the previous page. */
  async list(
    key: Pick<ApiKeyRecord, 'id' | 'workspace'>,
    limit: number,
    after?: string,
  ): Promise<{ exports: ExportRecord[]; next: string | undefined }> {
    const owner = pk(key.workspace, keyOwner(key));
    const { Items = [], LastEvaluatedKey } = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: after ? 'pk = :pk AND sk < :after' : 'pk = :pk',
        ExpressionAttributeValues: after ? { ':pk': owner, ':after': after } : { ':pk': owner },
        ScanIndexForward: false,
        Limit: Math.min(limit, PAGE_MAX),
      }),
    );
    const exports = Items.map(strip);
    return { exports, next: LastEvaluatedKey ? exports.at(-1)?.exportId : undefined };
  }

  /**
   * An invocation takes the export: its token is written, and the previous one returned (a token
   * still set means that invocation died without handing over). Undefined when the export is over.
   */
  async begin(
    ref: ExportRef,
    token: string,
    now: number,
  ): Promise<{ record: ExportRecord; previousToken: string | null } | undefined> {
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: pk(ref.workspace, ref.ownerId), sk: ref.exportId },
          UpdateExpression:
            'SET runToken = :token, startedAt = if_not_exists(startedAt, :now), #status = :running',
          ConditionExpression: 'attribute_exists(pk) AND #status IN (:queued, :running, :waiting)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':token': token,
            ':now': now,
            ':running': 'running',
            ':queued': 'queued',
            ':waiting': 'waiting',
          },
          ReturnValues: 'ALL_OLD',
        }),
      );
      const record = strip(Attributes ?? {});
      return { record, previousToken: record.runToken ?? null };
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw error;
    }
  }

  /** Writes an invocation's progress, if that invocation still holds the export (false: it lost it). */
  async save(ref: ExportRef, token: string, progress: ExportProgress): Promise<boolean> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':mine': token };
    const sets: string[] = [];
    const removes: string[] = [];
    for (const [field, value] of Object.entries(progress)) {
      names[`#${field}`] = field;
      if (value === undefined) removes.push(`#${field}`);
      else {
        sets.push(`#${field} = :${field}`);
        values[`:${field}`] = value;
      }
    }
    for (const field of ['param', 'waitingSince'] as const) {
      if (!(field in progress)) {
        names[`#${field}`] = field;
        removes.push(`#${field}`);
      }
    }
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: pk(ref.workspace, ref.ownerId), sk: ref.exportId },
          UpdateExpression: `SET ${sets.join(', ')}${removes.length ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ConditionExpression: 'runToken = :mine',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }
}
