import { CfnOutput, type Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { FUNCTION_NAMES, type FunctionName, routes } from '../lib/http/routes.ts';
import type { DeploymentSettings } from './config.ts';
import { Alarms } from './constructs/alarms.ts';
import { WEBHOOK_TIMEOUT, WebhookAutomations } from './constructs/automations.ts';
import { AutomationsAlarms } from './constructs/automations-alarms.ts';
import { bundledRulesName, NO_RULES_FILE } from './constructs/automations-worker.ts';
import { BulkJobs } from './constructs/bulk.ts';
import { BulkAlarms } from './constructs/bulk-alarms.ts';
import { EventTriggers } from './constructs/events.ts';
import { EventTriggersAlarms } from './constructs/events-alarms.ts';
import { ExportJobs } from './constructs/exports.ts';
import { ServiceFunction } from './constructs/function.ts';
import { ActionHttpApi } from './constructs/http-api.ts';
import { RuleSchedules } from './constructs/schedules.ts';
import { ConfigSecrets } from './constructs/secrets.ts';
import { acknowledgeNagFindings } from './nag.ts';

export const METRICS_NAMESPACE = 'IntercomActions';
export const SERVICE_NAME = 'intercom-actions';

const DESCRIPTIONS: Partial<Record<FunctionName, string>> = {
  bulk: 'intercom-actions bulk jobs: takes, reports and retries them',
  webhooks: 'intercom-actions webhook intake: verifies and queues Intercom notifications',
  automations: 'intercom-actions automation run log; fires scheduled rules',
  meta: 'intercom-actions health, OpenAPI and unknown routes',
  exports: 'intercom-actions export jobs: takes and reports them, presigns downloads',
};

type SecretName = 'apiKeys' | 'workspaces' | 'webhookSecrets';

/** The environment variable that holds each secret's ARN. */
const SECRET_ENVIRONMENT = {
  apiKeys: 'API_KEYS_SECRET_ARN',
  workspaces: 'WORKSPACES_SECRET_ARN',
  webhookSecrets: 'WEBHOOK_SECRETS_SECRET_ARN',
} as const satisfies Record<SecretName, string>;

/** The secrets an API function reads; the operation groups call Intercom and read the keys and tokens. */
function functionSecrets(name: FunctionName, settings: DeploymentSettings): readonly SecretName[] {
  switch (name) {
    // Authenticate callers but never call Intercom.
    case 'meta':
    case 'bulk':
    case 'automations':
    case 'exports':
      return ['apiKeys'];
    // Intercom signs instead of sending an API key: the webhook secrets and app ids, never our keys or
    // the tokens (but while a deployment from before the webhook secrets secret migrates).
    case 'webhooks':
      return settings.legacyWebhookSecrets ? ['webhookSecrets', 'workspaces'] : ['webhookSecrets'];
    default:
      return ['apiKeys', 'workspaces'];
  }
}

const TIMEOUTS: Partial<Record<FunctionName, Duration>> = { webhooks: WEBHOOK_TIMEOUT };

/** The route Intercom delivers to: the one the `webhooks` function serves. */
const WEBHOOK_PATH = routes.find((route) => route.target === 'webhooks')!.path;

/** What `npm start` runs locally, on AWS: the action API, its functions, bulk jobs, automations, secrets and alarms. */
export class IntercomActionsStack extends Stack {
  readonly functions: Record<FunctionName, ServiceFunction>;
  readonly secrets: ConfigSecrets;
  readonly bulk: BulkJobs;
  readonly automations: WebhookAutomations;
  readonly exports: ExportJobs;
  /** Present when the rules file has event or scheduled rules. */
  readonly triggers: { events: EventTriggers; schedules: RuleSchedules } | undefined;

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
      // Keys that name no workspace belong to this one, also in functions that cannot read the workspaces secret.
      DEFAULT_WORKSPACE: settings.defaultWorkspace,
    };
    this.bulk = new BulkJobs(this, 'Bulk', {
      settings: settings.bulk,
      retainData: settings.retainData,
      baseEnvironment: base,
      workspacesSecret: this.secrets.workspaces,
      logRetentionDays: settings.logRetentionDays,
    });
    this.automations = new WebhookAutomations(this, 'Automations', {
      stage: settings.stage,
      settings: settings.automations,
      retainData: settings.retainData,
      baseEnvironment: base,
      workspacesSecret: this.secrets.workspaces,
      bulk: this.bulk,
      logRetentionDays: settings.logRetentionDays,
    });
    this.exports = new ExportJobs(this, 'Exports', {
      bulk: this.bulk,
      retainData: settings.retainData,
      baseEnvironment: base,
      workspacesSecret: this.secrets.workspaces,
      logRetentionDays: settings.logRetentionDays,
    });
    // Firing a scheduled rule (POST /automations/rules/{name}/fire) needs the rules and the queue.
    const fires = settings.automations.triggerRules.some((rule) => rule.trigger?.kind === 'schedule');
    const rulesName = bundledRulesName(settings.automations.rulesFile);
    const extraEnvironment: Partial<Record<FunctionName, Record<string, string>>> = {
      bulk: this.bulk.environment,
      webhooks: this.automations.intakeEnvironment,
      automations: fires
        ? { ...this.automations.intakeEnvironment, AUTOMATIONS_FILE: rulesName }
        : this.automations.runLogEnvironment,
      exports: this.exports.environment,
    };
    const bundledFiles: Partial<Record<FunctionName, Record<string, string>>> = fires
      ? { automations: { [rulesName]: settings.automations.rulesFile ?? NO_RULES_FILE } }
      : {};
    const functions = {} as Record<FunctionName, ServiceFunction>;
    for (const name of FUNCTION_NAMES) {
      const reads = functionSecrets(name, settings);
      const timeout = TIMEOUTS[name];
      functions[name] = new ServiceFunction(this, `${name}Function`, {
        entry: new URL(`../functions/${name}.ts`, import.meta.url).pathname,
        description: DESCRIPTIONS[name] ?? `intercom-actions ${name} operations`,
        environment: {
          ...base,
          ...Object.fromEntries(
            reads.map((secret) => [SECRET_ENVIRONMENT[secret], this.secrets[secret].secretArn]),
          ),
          ...extraEnvironment[name],
        },
        secrets: reads.map((secret) => this.secrets[secret]),
        ...(timeout ? { timeout } : {}),
        ...(bundledFiles[name] ? { bundledFiles: bundledFiles[name] } : {}),
        logRetentionDays: settings.logRetentionDays,
      });
    }
    this.functions = functions;
    this.bulk.grantApi(functions.bulk.fn);
    this.automations.grantIntake(functions.webhooks.fn);
    this.automations.grantRunLog(functions.automations.fn);
    if (fires) this.automations.grantIntake(functions.automations.fn);
    if (settings.automations.triggerRules.length > 0) {
      const events = new EventTriggers(this, 'Triggers', {
        stage: settings.stage,
        settings: settings.automations,
        automations: this.automations,
        baseEnvironment: base,
        logRetentionDays: settings.logRetentionDays,
      });
      const schedules = new RuleSchedules(this, 'Schedules', {
        stage: settings.stage,
        rules: settings.automations.triggerRules,
        intake: events.intake.fn,
      });
      this.triggers = { events, schedules };
    } else this.triggers = undefined;
    this.exports.grantApi(functions.exports.fn, this.bulk);
    const fns = Object.fromEntries(Object.entries(functions).map(([name, f]) => [name, f.fn])) as Record<
      FunctionName,
      ServiceFunction['fn']
    >;
    const http = new ActionHttpApi(this, 'Http', { functions: fns, settings });
    new CfnOutput(this, 'WebhookUrl', {
      // The $default stage's URL ends with a slash.
      value: `${http.stage.url}${WEBHOOK_PATH.slice(1)}`,
      description: "Intercom webhook endpoint: paste it into your Developer Hub app's Webhooks page",
    });
    // After every grant: the table alarms watch the operations granted on each table.
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
      tables: { jobs: this.bulk.tables.jobs, rate: this.bulk.tables.rate },
    });
    new AutomationsAlarms(this, 'AutomationsAlarms', {
      alarms,
      queue: this.automations.queue.queue,
      deadLetterQueue: this.automations.queue.deadLetterQueue,
      worker: this.automations.worker.service.fn,
      queueAgeAlarmMinutes: settings.automations.queueAgeAlarmMinutes,
      table: this.automations.table,
    });
    this.exports.alarms({ alarms, queueAgeAlarmMinutes: settings.bulk.queueAgeAlarmMinutes });
    if (this.triggers)
      new EventTriggersAlarms(this, 'TriggersAlarms', {
        alarms,
        triggers: this.triggers.events,
        schedules: this.triggers.schedules,
      });
    acknowledgeNagFindings(this);
  }
}
