import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration } from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { QueueWorker, type QueueWorkerInputs } from './queue-worker.ts';

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

export interface AutomationsWorkerProps extends QueueWorkerInputs {
  table: Table;
  /** Validated at synth (automations-config.ts); absent, no rules. */
  rulesFile: string | undefined;
  ruleCount: number;
}

/** The FIFO-fed worker that runs the rules on each notification; not behind the API. */
export class AutomationsWorker extends QueueWorker {
  constructor(scope: Construct, id: string, props: AutomationsWorkerProps) {
    const rulesName = bundledRulesName(props.rulesFile);
    super(scope, id, {
      entry: new URL('../../functions/automations-worker.ts', import.meta.url).pathname,
      description: `intercom-actions automation worker: ${props.ruleCount} rule(s) on Intercom notifications`,
      // Relative to Lambda's working directory, the bundle root.
      environment: { ...props.environment, AUTOMATIONS_FILE: rulesName },
      workspacesSecret: props.workspacesSecret,
      timeout: AUTOMATIONS_WORKER_TIMEOUT,
      logRetentionDays: props.logRetentionDays,
      bundledFiles: { [rulesName]: props.rulesFile ?? NO_RULES_FILE },
      tables: [{ table: props.table, actions: ['GetItem', 'PutItem', 'UpdateItem', 'Query'] }],
      queue: props.queue,
      // No batching window: FIFO event sources take none.
      batchSize: AUTOMATIONS_WORKER_BATCH_SIZE,
      maxConcurrency: props.maxConcurrency,
    });
  }
}
