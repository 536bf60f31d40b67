/**
 * The EventBridge and Scheduler half of the local stack: the local bus (PutEvents on EVENTS_PORT) and
 * the scheduled rules' timers, both handing their events and firings to the same intake handler the
 * deployed EventBridge rules and schedules invoke (functions/trigger-intake.ts).
 */
import type { Context } from 'aws-lambda';
import { loadRulesFile, RuleValidationError } from '../automations/index.ts';
import { unknownWorkspaceIssues } from '../automations/triggers.ts';
import type { EventPattern, RuleSet } from '../automations/types.ts';
import { loadConfig } from '../config/load.ts';
import { lambdaContext } from './apigw.ts';
import { type LocalEventBus, startLocalEventBus } from './eventbridge.ts';
import { type Clock, type LocalSchedules, startLocalSchedules } from './schedules.ts';

export interface LocalTriggersOptions {
  /** EVENTS_PORT (4011); 0 picks a free one. */
  port: number;
  /** The schedules' clock (tests move it on). */
  clock?: Clock;
  onEvent?: Parameters<typeof startLocalEventBus>[0]['onEvent'];
  onTiming?: Parameters<typeof startLocalEventBus>[0]['onTiming'];
}

export interface LocalTriggers {
  bus: LocalEventBus;
  schedules: LocalSchedules;
  /** Hands an event to the intake as the bus's rule would (tests: a redelivery of the same event). */
  deliver(event: Record<string, unknown>): Promise<unknown>;
  close(): Promise<void>;
}

/** Deployed, the stack's own bus is `intercom-actions-<stage>`; locally the dev stage's, unless EVENT_BUS_NAME says. */
export const LOCAL_EVENT_BUS = 'intercom-actions-dev';

type IntakeHandler = (payload: unknown, context: Context) => Promise<unknown>;

export async function startLocalTriggers(
  env: NodeJS.ProcessEnv,
  options: LocalTriggersOptions,
): Promise<LocalTriggers> {
  const rulesFile = env.AUTOMATIONS_FILE;
  const rules: RuleSet = rulesFile ? loadRulesFile(rulesFile) : { source: 'none', rules: [] };
  // The rules file cannot know the workspaces; the local configuration does.
  const config = await loadConfig(env, { requireApiKeys: false });
  const issues = unknownWorkspaceIssues(rules, config.workspaces.keys());
  if (issues.length > 0) throw new RuleValidationError(rules.source, issues);
  const { handler } = (await import('../../functions/trigger-intake.ts')) as { handler: IntakeHandler };
  const invoke = (payload: unknown) =>
    handler(payload, lambdaContext('intercom-actions-trigger-intake', 10_000));
  const patterns: EventPattern[] = rules.rules.flatMap((r) =>
    r.trigger?.kind === 'eventbridge' ? [r.trigger.pattern] : [],
  );
  const bus = await startLocalEventBus({
    port: options.port,
    busName: env.EVENT_BUS_NAME || LOCAL_EVENT_BUS,
    region: env.AWS_REGION || 'us-east-1',
    account: '000000000000',
    patterns,
    deliver: invoke,
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    ...(options.onTiming ? { onTiming: options.onTiming } : {}),
  });
  const schedules = startLocalSchedules({
    rules,
    deliver: invoke,
    ...(options.clock ? { clock: options.clock } : {}),
  });
  return {
    bus,
    schedules,
    deliver: invoke,
    async close() {
      await schedules.stop();
      await bus.close();
    },
  };
}
