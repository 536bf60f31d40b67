/**
 * Webhook automations as a pure library: rules read from a JSON or YAML file, validated against the
 * operation catalog and sample notifications, matched and rendered per notification. No AWS here.
 */

export { expandTopic, isTopic, TOPICS, type Topic } from '../intercom/webhook-topics.ts';
export { conditionHolds, isWithinHours, localTime } from './conditions.ts';
export type { RulesFormat } from './document.ts';
export { createRuleEngine, matchingRules, type RuleEngine, renderAction } from './engine.ts';
export { authorOf, DEFAULT_RUN_CAP, isOwnWrite } from './loop-guard.ts';
export { formatOf, LIMITS, loadRulesFile, parseRules, RuleValidationError } from './rules.ts';
export { SAMPLES, sampleNotification } from './samples.ts';
export { FILTERS, parseTemplate, renderString, renderTree, TemplateError } from './templates.ts';
export type * from './types.ts';
export { WEEKDAYS } from './types.ts';
