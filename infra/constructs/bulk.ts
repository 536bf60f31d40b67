import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { type BulkDeploymentSettings, bulkEnvironment, rateLimitEnvironment } from '../bulk-config.ts';
import { BulkTables, RATE_GOVERNOR_ACTIONS } from './bulk-tables.ts';
import { BulkWorker, WORKER_BATCHING_WINDOW, WORKER_TIMEOUT } from './bulk-worker.ts';
import { QueueWithDeadLetter } from './queue-with-dead-letter.ts';
import { consumerVisibilityTimeout } from './queue-worker.ts';

export interface BulkJobsProps {
  settings: BulkDeploymentSettings;
  retainData: boolean;
  /** Powertools and Intercom settings every function gets; no secret ARNs. */
  baseEnvironment: Record<string, string>;
  workspacesSecret: ISecret;
  logRetentionDays: number;
}

/**
 * Queued bulk operations: the jobs and rate tables, the work queue with its dead-letter queue, and the
 * worker it feeds. The `bulk` HTTP function that takes jobs is one of the API's functions; it gets
 * `environment` and `grantApi`.
 */
export class BulkJobs extends Construct {
  readonly tables: BulkTables;
  readonly queue: QueueWithDeadLetter;
  readonly worker: BulkWorker;
  /** Where the bulk code finds its tables and queue, and its settings: the same for both functions. */
  readonly environment: Record<string, string>;
  /** The rate governor's table and budget, for other functions that spend the same budget. */
  readonly rateEnvironment: Record<string, string>;

  constructor(scope: Construct, id: string, props: BulkJobsProps) {
    super(scope, id);
    const { settings } = props;
    this.tables = new BulkTables(this, 'Tables', { retainData: props.retainData });
    // One message per item; the messages hold item inputs, not credentials.
    this.queue = new QueueWithDeadLetter(this, 'Queue', {
      queueId: 'Work',
      // One value for the redrive policy and the worker's BULK_MAX_RECEIVE_COUNT (bulkEnvironment).
      maxReceiveCount: settings.maxReceiveCount,
      visibilityTimeout: consumerVisibilityTimeout(WORKER_TIMEOUT, WORKER_BATCHING_WINDOW),
      outputPrefix: 'Bulk',
      descriptions: { queue: 'SQS queue of bulk items', deadLetterQueue: 'Dead-letter queue of bulk items' },
    });
    this.rateEnvironment = {
      ...rateLimitEnvironment(settings.rateLimit),
      RATE_TABLE: this.tables.rate.tableName,
    };
    this.environment = {
      ...bulkEnvironment(settings),
      BULK_JOBS_TABLE: this.tables.jobs.tableName,
      RATE_TABLE: this.tables.rate.tableName,
      BULK_QUEUE_URL: this.queue.queue.queueUrl,
    };
    this.worker = new BulkWorker(this, 'Worker', {
      queue: this.queue.queue,
      tables: this.tables,
      workspacesSecret: props.workspacesSecret,
      environment: { ...props.baseEnvironment, ...this.environment },
      maxConcurrency: settings.maxConcurrency,
      logRetentionDays: props.logRetentionDays,
    });
  }

  /**
   * What the `bulk` HTTP function needs: records jobs (every write is an UpdateItem; items are
   * counted and jobs listed with a Query on the table, a page of listed jobs read with one
   * BatchGetItem, failures paged with a Query on the index), reads
   * the governor's state and window for estimates (GetItem) and a job's windows for its throughput
   * (Query), enqueues items.
   */
  grantApi(fn: IFunction): void {
    const { tables } = this;
    tables.grant(fn, tables.jobs, ['GetItem', 'BatchGetItem', 'UpdateItem']);
    tables.grant(fn, tables.jobs, ['Query'], { index: true });
    tables.grant(fn, tables.rate, ['GetItem', 'Query']);
    // SendMessageBatch is authorized as sqs:SendMessage.
    this.queue.queue.grant(fn, 'sqs:SendMessage');
  }

  /**
   * What a worker that submits workspace jobs needs (the automation worker, for for-each rules): the
   * job writes of `grantApi` (conditional UpdateItems, GetItem), the work queue, and the scroll lock's
   * PutItem on the rate table for the scrolls it enumerates.
   */
  grantWorkspaceJobs(fn: IFunction): void {
    const { tables } = this;
    tables.grant(fn, tables.jobs, ['GetItem', 'UpdateItem']);
    tables.grant(fn, tables.rate, ['PutItem']);
    this.queue.queue.grant(fn, 'sqs:SendMessage');
  }

  /** What another worker needs to spend the same rate budget. */
  grantRateGovernor(fn: IFunction): void {
    this.tables.grant(fn, this.tables.rate, RATE_GOVERNOR_ACTIONS);
  }
}
