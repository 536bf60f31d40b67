/**
 * Bulk job and item records in DynamoDB. Every state change is one conditional write, so redelivered
 * messages, concurrent workers and replayed requests cannot run an item twice or move a job backwards.
 * DynamoDB Local stand-ins have no transactions, so counters and item states are two writes; the
 * `counted` field on each item makes the counter update repeatable (see `settle`).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  BatchGetCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { OwnerId } from '../auth/ownership.ts';
import { FAILURES_INDEX } from '../tables/definitions.ts';
import { isConditionFailure, TableStore } from '../tables/table-store.ts';
import {
  CHUNK_PREFIX,
  type ChunkRecord,
  type Counted,
  chunkKey,
  INPUT_PREFIX,
  ITEM_PREFIX,
  type ItemError,
  type ItemRecord,
  idempotencyKey,
  inputKey,
  itemKey,
  type JobRecord,
  jobKey,
  jobListKey,
  jobListPartition,
  type LastChunk,
  type StoredInput,
} from './records.ts';

/**
 * An item record as stored: a failed item's input is kept as the JSON text that was queued, because
 * a DynamoDB map is not JSON (numbers only from 1e-130 to 1e126, nesting 32 deep): `retry-failed` must
 * send what the first attempt sent. Records written before that hold a map, still read as one.
 */
function readItem(stored: Record<string, unknown> | undefined): ItemRecord | undefined {
  if (stored === undefined || typeof stored.input !== 'string') return stored as ItemRecord | undefined;
  return { ...stored, input: JSON.parse(stored.input) } as ItemRecord;
}

export interface ChunkRegistration {
  jobId: string;
  operation: string;
  workspace: string;
  ownerId: OwnerId;
  createdBy: string;
  offset: number;
  /** Items of the chunk, rejected ones included: the next chunk starts after them. */
  size: number;
  accepted: number;
  final: boolean;
  /** A digest of the chunk's items (rejected ones included): a replay must carry the same items. */
  hash: string;
  now: number;
  expiresAt: number;
}

export type ChunkOutcome =
  | { kind: 'created' }
  /** The chunk was registered before (a retried request): its items may be sent again, safely. */
  | { kind: 'replay'; job: JobRecord; queued: boolean }
  | { kind: 'conflict'; reason: 'not_owner' | 'operation' | 'closed' | 'offset'; job: JobRecord }
  /** A chunk at this offset was registered with other contents: `differs` says what. */
  | { kind: 'conflict'; reason: 'chunk'; job: JobRecord; differs: string[] }
  | { kind: 'missing' };

export type Claim =
  /** Run it; `previous` is the record before the claim (undefined for a first delivery). */
  | { kind: 'claimed'; previous: ItemRecord | undefined; tries: number }
  /** Already finished in this attempt: acknowledge without running. */
  | { kind: 'done'; item: ItemRecord }
  /** Another worker holds it until `leaseUntil`. */
  | { kind: 'busy'; leaseUntil: number }
  /** A newer attempt of this item exists (after `retry-failed`). */
  | { kind: 'stale' }
  /** An earlier try's answer was lost and may still be on its way: look it up no sooner than `until`. */
  | { kind: 'wait'; until: number };

/** What a registered chunk held, to recognise a replay of it. */
export interface ChunkSignature {
  size: number;
  final: boolean;
  /** sha256 (base64url) of the JSON of the chunk's items. */
  hash: string;
}

/** A stored input record's items, well under DynamoDB's 400 KB item limit. */
const MAX_INPUT_PART_BYTES = 300 * 1024;

/** The claim's update; each way of claiming adds its own condition on what it read. */
type ClaimUpdate = UpdateCommandInput & {
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues: Record<string, unknown>;
};

