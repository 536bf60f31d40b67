/** Deployment settings, from CDK context (`-c stage=prod`, cdk.json) with sane defaults. */
import type { Node } from 'constructs';
import { type BulkDeploymentSettings, bulkDeploymentSettings } from './bulk-config.ts';

export interface DeploymentSettings {
  /** Names resources and the stack (`IntercomActions-<stage>`). */
  stage: string;
  /** Intercom API version for workspaces that do not set their own. */
  apiVersion: string;
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
  bulk: BulkDeploymentSettings;
}

function text(node: Node, key: string): string | undefined {
  const value = node.tryGetContext(key);
  return value === undefined || value === null || value === '' ? undefined : String(value);
}

export function deploymentSettings(node: Node): DeploymentSettings {
  const stage = text(node, 'stage') ?? 'dev';
  if (!/^[a-z][a-z0-9-]{0,20}$/.test(stage))
    throw new Error(`context "stage" must be lower-case letters, digits and dashes: ${stage}`);
  const apiVersion = text(node, 'apiVersion') ?? '1.4';
  if (!['1.0', '1.1', '1.2', '1.3', '1.4'].includes(apiVersion))
    throw new Error(`context "apiVersion" must be 1.0-1.4: ${apiVersion}`);
  const logLevel = (text(node, 'logLevel') ?? 'INFO').toUpperCase();
  if (!['DEBUG', 'INFO', 'WARN', 'ERROR'].includes(logLevel))
    throw new Error(`context "logLevel" must be DEBUG, INFO, WARN or ERROR`);
  const origins = text(node, 'allowedOrigins');
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
    throttle: {
      rateLimit: Number(text(node, 'throttleRate') ?? 100),
      burstLimit: Number(text(node, 'throttleBurst') ?? 200),
    },
    logRetentionDays: Number(text(node, 'logRetentionDays') ?? 30),
    retainData: stage === 'prod',
    bulk: bulkDeploymentSettings(node),
  };
  const email = text(node, 'alarmEmail');
  if (email) settings.alarmEmail = email;
  return settings;
}
