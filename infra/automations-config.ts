/** Webhook automation settings from CDK context; the functions get them as environment (lib/webhooks/settings.ts). */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Node } from 'constructs';
import { loadRulesFile, type Rule } from '../lib/automations/index.ts';
import { numberFrom, textFrom } from './context.ts';

/** Without `-c automationsFile=...`: the project's `automations.yaml`, if it has one. */
export const DEFAULT_RULES_FILE = fileURLToPath(new URL('../automations.yaml', import.meta.url));

export interface AutomationsDeploymentSettings {
  /**
   * The rules file shipped with the worker, validated here so that a bad rule fails `cdk synth`
   * rather than a notification; absent, the worker ships no rules and only records notifications.
   */
  rulesFile?: string;
  /** Rules in `rulesFile`. */
  ruleCount: number;
  /**
   * Rules that enumerate (`forEach`): only then does the worker get the bulk path's table and queue,
   * and the scroll lock (least privilege).
   */
  forEachRuleCount: number;
  /**
   * The event and scheduled rules (`on:`): an EventBridge rule per event rule on the bus, a Scheduler
   * schedule per scheduled rule, both invoking the trigger intake. None: none of those resources.
   */
  triggerRules: readonly Rule[];
  /**
   * `-c automationsEventBusName=<name or ARN>`: the event rules go on this existing bus (`default`, or
   * one your applications already send to); absent, the stack creates `intercom-actions-<stage>`.
   */
  eventBusName?: string;
  /** Admins whose own writes never trigger a rule (the admin the automations act as). */
  botAdminIds: string[];
  /**
   * The FIFO queue's redrive `maxReceiveCount`, and the worker's `AUTOMATIONS_MAX_RECEIVE_COUNT`: on
   * the last receive the worker records the run before SQS dead-letters it, so the two must agree.
   * Rate-budget delays are receives too.
   */
  maxReceiveCount: number;
  /**
   * The event source mapping's `maxConcurrency` (AWS: 2-1000). FIFO keeps each object's order
   * whatever this is; it caps how many message groups run at once. A burst spanning thousands of
   * objects (a bulk job's tags coming back as notifications) would otherwise take up to one concurrent
   * execution per group, from the account's pool the API shares, only to wait on the rate budget that
   * one batch (~50 Intercom calls/s) already exceeds at the default 1,000/min.
   */
  maxConcurrency: number;
  /** Days notification records and the run log are kept (DynamoDB TTL). */
  retentionDays: number;
  /** Alarm when the oldest queued notification is older than this. */
  queueAgeAlarmMinutes: number;
}

function adminIds(node: Node): string[] {
  const raw = node.tryGetContext('automationsBotAdminIds');
  if (raw === undefined || raw === null || raw === '') return [];
  // A list in cdk.json, a comma list on the command line.
  const ids = (Array.isArray(raw) ? raw.map(String) : String(raw).split(','))
    .map((id) => id.trim())
    .filter(Boolean);
  const bad = ids.filter((id) => !/^[0-9]{1,20}$/.test(id));
  if (bad.length > 0)
    throw new Error(
      `context "automationsBotAdminIds" must be Intercom admin ids (digits): ${bad.join(', ')}`,
    );
  return ids;
}

/** Throws RuleValidationError, listing every problem of the rules file, to fail the synth with it. */
export function automationsDeploymentSettings(
  node: Node,
  defaultRulesFile = DEFAULT_RULES_FILE,
): AutomationsDeploymentSettings {
  const given = textFrom(node, 'automationsFile');
  // A named file must exist (loadRulesFile says so); the default one is optional.
  const rulesFile = given ? resolve(given) : existsSync(defaultRulesFile) ? defaultRulesFile : undefined;
  const rules = rulesFile ? loadRulesFile(rulesFile).rules : [];
  const eventBusName = textFrom(node, 'automationsEventBusName');
  if (
    eventBusName !== undefined &&
    !/^([\w.\-/]{1,256}|arn:aws[\w-]*:events:[\w-]+:\d{12}:event-bus\/[\w.\-/]{1,256})$/.test(eventBusName)
  )
    throw new Error(`context "automationsEventBusName" must be an event bus name or ARN: ${eventBusName}`);
  const settings: AutomationsDeploymentSettings = {
    ruleCount: rules.length,
    forEachRuleCount: rules.filter((rule) => rule.forEach).length,
    triggerRules: rules.filter((rule) => rule.trigger !== undefined),
    botAdminIds: adminIds(node),
    maxReceiveCount: numberFrom(node, 'automationsMaxReceiveCount', 10, 5, 1000),
    maxConcurrency: numberFrom(node, 'automationsMaxConcurrency', 2, 2, 1000),
    retentionDays: numberFrom(node, 'automationsRetentionDays', 30, 1, 365),
    queueAgeAlarmMinutes: numberFrom(node, 'automationsQueueAgeAlarmMinutes', 15, 1, 24 * 60),
  };
  if (rulesFile) settings.rulesFile = rulesFile;
  if (eventBusName) settings.eventBusName = eventBusName;
  return settings;
}
