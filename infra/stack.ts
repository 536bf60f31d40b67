import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { FUNCTION_NAMES, type FunctionName } from '../lib/http/routes.ts';
import type { DeploymentSettings } from './config.ts';
import { Alarms } from './constructs/alarms.ts';
import { ServiceFunction } from './constructs/function.ts';
import { ActionHttpApi } from './constructs/http-api.ts';
import { ConfigSecrets } from './constructs/secrets.ts';
import { acknowledgeNagFindings } from './nag.ts';

export const METRICS_NAMESPACE = 'IntercomActions';
export const SERVICE_NAME = 'intercom-actions';

/** What `npm start` runs locally, on AWS: the action API, its functions, secrets and alarms. */
export class IntercomActionsStack extends Stack {
  readonly functions: Record<FunctionName, ServiceFunction>;
  readonly secrets: ConfigSecrets;

  constructor(scope: Construct, id: string, settings: DeploymentSettings, props: StackProps = {}) {
    super(scope, id, {
      description: `intercom-actions (${settings.stage}): Intercom 1.x actions on AWS`,
      ...props,
    });
    this.secrets = new ConfigSecrets(this, 'Secrets', { stage: settings.stage });
    const shared = {
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      POWERTOOLS_LOG_LEVEL: settings.logLevel,
      INTERCOM_VERSION: settings.apiVersion,
      API_KEYS_SECRET_ARN: this.secrets.apiKeys.secretArn,
    };
    const functions = {} as Record<FunctionName, ServiceFunction>;
    for (const name of FUNCTION_NAMES) {
      const actions = name !== 'meta';
      functions[name] = new ServiceFunction(this, `${name}Function`, {
        entry: new URL(`../functions/${name}.ts`, import.meta.url).pathname,
        description: actions
          ? `intercom-actions ${name} operations`
          : 'intercom-actions health, OpenAPI and unknown routes',
        // The meta function authenticates but never calls Intercom: it cannot read the tokens.
        environment: actions
          ? { ...shared, WORKSPACES_SECRET_ARN: this.secrets.workspaces.secretArn }
          : shared,
        secrets: actions ? [this.secrets.workspaces, this.secrets.apiKeys] : [this.secrets.apiKeys],
        logRetentionDays: settings.logRetentionDays,
      });
    }
    this.functions = functions;
    const fns = Object.fromEntries(Object.entries(functions).map(([name, f]) => [name, f.fn])) as Record<
      FunctionName,
      ServiceFunction['fn']
    >;
    const http = new ActionHttpApi(this, 'Http', { functions: fns, settings });
    new Alarms(this, 'Alarms', {
      stage: settings.stage,
      api: http.api,
      functions: fns,
      metricsNamespace: METRICS_NAMESPACE,
      serviceName: SERVICE_NAME,
      ...(settings.alarmEmail ? { alarmEmail: settings.alarmEmail } : {}),
    });
    acknowledgeNagFindings(this);
  }
}
