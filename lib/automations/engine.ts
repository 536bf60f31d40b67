/** What the automation worker asks of the rules for each notification. */
import { normalizeInput } from '../validation/validate.ts';
import { conditionHolds } from './conditions.ts';
import { isOwnWrite } from './loop-guard.ts';
import { renderTree } from './templates.ts';
import type { Action, Notification, Rule, RuleSet } from './types.ts';

/** The rules for the notification's topic whose conditions all hold, in file order. */
export function matchingRules(ruleSet: RuleSet, notification: Notification): Rule[] {
  return ruleSet.rules.filter(
    (rule) =>
      (rule.topics as readonly string[]).includes(notification.topic) &&
      rule.when.every((condition) => conditionHolds(condition, notification)),
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
  const input = renderTree(action.params, notification, '/params') as Record<string, unknown>;
  return { operation: action.operation, input: normalizeInput(input) };
}

export interface RuleEngine {
  readonly ruleSet: RuleSet;
  match(notification: Notification): Rule[];
  render(action: Action, notification: Notification): { operation: string; input: Record<string, unknown> };
  isOwnWrite(notification: Notification): boolean;
}

/** The rules bound to the bot's admin ids: the shape the automation worker takes. */
export function createRuleEngine(ruleSet: RuleSet, options: { botAdminIds: readonly string[] }): RuleEngine {
  const botAdminIds = [...options.botAdminIds];
  return {
    ruleSet,
    match: (notification) => matchingRules(ruleSet, notification),
    render: (action, notification) => renderAction(action, notification),
    isOwnWrite: (notification) => isOwnWrite(notification, botAdminIds),
  };
}
