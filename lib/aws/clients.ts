/**
 * The AWS SDK clients every function shares (bulk, webhooks, automations), created on first use. The endpoint comes from the SDK's own
 * configuration (`AWS_ENDPOINT_URL_SQS`, `AWS_ENDPOINT_URL_DYNAMODB`), which `npm start` points at the
 * local emulators: the same code talks to AWS and to the emulators.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

let documents: DynamoDBDocumentClient | undefined;
let sqs: SQSClient | undefined;

export function documentClient(): DynamoDBDocumentClient {
  documents ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return documents;
}

export function sqsClient(): SQSClient {
  sqs ??= new SQSClient({});
  return sqs;
}

let s3: S3Client | undefined;

/** S3 (export files). A custom endpoint (`AWS_ENDPOINT_URL_S3`: the local emulator) is addressed path-style. */
export function s3Client(): S3Client {
  s3 ??= new S3Client({ forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3) });
  return s3;
}
