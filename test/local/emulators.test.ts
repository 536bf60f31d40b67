import { createServer } from 'node:net';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { GetQueueAttributesCommand, ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  awsEnvironment,
  createQueueWithDeadLetter,
  createTables,
  type Emulators,
  startEmulators,
} from '../../lib/local/emulators.ts';

let emulators: Emulators;
beforeAll(async () => {
  emulators = await startEmulators();
});
afterAll(() => emulators.close());

function portOf(endpoint: string) {
  return Number(new URL(endpoint).port);
}

function canListen(port: number) {
  return new Promise<boolean>((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

describe('startEmulators', () => {
  it('serves SQS and DynamoDB on loopback ports and frees them on close', async () => {
    const own = await startEmulators();
    expect(own.sqsEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(own.dynamodbEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await expect(own.sqs.send(new ListQueuesCommand({}))).resolves.toBeDefined();
    await expect(own.dynamodb.send(new ListTablesCommand({}))).resolves.toEqual(
      expect.objectContaining({ TableNames: [] }),
    );
    expect(await canListen(portOf(own.sqsEndpoint))).toBe(false);

    await own.close();
    await own.close();
    expect(await canListen(portOf(own.sqsEndpoint))).toBe(true);
    expect(await canListen(portOf(own.dynamodbEndpoint))).toBe(true);
  });

  it('rejects, without crashing, when a port is taken', async () => {
    await expect(startEmulators({ sqsPort: portOf(emulators.sqsEndpoint) })).rejects.toThrow(/EADDRINUSE/);
  });

  it('points SDK clients created with {} at the emulators through awsEnvironment', async () => {
    const environment = awsEnvironment(emulators);
    const saved = Object.fromEntries(Object.keys(environment).map((name) => [name, process.env[name]]));
    Object.assign(process.env, environment);
    try {
      await createQueueWithDeadLetter(emulators.sqs, {
        name: 'env-check',
        visibilityTimeoutSeconds: 5,
        maxReceiveCount: 3,
      });
      const sqs = new SQSClient({});
      const dynamodb = new DynamoDBClient({});
      const { QueueUrls = [] } = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: 'env-check' }));
      expect(QueueUrls).toContain(`${emulators.sqsEndpoint}/123456789012/env-check`);
      await expect(dynamodb.send(new ListTablesCommand({}))).resolves.toBeDefined();
      sqs.destroy();
      dynamodb.destroy();
    } finally {
      for (const [name, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });
});

describe('createQueueWithDeadLetter', () => {
  it('creates the queue redriving to <name>-dlq, idempotently', async () => {
    const options = { name: 'orders', visibilityTimeoutSeconds: 2, maxReceiveCount: 4 };
    const queue = await createQueueWithDeadLetter(emulators.sqs, options);
    expect(queue).toEqual({
      queueUrl: `${emulators.sqsEndpoint}/123456789012/orders`,
      queueArn: 'arn:aws:sqs:us-east-1:123456789012:orders',
      deadLetterQueueUrl: `${emulators.sqsEndpoint}/123456789012/orders-dlq`,
      deadLetterQueueArn: 'arn:aws:sqs:us-east-1:123456789012:orders-dlq',
    });
    await expect(createQueueWithDeadLetter(emulators.sqs, options)).resolves.toEqual(queue);

    const { Attributes } = await emulators.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queue.queueUrl, AttributeNames: ['All'] }),
    );
    expect(Attributes?.VisibilityTimeout).toBe('2');
    expect(JSON.parse(Attributes?.RedrivePolicy ?? '{}')).toEqual({
      deadLetterTargetArn: queue.deadLetterQueueArn,
      maxReceiveCount: 4,
    });
  });

  it('makes both queues FIFO, without content-based deduplication', async () => {
    const options = { name: 'ordered', visibilityTimeoutSeconds: 2, maxReceiveCount: 2, fifo: true };
    const queue = await createQueueWithDeadLetter(emulators.sqs, options);
    expect(queue.queueArn).toBe('arn:aws:sqs:us-east-1:123456789012:ordered.fifo');
    expect(queue.deadLetterQueueArn).toBe('arn:aws:sqs:us-east-1:123456789012:ordered-dlq.fifo');
    await expect(createQueueWithDeadLetter(emulators.sqs, options)).resolves.toEqual(queue);
    for (const url of [queue.queueUrl, queue.deadLetterQueueUrl]) {
      const { Attributes } = await emulators.sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }),
      );
      expect(Attributes).toEqual(
        expect.objectContaining({ FifoQueue: 'true', ContentBasedDeduplication: 'false' }),
      );
    }
  });
});

describe('createTables', () => {
  it('creates tables once, ACTIVE, and a GSI answers queries', async () => {
    const table = {
      TableName: 'jobs',
      BillingMode: 'PAY_PER_REQUEST' as const,
      AttributeDefinitions: [
        { AttributeName: 'id', AttributeType: 'S' as const },
        { AttributeName: 'status', AttributeType: 'S' as const },
      ],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' as const }],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'by-status',
          KeySchema: [
            { AttributeName: 'status', KeyType: 'HASH' as const },
            { AttributeName: 'id', KeyType: 'RANGE' as const },
          ],
          Projection: { ProjectionType: 'ALL' as const },
        },
      ],
    };
    await createTables(emulators.dynamodb, [table]);
    await createTables(emulators.dynamodb, [table]);

    const documents = DynamoDBDocumentClient.from(emulators.dynamodb);
    for (const [id, status] of [
      ['a', 'done'],
      ['b', 'queued'],
      ['c', 'queued'],
    ]) {
      await documents.send(new PutCommand({ TableName: 'jobs', Item: { id, status } }));
    }
    const { Items } = await documents.send(
      new QueryCommand({
        TableName: 'jobs',
        IndexName: 'by-status',
        KeyConditionExpression: '#status = :status',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':status': 'queued' },
      }),
    );
    expect(Items).toEqual([
      { id: 'b', status: 'queued' },
      { id: 'c', status: 'queued' },
    ]);
  });
});
