/** Deployment settings, from CDK context (`-c stage=prod`, cdk.json) with sane defaults. */

import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { type AutomationsDeploymentSettings, automationsDeploymentSettings } from './automations-config.ts';
import { type BulkDeploymentSettings, bulkDeploymentSettings } from './bulk-config.ts';
import { booleanFrom, numberFrom, textFrom } from './context.ts';

/** CloudWatch Logs accepts only these retentions (days); anything else would fail the deploy. */
function logRetentionFrom(node: Node): number {
  const allowed = Object.values(RetentionDays).filter(
    (v): v is number => typeof v === 'number' && v !== RetentionDays.INFINITE,
  );
  const days = numberFrom(node, 'logRetentionDays', 30, 1, Math.max(...allowed));
  if (!allowed.includes(days))
    throw new Error(`context "logRetentionDays" must be one of ${allowed.join(', ')}: ${days}`);
  return days;
}

export interface DeploymentSettings {
  /** Names resources and the stack (`IntercomActions-<stage>`). */
  stage: string;
  /** Intercom API version for workspaces that do not set their own. */
  apiVersion: string;
  /** The workspaces document's `default`: where keys that name no workspace act. */
  defaultWorkspace: string;
  /** CORS origins; none (the default) disables CORS. */
  allowedOrigins: string[];
  logLevel: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /** Stage-wide API Gateway throttling. */
  throttle: { rateLimit: number; burstLimit: number };
  /** Optional email subscribed to the alarm topic. */
  alarmEmail?: string;
  /** CloudWatch Logs retention, days. */
  logRetentionDays: number;
  /** Keep the data tables when the stack is deleted or they are replaced: only for the `prod` stage. */
  retainData: boolean;
  /**
   * The webhooks function may also read the workspaces secret (tokens included), for webhook secrets
   * still kept there by a deployment from before the webhook secrets secret: only while migrating.
   */
  legacyWebhookSecrets: boolean;
  bulk: BulkDeploymentSettings;
  automations: AutomationsDeploymentSettings;
}

/** `defaults.rulesFile` is for tests, which must not pick up a developer's own `automations.yaml`. */
export function deploymentSettings(node: Node, defaults: { rulesFile?: string } = {}): DeploymentSettings {
  const stage = textFrom(node, 'stage') ?? 'dev';
  if (!/^[a-z][a-z0-9-]{0,20}$/.test(stage))
    throw new Error(`context "stage" must be lower-case letters, digits and dashes: ${stage}`);
  const apiVersion = textFrom(node, 'apiVersion') ?? '1.4';
  if (!['1.0', '1.1', '1.2', '1.3', '1.4'].includes(apiVersion))
    throw new Error(`context "apiVersion" must be 1.0-1.4: ${apiVersion}`);
  const defaultWorkspace = textFrom(node, 'defaultWorkspace') ?? 'default';
  if (!/^[\w.-]{1,64}$/.test(defaultWorkspace))
    throw new Error(
      `context "defaultWorkspace" must be a workspace name (letters, digits, . _ -): ${defaultWorkspace}`,
    );
  const logLevel = (textFrom(node, 'logLevel') ?? 'INFO').toUpperCase();
  if (!['DEBUG', 'INFO', 'WARN', 'ERROR'].includes(logLevel))
    throw new Error(`context "logLevel" must be DEBUG, INFO, WARN or ERROR`);
  const origins = textFrom(node, 'allowedOrigins');
  const settings: DeploymentSettings = {
    stage,
    apiVersion,
    allowedOrigins: origins
      ? origins
          .split(',')
          .map((o) => o.trim())
          .filter(Boolean)
      : [],
    logLevel: logLevel as DeploymentSettings['logLevel'],
    defaultWorkspace,
    throttle: {
      rateLimit: numberFrom(node, 'throttleRate', 100, 1, 100_000, false),
      burstLimit: numberFrom(node, 'throttleBurst', 200, 1, 100_000),
    },
    logRetentionDays: logRetentionFrom(node),
    retainData: stage === 'prod',
    legacyWebhookSecrets: booleanFrom(node, 'legacyWebhookSecrets', false),
    bulk: bulkDeploymentSettings(node),
    automations: automationsDeploymentSettings(node, defaults.rulesFile),
  };
  const email = textFrom(node, 'alarmEmail');
  if (email) settings.alarmEmail = email;
  return settings;
}
