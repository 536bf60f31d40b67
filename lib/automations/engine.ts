/** What the automation worker asks of the rules for each notification. */
import { normalizeInput } from '../validation/validate.ts';
import { conditionHolds } from './conditions.ts';
import { isOwnWrite } from './loop-guard.ts';
import { renderTree } from './templates.ts';
import { inputOf, triggers } from './triggers.ts';
import type { Action, Notification, Rule, RuleSet } from './types.ts';

/**
 * The rules the notification starts (its topic's; for an event, the rules whose pattern it matches;
 * for a firing, its rule) whose conditions all hold, in file order. With `workspace`, event and
 * scheduled rules only in the workspace they run in.
 */
export function matchingRules(
  ruleSet: RuleSet,
  notification: Notification,
  workspace?: { name: string; defaultName: string },
): Rule[] {
  const input = inputOf(notification);
  return ruleSet.rules.filter(
    (rule) =>
      triggers(rule, notification, workspace) &&
      rule.when.every((condition) => conditionHolds(condition, notification, input)),
  );
}

/**
 * The action's operation and input with every template rendered against the notification. Throws
 * TemplateError when a rendered string would be too long or a filter is given a value it does not
 * take; the input is validated by the caller (the number rule included).
 */
export function renderAction(
  action: Action,
  notification: Notification,
): { operation: string; input: Record<string, unknown> } {
  return renderActionOn(action, inputOf(notification));
}

/** The same, against any input: what a for-each rule's action sees for one record (the trigger's input and `item`). */
export function renderActionOn(
  action: Action,
  root: unknown,
): { operation: string; input: Record<string, unknown> } {
  const input = renderTree(action.params, root, '/params') as Record<string, unknown>;
  return { operation: action.operation, input: normalizeInput(input) };
}

export interface RuleEngine {
  readonly ruleSet: RuleSet;
  /** `workspace`: the notification's; event and scheduled rules run only in theirs. */
  match(notification: Notification, workspace?: string): Rule[];
  render(action: Action, notification: Notification): { operation: string; input: Record<string, unknown> };
  isOwnWrite(notification: Notification): boolean;
}

/** The rules bound to the bot's admin ids: the shape the automation worker takes. */
export function createRuleEngine(
  ruleSet: RuleSet,
  options: {
    botAdminIds: readonly string[];
    /** Where event and scheduled rules without a `workspace` run (read per notification: it may change). */
    defaultWorkspace?: () => string;
  },
): RuleEngine {
  const botAdminIds = [...options.botAdminIds];
  const defaultWorkspace = options.defaultWorkspace;
  return {
    ruleSet,
    match: (notification, workspace) =>
      matchingRules(
        ruleSet,
        notification,
        workspace !== undefined && defaultWorkspace
          ? { name: workspace, defaultName: defaultWorkspace() }
          : undefined,
      ),
    render: (action, notification) => renderAction(action, notification),
    isOwnWrite: (notification) => isOwnWrite(notification, botAdminIds),
  };
}
