import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { AUTOMATIONS_TABLE } from '../../lib/automations/table.ts';
import type { AutomationsDeploymentSettings } from '../automations-config.ts';
import { AUTOMATIONS_WORKER_TIMEOUT, AutomationsWorker } from './automations-worker.ts';
import type { BulkJobs } from './bulk.ts';
import { dataTable, grantTable } from './data-table.ts';
import { QueueWithDeadLetter } from './queue-with-dead-letter.ts';
import { consumerVisibilityTimeout } from './queue-worker.ts';

/**
 * 10 s for the webhook intake: it verifies a signature, reads one item, sends one message and writes
 * one item, well under a second even cold. Failing fast returns a 5xx Intercom retries, rather than
 * holding its delivery for API Gateway's 29 s.
 */
export const WEBHOOK_TIMEOUT = Duration.seconds(10);

export interface WebhookAutomationsProps {
  stage: string;
  settings: AutomationsDeploymentSettings;
  retainData: boolean;
  /** Powertools and Intercom settings every function gets; no secret ARNs. */
  baseEnvironment: Record<string, string>;
  workspacesSecret: ISecret;
  /** Automations spend the workspace's rate budget with bulk jobs: the same governor table and settings. */
  bulk: BulkJobs;
  logRetentionDays: number;
}

/**
 * Webhook automations: the automations table, the FIFO queue and the worker it feeds. The `webhooks`
 * (intake) and `automations` (run log) HTTP functions are the API's; they get `intakeEnvironment` and
 * `grantIntake`, `runLogEnvironment` and `grantRunLog`.
 */
export class WebhookAutomations extends Construct {
  readonly table: Table;
  readonly queue: QueueWithDeadLetter;
  readonly worker: AutomationsWorker;
  readonly intakeEnvironment: Record<string, string>;
  readonly runLogEnvironment: Record<string, string>;

  constructor(scope: Construct, id: string, props: WebhookAutomationsProps) {
    super(scope, id);
    const { settings } = props;
    this.table = dataTable(this, AUTOMATIONS_TABLE, props.retainData);
    // FIFO, and so its dead-letter queue (a FIFO queue can only dead-letter to one): one message group
    // per Intercom object keeps its notifications in order. The intake sets the deduplication id (the
    // notification id's hash): Intercom's redeliveries of one notification carry the same id, not
    // necessarily the same bytes.
    this.queue = new QueueWithDeadLetter(this, 'Queue', {
      queueId: 'Notifications',
      fifo: true,
      name: `intercom-actions-${props.stage}-automations`,
      // One value for the redrive policy and the worker's AUTOMATIONS_MAX_RECEIVE_COUNT.
      maxReceiveCount: settings.maxReceiveCount,
      // FIFO has no batching window.
      visibilityTimeout: consumerVisibilityTimeout(AUTOMATIONS_WORKER_TIMEOUT),
      outputPrefix: 'Automations',
      descriptions: {
        queue: 'SQS FIFO queue of verified Intercom notifications',
        deadLetterQueue: 'Dead-letter queue of Intercom notifications',
      },
    });
    this.runLogEnvironment = {
      AUTOMATIONS_TABLE: this.table.tableName,
      AUTOMATIONS_RETENTION_DAYS: String(settings.retentionDays),
    };
    // The intake writes the records' expiry too.
    this.intakeEnvironment = { ...this.runLogEnvironment, AUTOMATIONS_QUEUE_URL: this.queue.queue.queueUrl };
    this.worker = new AutomationsWorker(this, 'Worker', {
      queue: this.queue.queue,
      table: this.table,
      workspacesSecret: props.workspacesSecret,
      rulesFile: settings.rulesFile,
      ruleCount: settings.ruleCount,
      environment: {
        ...props.baseEnvironment,
        ...this.intakeEnvironment,
        ...props.bulk.rateEnvironment,
        // For-each rules hand their matches to the bulk path as jobs.
        ...(settings.forEachRuleCount > 0 ? props.bulk.environment : {}),
        AUTOMATIONS_MAX_RECEIVE_COUNT: String(settings.maxReceiveCount),
        ...(settings.botAdminIds.length > 0
          ? { AUTOMATIONS_BOT_ADMIN_IDS: settings.botAdminIds.join(',') }
          : {}),
      },
      maxConcurrency: settings.maxConcurrency,
      logRetentionDays: props.logRetentionDays,
    });
    props.bulk.grantRateGovernor(this.worker.service.fn);
    if (settings.forEachRuleCount > 0) props.bulk.grantWorkspaceJobs(this.worker.service.fn);
    new CfnOutput(Stack.of(this), 'AutomationsTableName', {
      value: this.table.tableName,
      description: 'DynamoDB table of Intercom notifications, automation runs and loop-guard counters',
    });
  }

  /** The webhook intake: de-duplicates (reads, marks received) and queues. */
  grantIntake(fn: IFunction): void {
    grantTable(fn, this.table, ['GetItem', 'UpdateItem']);
    this.queue.queue.grant(fn, 'sqs:SendMessage');
  }

  /** The run log API: one run by notification id, or a workspace's runs by day. */
  grantRunLog(fn: IFunction): void {
    grantTable(fn, this.table, ['GetItem', 'Query']);
  }
}
