/** DynamoDB helpers shared by the job store, the rate governor and the notification store. */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** A conditional write that lost: the record is not in the state the write required. */
export function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error as { name?: string }).name === 'ConditionalCheckFailedException'
  );
}

/** A store on one DynamoDB table whose records expire (TTL) after a retention period. */
export abstract class TableStore {
  protected readonly db: DynamoDBDocumentClient;
  protected readonly table: string;
  protected readonly retentionSeconds: number;

  constructor(db: DynamoDBDocumentClient, table: string, retentionDays: number) {
    this.db = db;
    this.table = table;
    this.retentionSeconds = retentionDays * 86_400;
  }

  /** The TTL value (epoch seconds) of a record written at `now`. */
  expiresAt(now: number): number {
    return Math.floor(now / 1000) + this.retentionSeconds;
  }
}
