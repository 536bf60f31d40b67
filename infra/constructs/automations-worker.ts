import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { EventSourceMapping } from 'aws-cdk-lib/aws-lambda';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { grantTable } from './data-table.ts';
import { ServiceFunction } from './function.ts';

/** 60 s, as the bulk worker: an Intercom call gets up to 20 s, after a wait for the rate budget. */
export const AUTOMATIONS_WORKER_TIMEOUT = Duration.seconds(60);
/** SQS's default batch: the worker runs a batch's message groups in parallel, each group in order. */
export const AUTOMATIONS_WORKER_BATCH_SIZE = 10;

/** The empty rules document shipped when the stack has no rules file: every notification is only logged. */
export const NO_RULES_FILE = fileURLToPath(new URL('../no-automations.json', import.meta.url));

/** Where the rules are in the bundle: the reader takes the format from the extension. */
export function bundledRulesName(rulesFile: string | undefined): string {
  return `automations${rulesFile ? extname(rulesFile).toLowerCase() : '.json'}`;
}

export interface AutomationsWorkerProps {
  queue: Queue;
  table: Table;
  /** The Intercom tokens; the worker never reads the API keys. */
  workspacesSecret: ISecret;
  /** Validated at synth (automations-config.ts); absent, no rules. */
  rulesFile: string | undefined;
  ruleCount: number;
  environment: Record<string, string>;
  maxConcurrency: number;
  logRetentionDays: number;
}

/** The FIFO-fed worker that runs the rules on each notification; not behind the API. */
export class AutomationsWorker extends Construct {
  readonly service: ServiceFunction;
  readonly mapping: EventSourceMapping;

  constructor(scope: Construct, id: string, props: AutomationsWorkerProps) {
    super(scope, id);
    const { queue, table } = props;
    const rulesName = bundledRulesName(props.rulesFile);
    this.service = new ServiceFunction(this, 'Function', {
      entry: new URL('../../functions/automations-worker.ts', import.meta.url).pathname,
      description: `intercom-actions automation worker: ${props.ruleCount} rule(s) on Intercom notifications`,
      environment: {
        ...props.environment,
        // Relative to Lambda's working directory, the bundle root.
        AUTOMATIONS_FILE: rulesName,
        WORKSPACES_SECRET_ARN: props.workspacesSecret.secretArn,
      },
      secrets: [props.workspacesSecret],
      timeout: AUTOMATIONS_WORKER_TIMEOUT,
      logRetentionDays: props.logRetentionDays,
      bundledFiles: { [rulesName]: props.rulesFile ?? NO_RULES_FILE },
    });
    const fn = this.service.fn;
    grantTable(fn, table, ['GetItem', 'PutItem', 'UpdateItem', 'Query']);
    // ChangeMessageVisibility is the worker's own retry delay (rate budget, busy notification).
    queue.grant(
      fn,
      'sqs:ReceiveMessage',
      'sqs:DeleteMessage',
      'sqs:ChangeMessageVisibility',
      'sqs:GetQueueAttributes',
    );
    // No batching window: FIFO event sources take none.
    this.mapping = new EventSourceMapping(this, 'Source', {
      target: fn,
      eventSourceArn: queue.queueArn,
      batchSize: AUTOMATIONS_WORKER_BATCH_SIZE,
      maxConcurrency: props.maxConcurrency,
      reportBatchItemFailures: true,
    });
  }
}