export class JobStore extends TableStore {
  async getJob(jobId: string, consistent = true): Promise<JobRecord | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: jobKey(jobId), ConsistentRead: consistent }),
    );
    return Item as JobRecord | undefined;
  }

  /** Job records by id (eventually consistent, as a list shows them), in one BatchGetItem per 100. */
  async getJobs(jobIds: readonly string[]): Promise<Map<string, JobRecord>> {
    const jobs = new Map<string, JobRecord>();
    for (let start = 0; start < jobIds.length; start += 100) {
      let keys: Array<Record<string, unknown>> = jobIds.slice(start, start + 100).map(jobKey);
      // DynamoDB may leave keys unprocessed under load: asked again after a short, growing pause.
      for (let round = 0; keys.length > 0; round++) {
        if (round === 6) throw new Error(`DynamoDB left ${keys.length} job(s) unread after ${round} tries`);
        if (round > 0) await sleep(25 * 2 ** round);
        const { Responses, UnprocessedKeys } = await this.db.send(
          new BatchGetCommand({ RequestItems: { [this.table]: { Keys: keys } } }),
        );
        for (const item of Responses?.[this.table] ?? []) jobs.set(String(item.jobId), item as JobRecord);
        keys = UnprocessedKeys?.[this.table]?.Keys ?? [];
      }
    }
    return jobs;
  }

  async getItem(jobId: string, index: number): Promise<ItemRecord | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: itemKey(jobId, index), ConsistentRead: true }),
    );
    return readItem(Item);
  }

  /**
   * Creates the job (first chunk) or appends a chunk, in one conditional write: chunks must come in
   * order (`offset` = the job's `nextOffset`), from the job's owner, for its operation, before the
   * final one. A chunk seen before is a replay.
   */
  async registerChunk(c: ChunkRegistration): Promise<ChunkOutcome> {
    const first = c.offset === 0;
    const signature: ChunkSignature = { size: c.size, final: c.final, hash: c.hash };
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: jobKey(c.jobId),
          UpdateExpression:
            'SET #lastChunk = :lastChunk, #jobId = :jobId, #operation = if_not_exists(#operation, :op), ' +
            '#workspace = if_not_exists(#workspace, :ws), #ownerId = if_not_exists(#ownerId, :ownerId), ' +
            '#createdBy = if_not_exists(#createdBy, :createdBy), ' +
            '#createdAt = if_not_exists(#createdAt, :now), #updatedAt = :now, #expiresAt = :expiresAt, ' +
            '#succeeded = if_not_exists(#succeeded, :zero), #failed = if_not_exists(#failed, :zero), ' +
            '#attempt = if_not_exists(#attempt, :one), #final = :final, #nextOffset = :next ' +
            'ADD #total :accepted',
          ConditionExpression: first
            ? 'attribute_not_exists(#nextOffset)'
            : '#nextOffset = :offset AND #final = :false AND #ownerId = :ownerId AND #workspace = :ws AND #operation = :op',
          ExpressionAttributeNames: {
            '#lastChunk': 'lastChunk',
            '#jobId': 'jobId',
            '#operation': 'operation',
            '#workspace': 'workspace',
            '#ownerId': 'ownerId',
            '#createdBy': 'createdBy',
            '#createdAt': 'createdAt',
            '#updatedAt': 'updatedAt',
            '#expiresAt': 'expiresAt',
            '#succeeded': 'succeeded',
            '#failed': 'failed',
            '#attempt': 'attempt',
            '#final': 'final',
            '#nextOffset': 'nextOffset',
            '#total': 'total',
          },
          ExpressionAttributeValues: {
            ':accepted': c.accepted,
            ':lastChunk': { offset: c.offset, accepted: c.accepted, ...signature } satisfies LastChunk,
            ':jobId': c.jobId,
            ':op': c.operation,
            ':ws': c.workspace,
            ':ownerId': c.ownerId,
            ':createdBy': c.createdBy,
            ':now': c.now,
            ':expiresAt': c.expiresAt,
            ':zero': 0,
            ':one': 1,
            ':final': c.final,
            ':next': c.offset + c.size,
            ...(first ? {} : { ':offset': c.offset, ':false': false }),
          },
          ReturnValues: 'UPDATED_OLD',
        }),
      );
      // The job's write decided the offset; the chunk's own record follows. A crash (or a failed
      // write) between the two is covered by `lastChunk` until the next chunk registers, which
      // writes the previous chunk's record from it if it is still missing.
      const previous = (Attributes as Partial<JobRecord> | undefined)?.lastChunk;
      await Promise.all([
        this.#putChunk(c.jobId, { offset: c.offset, accepted: c.accepted, ...signature }, c.expiresAt, false),
        ...(first ? [this.#putListEntry({ ...c, createdAt: c.now })] : []),
        ...(previous && previous.accepted !== undefined
          ? [this.#putChunk(c.jobId, previous as ChunkRecord, c.expiresAt, true)]
          : []),
      ]);
      return { kind: 'created' };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    const job = await this.getJob(c.jobId);
    if (!job) return { kind: 'missing' };
    if (job.ownerId !== c.ownerId || job.workspace !== c.workspace)
      return { kind: 'conflict', reason: 'not_owner', job };
    if (job.operation !== c.operation) return { kind: 'conflict', reason: 'operation', job };
    if (c.offset < (job.nextOffset ?? 0)) {
      const chunk = await this.#chunk(c.jobId, c.offset);
      const seen = chunk ?? (job.lastChunk?.offset === c.offset ? job.lastChunk : undefined);
      // No chunk starts here: an offset inside an earlier chunk.
      if (!seen) return { kind: 'conflict', reason: 'offset', job };
      const differs: string[] = [];
      if (seen.size !== c.size) differs.push(`${seen.size} items, not ${c.size}`);
      if (seen.final !== c.final) differs.push(`"final": ${seen.final}, not ${c.final}`);
      if (differs.length === 0 && seen.hash !== c.hash) differs.push('other items');
      if (differs.length > 0) return { kind: 'conflict', reason: 'chunk', job, differs };
      // The first chunk's repeat writes the list entry a crash after the job's write may have lost.
      if (c.offset === 0) await this.#putListEntry({ ...job, expiresAt: this.expiresAt(job.createdAt) });
      return { kind: 'replay', job, queued: chunk?.queued === true };
    }
    return { kind: 'conflict', reason: job.final ? 'closed' : 'offset', job };
  }

  /** The job's entry in its owner's list: the same values however often it is written. */
  async #putListEntry(job: {
    jobId: string;
    operation: string;
    workspace: string;
    ownerId: OwnerId;
    createdAt: number;
    expiresAt: number;
  }): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: jobListKey(job.workspace, job.ownerId, job.createdAt, job.jobId),
        UpdateExpression: 'SET #jobId = :jobId, #operation = :op, #createdAt = :createdAt, #expiresAt = :exp',
        ExpressionAttributeNames: {
          '#jobId': 'jobId',
          '#operation': 'operation',
          '#createdAt': 'createdAt',
          '#expiresAt': 'expiresAt',
        },
        ExpressionAttributeValues: {
          ':jobId': job.jobId,
          ':op': job.operation,
          ':createdAt': job.createdAt,
          ':exp': job.expiresAt,
        },
      }),
    );
  }

  /**
   * One Query of an owner's job list, newest first, below the sort key `before`: at most `limit`
   * entries read (fewer returned with an `operation` filter); `lastKey` is the sort key of the last
   * entry read when more remain.
   */
  async listEntries(
    workspace: string,
    ownerId: OwnerId,
    limit: number,
    before: string | undefined,
    operation: string | undefined,
  ): Promise<{ entries: Array<{ sk: string; jobId: string }>; lastKey: string | undefined }> {
    const { Items = [], LastEvaluatedKey } = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: before === undefined ? '#pk = :pk' : '#pk = :pk AND #sk < :before',
        ExpressionAttributeNames: {
          '#pk': 'pk',
          '#sk': 'sk',
          '#jobId': 'jobId',
          ...(operation === undefined ? {} : { '#operation': 'operation' }),
        },
        ExpressionAttributeValues: {
          ':pk': jobListPartition(workspace, ownerId),
          ...(before === undefined ? {} : { ':before': before }),
          ...(operation === undefined ? {} : { ':op': operation }),
        },
        ...(operation === undefined ? {} : { FilterExpression: '#operation = :op' }),
        ProjectionExpression: '#sk, #jobId',
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return {
      entries: Items.map((item) => ({ sk: String(item.sk), jobId: String(item.jobId) })),
      lastKey: LastEvaluatedKey ? String(LastEvaluatedKey.sk) : undefined,
    };
  }

  /** Writes a chunk's record; `ifMissing`: only where none is (it may have been marked queued). */
  async #putChunk(jobId: string, chunk: ChunkRecord, expiresAt: number, ifMissing: boolean): Promise<void> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { ...chunkKey(jobId, chunk.offset), ...chunk, expiresAt },
          ...(ifMissing
            ? {
                ConditionExpression: 'attribute_not_exists(#offset)',
                ExpressionAttributeNames: { '#offset': 'offset' },
              }
            : {}),
        }),
      );
    } catch (error) {
      if (!(ifMissing && isConditionFailure(error))) throw error;
    }
  }

  async #chunk(jobId: string, offset: number): Promise<ChunkRecord | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: chunkKey(jobId, offset), ConsistentRead: true }),
    );
    return Item as ChunkRecord | undefined;
  }

  /** Offsets of the job's chunks whose items are not all known to be on the queue. */
  async unqueuedChunks(jobId: string): Promise<number[]> {
    const offsets: number[] = [];
    for await (const chunk of this.#queryPrefix(jobId, CHUNK_PREFIX, ['offset', 'queued'])) {
      if (chunk.queued !== true) offsets.push(Number(chunk.offset));
    }
    return offsets;
  }

  /**
   * Keeps a chunk's accepted items in a few records (each under DynamoDB's 400 KB), written before
   * they are queued: the queue may lose them (a purge, a local restart) and `recover` queues the
   * pending ones again from here. A replay writes the same records again.
   */
  async putInputs(
    jobId: string,
    offset: number,
    items: readonly StoredInput[],
    expiresAt: number,
  ): Promise<void> {
    const parts: string[] = [];
    let current: string[] = [];
    let bytes = 0;
    for (const item of items) {
      const json = JSON.stringify(item);
      if (current.length > 0 && bytes + Buffer.byteLength(json) > MAX_INPUT_PART_BYTES) {
        parts.push(`[${current.join(',')}]`);
        current = [];
        bytes = 0;
      }
      current.push(json);
      bytes += Buffer.byteLength(json) + 1;
    }
    if (current.length > 0) parts.push(`[${current.join(',')}]`);
    await Promise.all(
      parts.map((items, part) =>
        this.db.send(
          new UpdateCommand({
            TableName: this.table,
            Key: inputKey(jobId, offset, part),
            UpdateExpression: 'SET #items = :items, #expiresAt = :expiresAt',
            ExpressionAttributeNames: { '#items': 'items', '#expiresAt': 'expiresAt' },
            ExpressionAttributeValues: { ':items': items, ':expiresAt': expiresAt },
          }),
        ),
      ),
    );
  }

  /** Every stored input of the job, in index order. */
  async inputs(jobId: string): Promise<StoredInput[]> {
    const out: StoredInput[] = [];
    for await (const item of this.#queryPrefix(jobId, INPUT_PREFIX, ['items'])) {
      out.push(...(JSON.parse(String(item.items)) as StoredInput[]));
    }
    return out.sort((a, b) => a.index - b.index);
  }

  /** The state of every item record of the job (what `recover` needs to tell pending from done). */
  async itemStates(jobId: string): Promise<Map<number, Pick<ItemRecord, 'state' | 'attempt' | 'counted'>>> {
    const states = new Map<number, Pick<ItemRecord, 'state' | 'attempt' | 'counted'>>();
    for await (const item of this.#queryPrefix(jobId, ITEM_PREFIX, [
      'index',
      'state',
      'attempt',
      'counted',
    ])) {
      const { index, state, attempt, counted } = item as Pick<
        ItemRecord,
        'index' | 'state' | 'attempt' | 'counted'
      >;
      states.set(index, { state, attempt, counted });
    }
    return states;
  }

  /** Every record of the job under `prefix`, with only the `attributes` asked for. */
  async *#queryPrefix(jobId: string, prefix: string, attributes: readonly string[]) {
    const names = Object.fromEntries(attributes.map((name, i) => [`#a${i}`, name]));
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
          ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk', ...names },
          ExpressionAttributeValues: { ':pk': jobKey(jobId).pk, ':prefix': prefix },
          ProjectionExpression: Object.keys(names).join(', '),
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      yield* page.Items ?? [];
      start = page.LastEvaluatedKey;
    } while (start);
  }

  /**
   * Every job record of the table (a Scan: for the local stack's recovery at start, never on a
   * request path).
   */
  async allJobs(): Promise<JobRecord[]> {
    const jobs: JobRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new ScanCommand({
          TableName: this.table,
          FilterExpression: '#sk = :job',
          ExpressionAttributeNames: { '#sk': 'sk' },
          ExpressionAttributeValues: { ':job': 'job' },
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      jobs.push(...((page.Items ?? []) as JobRecord[]));
      start = page.LastEvaluatedKey;
    } while (start);
    return jobs;
  }

  /** Whether an Idempotency-Key made this job before (and the job was registered). */
  async idempotencyUsed(jobId: string): Promise<number | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.table, Key: idempotencyKey(jobId), ConsistentRead: true }),
    );
    return typeof Item?.registeredAt === 'number' ? Item.registeredAt : undefined;
  }

  /** Notes that an Idempotency-Key made this job; kept with no expiry (a few dozen bytes per job). */
  async markIdempotencyUsed(jobId: string, now: number): Promise<void> {
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: idempotencyKey(jobId),
        UpdateExpression: 'SET #registeredAt = if_not_exists(#registeredAt, :now)',
        ExpressionAttributeNames: { '#registeredAt': 'registeredAt' },
        ExpressionAttributeValues: { ':now': now },
      }),
    );
  }

  /** Every item of the chunk is on the queue: a replay need not send them again. */
  async markChunkQueued(jobId: string, offset: number): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: chunkKey(jobId, offset),
          UpdateExpression: 'SET #queued = :true',
          // A chunk whose record a crash never wrote stays without one (its replay reads `lastChunk`).
          ConditionExpression: 'attribute_exists(#offset)',
          ExpressionAttributeNames: { '#queued': 'queued', '#offset': 'offset' },
          ExpressionAttributeValues: { ':true': true },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  /** Sets attributes of the job record outright, unconditionally. */
  async #setOnJob(jobId: string, attributes: Record<string, unknown>): Promise<void> {
    const names = Object.keys(attributes);
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: jobKey(jobId),
        UpdateExpression: `SET ${names.map((_, i) => `#a${i} = :a${i}`).join(', ')}`,
        ExpressionAttributeNames: Object.fromEntries(names.map((name, i) => [`#a${i}`, name])),
        ExpressionAttributeValues: Object.fromEntries(names.map((name, i) => [`:a${i}`, attributes[name]])),
      }),
    );
  }

  /**
   * Starts attempt `seen.attempt + 1` (`retry-failed`) and takes the requeue lease, in one conditional
   * write on the attempt and the counters the caller judged: false when another call (or a worker's
   * count) changed the job first. Two retries at once make one new attempt, not two.
   */
  async startRetry(
    jobId: string,
    seen: Pick<JobRecord, 'attempt' | 'succeeded' | 'failed'>,
    holder: string,
    leaseUntil: number,
    now: number,
  ): Promise<boolean> {
    return this.#conditional({
      TableName: this.table,
      Key: jobKey(jobId),
      UpdateExpression: 'SET #attempt = :next, #retry = :retry, #updatedAt = :now',
      ConditionExpression:
        '#attempt = :seen AND #succeeded = :succeeded AND #failed = :failed AND #final = :true AND attribute_not_exists(#retry)',
      ExpressionAttributeNames: {
        '#attempt': 'attempt',
        '#retry': 'retry',
        '#updatedAt': 'updatedAt',
        '#succeeded': 'succeeded',
        '#failed': 'failed',
        '#final': 'final',
      },
      ExpressionAttributeValues: {
        ':next': seen.attempt + 1,
        ':seen': seen.attempt,
        ':succeeded': seen.succeeded,
        ':failed': seen.failed,
        ':true': true,
        ':retry': { holder, leaseUntil },
        ':now': now,
      },
    });
  }

  /**
   * Takes the requeue lease of the running attempt `seen.attempt` to resume it: when no retry holds
   * it, or the one seen holding it let it lapse. False when another call took it first.
   */
  async takeRetryLease(
    jobId: string,
    seen: Pick<JobRecord, 'attempt' | 'retry'>,
    holder: string,
    leaseUntil: number,
    now: number,
  ): Promise<boolean> {
    return this.#conditional({
      TableName: this.table,
      Key: jobKey(jobId),
      UpdateExpression: 'SET #retry = :retry, #updatedAt = :now',
      ConditionExpression: seen.retry
        ? '#attempt = :attempt AND #retry.#holder = :seenHolder AND #retry.#lease = :seenLease'
        : '#attempt = :attempt AND attribute_not_exists(#retry)',
      ExpressionAttributeNames: {
        '#attempt': 'attempt',
        '#retry': 'retry',
        '#updatedAt': 'updatedAt',
        ...(seen.retry ? { '#holder': 'holder', '#lease': 'leaseUntil' } : {}),
      },
      ExpressionAttributeValues: {
        ':attempt': seen.attempt,
        ':retry': { holder, leaseUntil },
        ':now': now,
        ...(seen.retry ? { ':seenHolder': seen.retry.holder, ':seenLease': seen.retry.leaseUntil } : {}),
      },
    });
  }

  /** Extends the holder's lease (between pages of a long requeue). */
  async renewRetryLease(jobId: string, holder: string, leaseUntil: number): Promise<boolean> {
    return this.releaseRetryLease(jobId, holder, leaseUntil);
  }

  /** Sets the holder's lease to end at `leaseUntil` (0: any call may resume at once). */
  async releaseRetryLease(jobId: string, holder: string, leaseUntil: number): Promise<boolean> {
    return this.#conditional({
      TableName: this.table,
      Key: jobKey(jobId),
      UpdateExpression: 'SET #retry.#lease = :lease',
      ConditionExpression: '#retry.#holder = :holder',
      ExpressionAttributeNames: { '#retry': 'retry', '#holder': 'holder', '#lease': 'leaseUntil' },
      ExpressionAttributeValues: { ':holder': holder, ':lease': leaseUntil },
    });
  }

  /** Every failed item is queued for the new attempt: the counters speak for the job again. */
  async endRetry(jobId: string, holder: string, now: number): Promise<boolean> {
    return this.#conditional({
      TableName: this.table,
      Key: jobKey(jobId),
      UpdateExpression: 'SET #updatedAt = :now REMOVE #retry',
      ConditionExpression: '#retry.#holder = :holder',
      ExpressionAttributeNames: { '#retry': 'retry', '#holder': 'holder', '#updatedAt': 'updatedAt' },
      ExpressionAttributeValues: { ':holder': holder, ':now': now },
    });
  }

  /** Runs a conditional update: false when its condition did not hold. */
  async #conditional(input: UpdateCommandInput): Promise<boolean> {
    try {
      await this.db.send(new UpdateCommand(input));
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /**
   * Takes an item for one attempt: a first delivery, a released item of this attempt, a failed (or
   * still queued) item of an older attempt, or one whose previous holder's lease ran out (it may have
   * called Intercom: the caller decides from `previous`). A succeeded item is never taken again.
   * A lost answer's lookup waits: a queued item is not taken before its `verifyAfter`, and an expired
   * lease not before `leaseLookupDelayMs` after its end.
   *
   * Every write here has a short condition on what was read: DynamoDB evaluates any condition
   * alike, but the local emulator's parser takes ~30 ms of CPU for one nested condition of all the
   * cases and ~0.1 ms for these, and it bounds what a laptop carries.
   */
  async claim(
    jobId: string,
    index: number,
    attempt: number,
    leaseUntil: number,
    now: number,
    context: { operation: string; workspace: string },
    /**
     * For writes that are looked up after a lost answer: how long after an expired lease's end the
     * lookup waits (the holder's call may have reached Intercom until shortly before that end).
     */
    leaseLookupDelayMs = 0,
    /** No record is expected (a first delivery of attempt 1): create it, and read only if one exists. */
    likelyNew = true,
  ): Promise<Claim> {
    const base = this.#claimUpdate(jobId, index, attempt, leaseUntil, now, context);
    if (likelyNew) {
      const created = await this.#claimIf(base, 'attribute_not_exists(#state)', {}, {});
      if (created) return created;
    }
    const item = await this.getItem(jobId, index);
    if (!item) {
      // A redelivery whose record expired by TTL is stale; a first delivery creates it.
      if (likelyNew) return { kind: 'stale' };
      const created = await this.#claimIf(base, 'attribute_not_exists(#state)', {}, {});
      return created ?? { kind: 'busy', leaseUntil: now };
    }
    if (item.attempt > attempt) return { kind: 'stale' };
    const seen = { ':seenState': item.state, ':seenAttempt': item.attempt, ':seenAt': item.updatedAt ?? 0 };
    const unchanged = '#state = :seenState AND #attempt = :seenAttempt AND #updatedAt = :seenAt';
    const lookupDue = item.verifyAfter === undefined || item.verifyAfter <= now;
    // Released for a later delivery of this attempt, or left over by an older attempt (failed, or
    // queued and never finished): taken as it was read.
    if ((item.state === 'queued' && lookupDue) || (item.state === 'failed' && item.attempt < attempt)) {
      return (await this.#claimIf(base, unchanged, {}, seen)) ?? { kind: 'busy', leaseUntil: now };
    }
    if (item.state === 'queued') {
      // Only a pending lookup holds a queued item back (a lost answer, looked up later).
      return { kind: 'wait', until: item.verifyAfter ?? now };
    }
    if (item.state !== 'in_progress') return { kind: 'done', item };
    const lease = item.leaseUntil ?? 0;
    if (lease >= now) return { kind: 'busy', leaseUntil: lease };
    const lookupAt = Math.max(item.verifyAfter ?? 0, leaseLookupDelayMs > 0 ? lease + leaseLookupDelayMs : 0);
    if (lookupAt > now) return { kind: 'wait', until: lookupAt };
    // The holder died. Its try may have reached Intercom any time since it claimed the item: that
    // time is kept in `verifySince` (unless an earlier, lost try set it first), so whoever looks it
    // up later, even after more crashes, searches from the earliest try.
    const takeover = {
      ...base,
      UpdateExpression: base.UpdateExpression.replace(
        'SET ',
        'SET #verifySince = if_not_exists(#verifySince, :heldSince), ',
      ),
    };
    const taken = await this.#claimIf(
      takeover,
      '#state = :inProgress AND #attempt = :seenAttempt AND #lease = :seenLease',
      { '#verifySince': 'verifySince' },
      { ':seenAttempt': item.attempt, ':seenLease': item.leaseUntil, ':heldSince': item.updatedAt ?? 0 },
    );
    // Someone else took it over (or finished it) meanwhile: look again in a moment.
    return taken ?? { kind: 'busy', leaseUntil: now };
  }

  /** The claim update under `condition`: the claim, or undefined when the condition did not hold. */
  async #claimIf(
    base: ClaimUpdate,
    condition: string,
    names: Record<string, string>,
    values: Record<string, unknown>,
  ): Promise<Claim | undefined> {
    try {
      const { Attributes } = await this.db.send(
        new UpdateCommand({
          ...base,
          ConditionExpression: condition,
          ExpressionAttributeNames: { ...base.ExpressionAttributeNames, ...names },
          ExpressionAttributeValues: { ...base.ExpressionAttributeValues, ...values },
        }),
      );
      return this.#claimed(readItem(Attributes), base.ExpressionAttributeValues[':a'] as number);
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      return undefined;
    }
  }

  #claimed(previous: ItemRecord | undefined, attempt: number): Claim {
    const triesBefore = previous && previous.attempt === attempt ? (previous[`tries_${attempt}`] ?? 0) : 0;
    return { kind: 'claimed', previous, tries: triesBefore + 1 };
  }

  #claimUpdate(
    jobId: string,
    index: number,
    attempt: number,
    leaseUntil: number,
    now: number,
    context: { operation: string; workspace: string },
  ) {
    return {
      TableName: this.table,
      Key: itemKey(jobId, index),
      // `verifySince` and `verifyAfter` stay: only `finish` settles a lost answer.
      UpdateExpression:
        'SET #state = :inProgress, #attempt = :a, #lease = :lease, #index = :index, #updatedAt = :now, ' +
        '#expiresAt = :expiresAt, #counted = if_not_exists(#counted, :none), #operation = :op, #workspace = :ws ' +
        'ADD #tries :one REMOVE #failedJob, #failedIndex',
      ExpressionAttributeNames: {
        '#state': 'state',
        '#attempt': 'attempt',
        '#lease': 'leaseUntil',
        '#index': 'index',
        '#updatedAt': 'updatedAt',
        '#expiresAt': 'expiresAt',
        '#counted': 'counted',
        '#operation': 'operation',
        '#workspace': 'workspace',
        '#tries': `tries_${attempt}`,
        '#failedJob': 'failedJob',
        '#failedIndex': 'failedIndex',
      } as Record<string, string>,
      ExpressionAttributeValues: {
        ':inProgress': 'in_progress',
        ':a': attempt,
        ':lease': leaseUntil,
        ':index': index,
        ':now': now,
        ':expiresAt': this.expiresAt(now),
        ':none': 'none',
        ':op': context.operation,
        ':ws': context.workspace,
        ':one': 1,
      } as Record<string, unknown>,
      ReturnValues: 'ALL_OLD' as const,
    };
  }

  /**
   * Records the item's outcome for this attempt, and marks it counted as that outcome in the same
   * write: the job's counters take it with the batch's `count` (one write per batch, not per item).
   * False if the claim was lost meanwhile.
   */
  async finish(
    jobId: string,
    index: number,
    attempt: number,
    outcome: { state: 'succeeded' } | { state: 'failed'; error: ItemError; input: Record<string, unknown> },
    now: number,
  ): Promise<boolean> {
    const failed = outcome.state === 'failed';
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: itemKey(jobId, index),
          UpdateExpression: failed
            ? 'SET #state = :state, #counted = :state, #error = :error, #input = :input, #failedJob = :jobId, #failedIndex = :index, #updatedAt = :now REMOVE #lease, #verifySince, #verifyAfter'
            : 'SET #state = :state, #counted = :state, #updatedAt = :now REMOVE #lease, #error, #input, #verifySince, #verifyAfter',
          ConditionExpression: '#attempt = :a AND #state = :inProgress',
          ExpressionAttributeNames: {
            '#state': 'state',
            '#counted': 'counted',
            '#attempt': 'attempt',
            '#lease': 'leaseUntil',
            '#updatedAt': 'updatedAt',
            '#error': 'error',
            '#input': 'input',
            '#verifySince': 'verifySince',
            '#verifyAfter': 'verifyAfter',
            ...(failed ? { '#failedJob': 'failedJob', '#failedIndex': 'failedIndex' } : {}),
          },
          ExpressionAttributeValues: {
            ':state': outcome.state,
            ':a': attempt,
            ':inProgress': 'in_progress',
            ':now': now,
            ...(failed
              ? {
                  ':error': outcome.error,
                  ':input': JSON.stringify(outcome.input),
                  ':jobId': jobId,
                  ':index': index,
                }
              : {}),
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  /**
   * Gives the item back to the queue for a later delivery of the same attempt. `ran` false means
   * Intercom was not called (the rate budget was spent), so the try does not count.
   */
  async release(
    jobId: string,
    index: number,
    attempt: number,
    lastError: ItemError | undefined,
    ran: boolean,
    now: number,
    /**
     * The answer of a call made after this time was lost: the next delivery looks before running,
     * not before `verifyAfter`. An earlier `verifySince` of this item is kept (the earliest try counts).
     */
    verifySince?: number,
    verifyAfter?: number,
  ): Promise<void> {
    const sets = ['#state = :queued', '#updatedAt = :now'];
    const names: Record<string, string> = {
      '#state': 'state',
      '#attempt': 'attempt',
      '#lease': 'leaseUntil',
      '#updatedAt': 'updatedAt',
    };
    const values: Record<string, unknown> = {
      ':queued': 'queued',
      ':a': attempt,
      ':inProgress': 'in_progress',
      ':now': now,
    };
    if (lastError) {
      sets.push('#lastError = :lastError');
      names['#lastError'] = 'lastError';
      values[':lastError'] = lastError;
    }
    if (verifySince !== undefined) {
      sets.push('#verifySince = if_not_exists(#verifySince, :verifySince)');
      names['#verifySince'] = 'verifySince';
      values[':verifySince'] = verifySince;
    }
    if (verifyAfter !== undefined) {
      sets.push('#verifyAfter = :verifyAfter');
      names['#verifyAfter'] = 'verifyAfter';
      values[':verifyAfter'] = verifyAfter;
    }
    let update = `SET ${sets.join(', ')} REMOVE #lease`;
    if (!ran) {
      update += ' ADD #tries :minusOne';
      names['#tries'] = `tries_${attempt}`;
      values[':minusOne'] = -1;
    }
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: itemKey(jobId, index),
          UpdateExpression: update,
          ConditionExpression: '#attempt = :a AND #state = :inProgress',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  /**
   * Adds a batch's finished items of one attempt to the job's counters, in one write. Their item
   * records already say they are counted (`finish`): a worker that dies before this write leaves the
   * counters short, never long, and `status` counts a job that stays short item by item. Refused
   * once the attempt was counted item by item (every item had finished then, so this batch's are in
   * that count) or the job moved on to another attempt.
   */
  async count(
    jobId: string,
    attempt: number,
    delta: { succeeded: number; failed: number },
    now: number,
  ): Promise<boolean> {
    return this.#conditional({
      TableName: this.table,
      Key: jobKey(jobId),
      UpdateExpression: 'SET #updatedAt = :now ADD #succeeded :s, #failed :f',
      // A comparison with a missing attribute is false: NOT makes a never-reconciled job pass.
      ConditionExpression: '#attempt = :a AND NOT #reconciled = :a',
      ExpressionAttributeNames: {
        '#updatedAt': 'updatedAt',
        '#succeeded': 'succeeded',
        '#failed': 'failed',
        '#attempt': 'attempt',
        '#reconciled': 'reconciledAttempt',
      },
      ExpressionAttributeValues: { ':now': now, ':s': delta.succeeded, ':f': delta.failed, ':a': attempt },
    });
  }

  /**
   * Brings the job's counters in line with the item: moves it from what it is counted as to what it
   * is. The item's `counted` is set after the counter update, conditionally, so a repeat after a crash
   * between the two writes can at worst count once more; `reconcile` corrects that when the job ends.
   */
  async settle(jobId: string, index: number, from: Counted, to: Counted, now: number): Promise<void> {
    if (from === to) return;
    // The item's marker is flipped first, conditionally: of two workers settling the same item only
    // one wins, so a counter is never moved twice. A crash between the two writes leaves the counter
    // one short; `status` reconciles a job that stays short.
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: itemKey(jobId, index),
          UpdateExpression: 'SET #counted = :to',
          ConditionExpression: '#counted = :from',
          ExpressionAttributeNames: { '#counted': 'counted' },
          ExpressionAttributeValues: { ':to': to, ':from': from },
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) return;
      throw error;
    }
    const adds: string[] = [];
    const values: Record<string, unknown> = { ':now': now };
    if (to !== 'none') {
      adds.push(`#${to} :plus`);
      values[':plus'] = 1;
    }
    if (from !== 'none') {
      adds.push(`#${from} :minus`);
      values[':minus'] = -1;
    }
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: jobKey(jobId),
        UpdateExpression: `SET #updatedAt = :now ADD ${adds.join(', ')}`,
        ExpressionAttributeNames: {
          '#updatedAt': 'updatedAt',
          ...(to !== 'none' ? { [`#${to}`]: to } : {}),
          ...(from !== 'none' ? { [`#${from}`]: from } : {}),
        },
        ExpressionAttributeValues: values,
      }),
    );
  }

  /** A page of the job's failed items, in index order. */
  async failures(
    jobId: string,
    limit: number,
    after?: number,
  ): Promise<{ items: ItemRecord[]; last: number | undefined }> {
    const input: QueryCommandInput = {
      TableName: this.table,
      IndexName: FAILURES_INDEX,
      KeyConditionExpression: after === undefined ? '#job = :job' : '#job = :job AND #index > :after',
      ExpressionAttributeNames: {
        '#job': 'failedJob',
        ...(after === undefined ? {} : { '#index': 'failedIndex' }),
      },
      ExpressionAttributeValues: { ':job': jobId, ...(after === undefined ? {} : { ':after': after }) },
      Limit: limit,
    };
    const { Items = [], LastEvaluatedKey } = await this.db.send(new QueryCommand(input));
    const items = Items.map((item) => readItem(item)!);
    return { items, last: LastEvaluatedKey ? items.at(-1)?.index : undefined };
  }

  /** Sets the job's counters outright (the local stack's recovery, while no worker holds its items). */
  async setCounters(jobId: string, succeeded: number, failed: number, now: number): Promise<void> {
    await this.#setOnJob(jobId, { succeeded, failed, updatedAt: now });
  }

  /** Notes that a stuck job's items were counted now (so the next status call does not count again). */
  async markChecked(jobId: string, now: number): Promise<void> {
    await this.#setOnJob(jobId, { checkedAt: now });
  }

  /** Sets the job's counters to the verified counts of `attempt`; the new `updatedAt`, or undefined if the job changed. */
  async reconcile(
    jobId: string,
    attempt: number,
    succeeded: number,
    failed: number,
    now: number,
    /** The job's `updatedAt` before the items were counted: a change since then voids the count. */
    seenUpdatedAt: number,
  ): Promise<number | undefined> {
    const done = await this.#conditional({
      TableName: this.table,
      Key: jobKey(jobId),
      UpdateExpression: 'SET #succeeded = :s, #failed = :f, #reconciled = :a, #updatedAt = :now',
      ConditionExpression: '#attempt = :a AND #updatedAt = :seen',
      ExpressionAttributeNames: {
        '#succeeded': 'succeeded',
        '#failed': 'failed',
        '#reconciled': 'reconciledAttempt',
        '#updatedAt': 'updatedAt',
        '#attempt': 'attempt',
      },
      ExpressionAttributeValues: {
        ':s': succeeded,
        ':f': failed,
        ':a': attempt,
        ':now': now,
        ':seen': seenUpdatedAt,
      },
    });
    return done ? now : undefined;
  }
}
