import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { FUNCTION_NAMES, type FunctionName } from '../lib/http/routes.ts';
import type { DeploymentSettings } from './config.ts';
import { Alarms } from './constructs/alarms.ts';
import { BulkJobs } from './constructs/bulk.ts';
import { BulkAlarms } from './constructs/bulk-alarms.ts';
import { ServiceFunction } from './constructs/function.ts';
import { ActionHttpApi } from './constructs/http-api.ts';
import { ConfigSecrets } from './constructs/secrets.ts';
import { acknowledgeNagFindings } from './nag.ts';

export const METRICS_NAMESPACE = 'IntercomActions';
export const SERVICE_NAME = 'intercom-actions';

const DESCRIPTIONS: Partial<Record<FunctionName, string>> = {
  bulk: 'intercom-actions bulk jobs: takes, reports and retries them',
  meta: 'intercom-actions health, OpenAPI and unknown routes',
};

/** What `npm start` runs locally, on AWS: the action API, its functions, bulk jobs, secrets and alarms. */
export class IntercomActionsStack extends Stack {
  readonly functions: Record<FunctionName, ServiceFunction>;
  readonly secrets: ConfigSecrets;
  readonly bulk: BulkJobs;

  constructor(scope: Construct, id: string, settings: DeploymentSettings, props: StackProps = {}) {
    super(scope, id, {
      description: `intercom-actions (${settings.stage}): Intercom 1.x actions on AWS`,
      ...props,
    });
    this.secrets = new ConfigSecrets(this, 'Secrets', { stage: settings.stage });
    const base = {
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      POWERTOOLS_LOG_LEVEL: settings.logLevel,
      INTERCOM_VERSION: settings.apiVersion,
    };
    this.bulk = new BulkJobs(this, 'Bulk', {
      settings: settings.bulk,
      retainData: settings.retainData,
      baseEnvironment: base,
      workspacesSecret: this.secrets.workspaces,
      logRetentionDays: settings.logRetentionDays,
    });
    const shared = { ...base, API_KEYS_SECRET_ARN: this.secrets.apiKeys.secretArn };
    const functions = {} as Record<FunctionName, ServiceFunction>;
    for (const name of FUNCTION_NAMES) {
      // `meta` and `bulk` authenticate but never call Intercom: they cannot read the tokens.
      const callsIntercom = name !== 'meta' && name !== 'bulk';
      functions[name] = new ServiceFunction(this, `${name}Function`, {
        entry: new URL(`../functions/${name}.ts`, import.meta.url).pathname,
        description: DESCRIPTIONS[name] ?? `intercom-actions ${name} operations`,
        environment: {
          ...shared,
          ...(callsIntercom ? { WORKSPACES_SECRET_ARN: this.secrets.workspaces.secretArn } : {}),
          ...(name === 'bulk' ? this.bulk.environment : {}),
        },
        secrets: callsIntercom ? [this.secrets.workspaces, this.secrets.apiKeys] : [this.secrets.apiKeys],
        logRetentionDays: settings.logRetentionDays,
      });
    }
    this.functions = functions;
    this.bulk.grantApi(functions.bulk.fn);
    const fns = Object.fromEntries(Object.entries(functions).map(([name, f]) => [name, f.fn])) as Record<
      FunctionName,
      ServiceFunction['fn']
    >;
    const http = new ActionHttpApi(this, 'Http', { functions: fns, settings });
    const alarms = new Alarms(this, 'Alarms', {
      stage: settings.stage,
      api: http.api,
      functions: fns,
      metricsNamespace: METRICS_NAMESPACE,
      serviceName: SERVICE_NAME,
      ...(settings.alarmEmail ? { alarmEmail: settings.alarmEmail } : {}),
    });
    new BulkAlarms(this, 'BulkAlarms', {
      alarms,
      queue: this.bulk.queue.queue,
      deadLetterQueue: this.bulk.queue.deadLetterQueue,
      worker: this.bulk.worker.service.fn,
      queueAgeAlarmMinutes: settings.bulk.queueAgeAlarmMinutes,
      metricsNamespace: METRICS_NAMESPACE,
      serviceName: SERVICE_NAME,
    });
    acknowledgeNagFindings(this);
  }
}
