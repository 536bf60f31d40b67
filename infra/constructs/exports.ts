import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type CfnBucket,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, type IConstruct } from 'constructs';
import { EXPORT_WORKER_TIMEOUT_SECONDS, EXPORT_WORKER_V8_OPTIONS } from '../../lib/exports/settings.ts';
import type { BulkJobs } from './bulk.ts';
import { RATE_GOVERNOR_ACTIONS } from './bulk-tables.ts';
import { QueueWithDeadLetter } from './queue-with-dead-letter.ts';
import { consumerVisibilityTimeout, QueueWorker } from './queue-worker.ts';
import { queueWorkerAlarms, type WatchedQueueWorker } from './queue-worker-alarms.ts';

/** 5 minutes: an invocation pages until 5 s before its end, then continues through the queue. */
export const EXPORT_WORKER_TIMEOUT = Duration.seconds(EXPORT_WORKER_TIMEOUT_SECONDS);
/** Export files and their id lists are deleted this long after they were written. */
export const EXPORT_FILE_DAYS = 7;

export interface ExportJobsProps {
  bulk: BulkJobs;
  retainData: boolean;
  baseEnvironment: Record<string, string>;
  workspacesSecret: ISecret;
  logRetentionDays: number;
}

/**
 * Export jobs: the bucket of export files (S3-managed encryption, TLS only, no public access,
 * lifecycle expiry of the files and of unfinished multipart uploads), the export queue with its
 * dead-letter queue, and the worker it feeds. Export records live in the bulk jobs table and the scroll
 * lock beside the rate governor's state. The `exports` HTTP function gets `environment` and `grantApi`.
 */
export class ExportJobs extends Construct {
  readonly bucket: Bucket;
  readonly queue: QueueWithDeadLetter;
  readonly worker: QueueWorker;
  readonly environment: Record<string, string>;

  constructor(scope: Construct, id: string, props: ExportJobsProps) {
    super(scope, id);
    const { bulk } = props;
    this.bucket = new Bucket(this, 'Files', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        {
          id: 'ExpireExports',
          prefix: 'exports/',
          expiration: Duration.days(EXPORT_FILE_DAYS),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: props.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    this.queue = new QueueWithDeadLetter(this, 'Queue', {
      queueId: 'Exports',
      maxReceiveCount: 20,
      visibilityTimeout: consumerVisibilityTimeout(EXPORT_WORKER_TIMEOUT),
      outputPrefix: 'Exports',
      descriptions: {
        queue: 'SQS queue of export continuations',
        deadLetterQueue: 'Dead-letter queue of export continuations',
      },
    });
    this.environment = {
      ...bulk.rateEnvironment,
      BULK_JOBS_TABLE: bulk.tables.jobs.tableName,
      EXPORTS_BUCKET: this.bucket.bucketName,
      EXPORTS_QUEUE_URL: this.queue.queue.queueUrl,
      EXPORT_RETENTION_DAYS: String(EXPORT_FILE_DAYS),
    };
    this.worker = new QueueWorker(this, 'Worker', {
      entry: new URL('../../functions/exports-worker.ts', import.meta.url).pathname,
      description: 'intercom-actions export worker: scrolls into a multipart S3 upload, continuing itself',
      environment: {
        ...props.baseEnvironment,
        ...this.environment,
        NODE_OPTIONS: `--enable-source-maps ${EXPORT_WORKER_V8_OPTIONS}`,
      },
      workspacesSecret: props.workspacesSecret,
      timeout: EXPORT_WORKER_TIMEOUT,
      logRetentionDays: props.logRetentionDays,
      tables: [
        // begin / save are conditional UpdateItems; GetItem reads the export.
        { table: bulk.tables.jobs, actions: ['GetItem', 'UpdateItem'] },
        // The governor's actions, and the scroll lock's PutItem (take, hand over; release is an UpdateItem).
        { table: bulk.tables.rate, actions: [...RATE_GOVERNOR_ACTIONS, 'PutItem'] },
      ],
      queue: this.queue.queue,
      // One export per invocation: each holds its workspace's scroll.
      batchSize: 1,
      maxConcurrency: 2,
    });
    const fn = this.worker.service.fn;
    // Multipart uploads (create, part, complete) are authorized as s3:PutObject; GetObject reads the
    // carry and the id lists back.
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload'],
        resources: [this.bucket.arnForObjects('exports/*')],
      }),
    );
    // Continuations are new messages.
    this.queue.queue.grant(fn, 'sqs:SendMessage');
    const validations = Validations.of(this);
    validations.acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Export files live at most a few days (lifecycle expiry) and are read only through presigned URLs the API hands to their owner; CloudTrail S3 data events, where wanted, audit object access better than server access logs, which would need a bucket of their own.',
    });
    this.#acknowledgePrefix(this);
  }

  /** The objects' keys are known only at run time: `exports/*` is the narrowest fixed resource. */
  #acknowledgePrefix(scope: IConstruct): void {
    Validations.of(scope).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.bucket.node.defaultChild as CfnBucket)}.Arn>/exports/*]`,
      reason:
        'Each export writes objects under exports/<workspace>/<export id>/, a key known only at run time; the exports/ prefix is the narrowest fixed resource, with exact actions.',
    });
  }

  /** What the `exports` HTTP function needs: create, read and list export records, queue them, presign downloads. */
  grantApi(fn: IFunction, bulk: BulkJobs): void {
    bulk.tables.grant(fn, bulk.tables.jobs, ['PutItem', 'GetItem', 'Query']);
    this.queue.queue.grant(fn, 'sqs:SendMessage');
    // A presigned GET carries the signer's permissions.
    fn.addToRolePolicy(
      new PolicyStatement({ actions: ['s3:GetObject'], resources: [this.bucket.arnForObjects('exports/*')] }),
    );
    // The role sits beside the function, in the construct that made both.
    this.#acknowledgePrefix(fn.node.scope ?? fn);
  }

  /** The worker's alarms (dead letters, a stuck queue, errors, throttles) on the stack's topic and dashboard. */
  alarms(props: Pick<WatchedQueueWorker, 'alarms' | 'queueAgeAlarmMinutes'>): void {
    const widgets = queueWorkerAlarms(this, {
      ...props,
      queue: this.queue.queue,
      deadLetterQueue: this.queue.deadLetterQueue,
      worker: this.worker.service.fn,
      descriptions: {
        deadLetters:
          'Exports: continuations in the dead-letter queue (an export stopped); inspect, then redrive',
        queueAge: `Exports: a continuation waited over ${props.queueAgeAlarmMinutes} minutes: the worker is stuck`,
        workerErrors: 'Export worker: invocation errors (an export continues after the visibility timeout)',
        workerThrottles: 'Export worker: Lambda throttled invocations (account concurrency exhausted)',
      },
      names: { queue: 'Export queue', deadLetterQueue: 'Export dead-letter queue', worker: 'Export worker' },
    });
    props.alarms.dashboard.addWidgets(widgets.queue, widgets.deadLetterQueue, widgets.worker);
  }
}
