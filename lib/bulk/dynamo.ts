/** DynamoDB helpers shared by the job store, the rate governor and the notification store. */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';

/** A conditional write that lost: the record is not in the state the write required. */
export function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error as { name?: string }).name === 'ConditionalCheckFailedException'
  );
}
