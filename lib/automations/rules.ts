/**
 * Loading and validating the rules file. Every problem is collected (not just the first) and the file
 * is rejected as a whole: a bad rule fails the stack's start and `cdk synth`, never a 3 a.m. webhook.
 */
import { readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { findOperation, LIST_CONTROLS } from '../catalog/index.ts';
import { expandTopic, isTopicPattern, TOPICS, type Topic } from '../intercom/webhook-topics.ts';
import * as generatedValidators from '../validation/generated/index.ts';
import {
  normalizeInput,
  type ValidationIssue,
  type ValidatorMap,
  validateInput,
} from '../validation/validate.ts';
import { type PathCheck, readCondition } from './conditions.ts';
import { MAX_FILE_BYTES, parseDocument, type RulesFormat } from './document.ts';
import { forEachRecordScope, readForEach } from './for-each-rules.ts';
import { DEFAULT_RUN_CAP } from './loop-guard.ts';
import { NOTIFICATION_ROOTS, type PathProblem, pathProblem } from './paths.ts';
import { describe, isObject, pointer, type Report, rejectUnknownKeys } from './reader.ts';
import { SAMPLES } from './samples.ts';
import { didYouMean } from './suggest.ts';
import { type Expression, hasTemplate, parseTemplate, renderTree, TemplateError } from './templates.ts';
import { readRuleWorkspace, readTrigger, type TriggerScope } from './triggers.ts';
import type { Action, Condition, Json, Rule, RuleIssue, RuleSet, RuleTrigger, RunCap } from './types.ts';

const validators: ValidatorMap = generatedValidators;

export const RULE_NAME = /^[a-z0-9_-]{1,64}$/;
export const LIMITS = { rules: 200, topics: 30, conditions: 20, actions: 10 } as const;
const DOCUMENT_KEYS = ['version', 'rules'];
const RULE_KEYS = [
  'name',
  'topics',
  'when',
  'actions',
  'ignoreBotAuthors',
  'maxRunsPerObject',
  'on',
  'workspace',
  'forEach',
];
const ACTION_KEYS = ['operation', 'params', 'continueOnError'];
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export class RuleValidationError extends Error {
  override name = 'RuleValidationError';
  readonly source: string;
  readonly issues: readonly RuleIssue[];

  constructor(source: string, issues: readonly RuleIssue[]) {
    const lines = issues.map(
      (i) => `  - ${i.path || '(file)'}${i.rule === null ? '' : ` (rule "${i.rule}")`}: ${i.message}`,
    );
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    super(`Invalid automation rules in ${source} (${count}):\n${lines.join('\n')}`);
    this.source = source;
    this.issues = issues;
  }
}

function topicList(topics: readonly Topic[]): string {
  return topics.length === 1 ? `topic ${topics[0]}` : `topics ${topics.join(', ')}`;
}

/** Reports a path once per distinct problem, naming the topics whose samples show it. */
function checkAgainstSamples(
  topics: readonly Topic[],
  report: Report,
): (at: string, segments: readonly string[]) => void {
  return (at, segments) => {
    const grouped = new Map<string, { problem: PathProblem; topics: Topic[] }>();
    for (const topic of topics) {
      const problem = pathProblem(SAMPLES[topic], segments);
      if (!problem) continue;
      const key = problem.kind === 'missing' ? `missing:${problem.suggestion ?? ''}` : problem.message;
      const entry = grouped.get(key) ?? { problem, topics: [] };
      entry.topics.push(topic);
      grouped.set(key, entry);
    }
    for (const { problem, topics: where } of grouped.values()) {
      if (problem.kind === 'shape') report(at, `${problem.message} (${topicList(where)})`);
      else {
        const hint = problem.suggestion === undefined ? '' : `; did you mean "${problem.suggestion}"?`;
        report(at, `"${segments.join('.')}" is not in notifications of ${topicList(where)}${hint}`);
      }
    }
  };
}

/**
 * The topics the entries name. Entries in error are reported and left out, so the rest of the rule
 * is still checked against the valid ones; undefined when the list itself is unusable.
 */
function readTopics(raw: unknown, at: string, report: Report): Topic[] | undefined {
  if (!Array.isArray(raw) || raw.length === 0 || raw.length > LIMITS.topics) {
    report(at, `must be a list of 1 to ${LIMITS.topics} topics, e.g. ["user.created"]`);
    return undefined;
  }
  const topics = new Set<Topic>();
  const seen = new Map<unknown, number>();
  for (const [i, entry] of raw.entries()) {
    const where = pointer(at, i);
    if (typeof entry !== 'string') {
      report(where, `must be a topic name, not ${describe(entry)}`);
      continue;
    }
    if (seen.has(entry)) {
      report(where, `repeats ${pointer(at, seen.get(entry)!)}`);
      continue;
    }
    seen.set(entry, i);
    const expanded = expandTopic(entry);
    if (expanded.length > 0) {
      for (const topic of expanded) topics.add(topic);
      continue;
    }
    if (entry === '*') {
      report(
        where,
        'a rule names its topics: "*" would feed it every item shape; use a prefix such as "user.*"',
      );
    } else if (entry === 'ping') {
      report(where, 'ping notifications only test the subscription and never run rules');
    } else if (isTopicPattern(entry)) {
      report(where, `"${entry}" matches no Intercom 1.x topic`);
    } else {
      report(where, `unknown topic "${entry}"${didYouMean(entry, TOPICS)}`);
    }
  }
  return topics.size > 0 ? [...topics] : undefined;
}

function readRunCap(raw: unknown, at: string, report: Report): RunCap | undefined {
  if (raw === undefined) return { ...DEFAULT_RUN_CAP };
  if (!isObject(raw)) {
    report(at, `must be an object {count, windowSeconds}, not ${describe(raw)}`);
    return undefined;
  }
  let ok = true;
  rejectUnknownKeys(raw, ['count', 'windowSeconds'], at, (path, message) => {
    ok = false;
    report(path, message);
  });
  const integer = (key: 'count' | 'windowSeconds', max: number) => {
    const value = raw[key];
    if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= max) return value;
    report(pointer(at, key), `must be an integer from 1 to ${max}`);
    ok = false;
    return 0;
  };
  const count = integer('count', 1000);
  const windowSeconds = integer('windowSeconds', 86_400);
  return ok ? { count, windowSeconds } : undefined;
}

interface TemplateString {
  at: string;
  text: string;
}

/** Every string of the parameters (with its pointer); object keys are checked on the way. */
function stringsOf(value: Json, at: string, report: Report, out: TemplateString[]): void {
  if (typeof value === 'string') out.push({ at, text: value });
  else if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) stringsOf(v, pointer(at, i), report, out);
  } else if (isObject(value)) {
    for (const [key, v] of Object.entries(value)) {
      if (FORBIDDEN_KEYS.has(key)) report(pointer(at, key), 'is not allowed as a field name');
      else if (hasTemplate(key)) report(pointer(at, key), 'is a field name: templates only work in values');
      stringsOf(v as Json, pointer(at, key), report, out);
    }
  }
}

function hasDefault(expression: Expression): boolean {
  return expression.filters.some((f) => f.name === 'default');
}

/** Template syntax, filters and paths (against the topics' samples); `used` when there is any template. */
function checkTemplates(
  strings: readonly TemplateString[],
  topics: readonly Topic[] | undefined,
  report: Report,
  scope?: TriggerScope,
): { used: boolean; problems: number } {
  let problems = 0;
  const counted: Report = (path, message) => {
    problems++;
    report(path, message);
  };
  const checkPath = scope
    ? (at: string, segments: readonly string[]) => scope.checkPath(at, segments)
    : topics
      ? checkAgainstSamples(topics, counted)
      : undefined;
  let used = false;
  for (const { at, text } of strings) {
    if (!hasTemplate(text)) continue;
    used = true;
    const parsed = scope ? parseTemplate(text, scope.roots) : parseTemplate(text);
    for (const error of parsed.errors) counted(at, error);
    for (const piece of parsed.pieces) {
      // A default says the value may be missing: only paths used without one must exist.
      if (typeof piece !== 'string' && checkPath && !hasDefault(piece)) checkPath(at, piece.segments);
    }
  }
  return { used, problems };
}

function readAction(
  raw: unknown,
  at: string,
  report: Report,
  topics: readonly Topic[] | undefined,
  scope?: TriggerScope,
): Action | undefined {
  if (!isObject(raw)) {
    report(at, `must be an object {operation, params}, not ${describe(raw)}`);
    return undefined;
  }
  let problems = 0;
  const counted: Report = (path, message) => {
    problems++;
    report(path, message);
  };
  rejectUnknownKeys(raw, ACTION_KEYS, at, counted);
  const { operation: name, params: rawParams = {}, continueOnError = false } = raw;
  let op: ReturnType<typeof findOperation>;
  if (typeof name !== 'string')
    counted(pointer(at, 'operation'), 'must be the name of an operation, e.g. "create_tag"');
  else {
    op = findOperation(name);
    if (!op) {
      const names = Object.keys(validators);
      counted(pointer(at, 'operation'), `unknown operation "${name}"${didYouMean(name, names)}`);
    }
  }
  if (typeof continueOnError !== 'boolean') counted(pointer(at, 'continueOnError'), 'must be true or false');
  const paramsAt = pointer(at, 'params');
  if (!isObject(rawParams)) {
    counted(paramsAt, `must be an object of the operation's parameters, not ${describe(rawParams)}`);
    return undefined;
  }
  const params = rawParams as { [key: string]: Json };
  for (const control of Object.keys(LIST_CONTROLS)) {
    if (Object.hasOwn(params, control) && op?.resultsKeys) {
      counted(
        pointer(paramsAt, control),
        'is a list control (resultsPath, limit, next): rule actions do not page',
      );
    }
  }
  const strings: TemplateString[] = [];
  stringsOf(params, paramsAt, counted, strings);
  const templates = checkTemplates(strings, topics, counted, scope);
  // Unusable templates would only add schema errors about their empty renderings.
  if (templates.problems > 0 || !op || (!topics && !scope)) return undefined;
  const validator = validators[op.name]!;
  const usesDollarBody = Object.hasOwn(params, '$body') && !Object.hasOwn(params, 'body');
  const toFile = (issuePath: string) => {
    const inParams = issuePath === '/' ? '' : issuePath;
    return paramsAt + (usesDollarBody ? inParams.replace(/^\/body(?=\/|$)/, '/$body') : inParams);
  };
  if (scope) {
    const templated = strings.filter((s) => hasTemplate(s.text)).map((s) => s.at);
    for (const issue of triggerActionIssues(scope, params, op.name, templated, toFile))
      counted(issue.path, issue.message);
    if (problems > 0) return undefined;
    return { operation: op.name, params, continueOnError: continueOnError as boolean };
  }
  if (!topics) return undefined;
  const found = new Map<string, { path: string; message: string; topics: Topic[] }>();
  for (const topic of templates.used ? topics : topics.slice(0, 1)) {
    let issues: ValidationIssue[];
    try {
      const rendered = renderTree(params, SAMPLES[topic], '') as Record<string, unknown>;
      issues = validateInput(validator, normalizeInput(rendered));
    } catch (error) {
      // A filter given a value it does not take (`domain` of a list): the sample shows it now.
      if (!(error instanceof TemplateError)) throw error;
      issues = [{ path: error.at ?? '/', message: error.problem }];
    }
    for (const issue of issues) {
      const key = `${issue.path}\u0000${issue.message}`;
      const entry = found.get(key) ?? { path: toFile(issue.path), message: issue.message, topics: [] };
      entry.topics.push(topic);
      found.set(key, entry);
    }
  }
  const templatedAt = strings.filter((s) => hasTemplate(s.text)).map((s) => s.at);
  for (const { path, message, topics: where } of found.values()) {
    // Name the samples when the problem depends on them: some topics only, or a templated value.
    const dependsOnSample =
      where.length < topics.length || templatedAt.some((at) => at === path || at.startsWith(`${path}/`));
    counted(
      path,
      dependsOnSample ? `${message} (once templated with the sample of ${topicList(where)})` : message,
    );
  }
  if (problems > 0) return undefined;
  return { operation: op.name, params, continueOnError: continueOnError as boolean };
}

/**
 * The schema problems of an event or scheduled rule's action. A firing is known exactly (its time and
 * rule), so its parameters are checked once templated with one; an event's fields are its sender's,
 * so its parameters are checked with every template left empty, and only problems away from the
 * templated values count.
 */
function triggerActionIssues(
  scope: TriggerScope,
  params: { [key: string]: Json },
  operation: string,
  templatedAt: readonly string[],
  toFile: (issuePath: string) => string,
): Array<{ path: string; message: string }> {
  const validator = validators[operation]!;
  let issues: ValidationIssue[];
  try {
    const rendered = renderTree(params, scope.sample ?? {}, '') as Record<string, unknown>;
    issues = validateInput(validator, normalizeInput(rendered));
  } catch (error) {
    if (!(error instanceof TemplateError)) throw error;
    issues = [{ path: error.at ?? '/', message: error.problem }];
  }
  const templated = (path: string) => templatedAt.some((at) => at === path || at.startsWith(`${path}/`));
  const underTemplate = (path: string) => templatedAt.some((at) => path === at || path.startsWith(`${at}/`));
  return issues.flatMap(({ path, message }) => {
    const where = toFile(path);
    if (scope.sample === undefined) {
      // An empty rendering may fail a type, a pattern or a choice of shapes above it; a missing field does not.
      const blank = underTemplate(where) || (templated(where) && !message.startsWith('must have required'));
      return blank ? [] : [{ path: where, message }];
    }
    return [
      {
        path: where,
        message: templated(where)
          ? `${message} (once templated with ${scope.sampleName ?? 'a scheduled firing'})`
          : message,
      },
    ];
  });
}

function readRule(
  raw: unknown,
  at: string,
  issues: RuleIssue[],
  names: Map<string, string>,
): Rule | undefined {
  const ruleName =
    isObject(raw) && typeof raw.name === 'string' && RULE_NAME.test(raw.name) ? raw.name : null;
  let problems = 0;
  const report: Report = (path, message) => {
    problems++;
    issues.push({ rule: ruleName, path, message });
  };
  if (!isObject(raw)) {
    report(at, `must be an object {name, topics, when?, actions}, not ${describe(raw)}`);
    return undefined;
  }
  rejectUnknownKeys(raw, RULE_KEYS, at, report);
  if (typeof raw.name !== 'string' || !RULE_NAME.test(raw.name)) {
    report(pointer(at, 'name'), 'must be 1 to 64 characters: lower-case letters, digits, "_" and "-"');
  } else if (names.has(raw.name)) {
    report(pointer(at, 'name'), `"${raw.name}" is already the name of ${names.get(raw.name)}`);
  } else names.set(raw.name, at);

  // A rule has topics (Intercom webhooks) or `on` (an EventBridge event, a schedule).
  let topics: Topic[] | undefined;
  let trigger: RuleTrigger | undefined;
  let scope: TriggerScope | undefined;
  if (raw.on === undefined) topics = readTopics(raw.topics, pointer(at, 'topics'), report);
  else {
    if (raw.topics !== undefined) {
      report(
        pointer(at, 'topics'),
        'a rule has topics (Intercom webhooks) or on (EventBridge events, schedules), not both',
      );
    }
    ({ trigger, scope } = readTrigger(raw.on, pointer(at, 'on'), report, ruleName));
  }
  const workspace = readRuleWorkspace(raw.workspace, pointer(at, 'workspace'), report, raw.on !== undefined);
  const checkPath: PathCheck = scope
    ? scope.checkPath
    : topics
      ? checkAgainstSamples(topics, report)
      : () => {};

  const when: Condition[] = [];
  if (raw.when !== undefined) {
    if (!Array.isArray(raw.when) || raw.when.length > LIMITS.conditions) {
      report(pointer(at, 'when'), `must be a list of at most ${LIMITS.conditions} conditions`);
    } else {
      for (const [i, entry] of raw.when.entries()) {
        const condition = readCondition(
          entry,
          pointer(pointer(at, 'when'), i),
          report,
          checkPath,
          scope === undefined ? undefined : scope.roots,
        );
        if (condition) when.push(condition);
      }
    }
  }

  // A for-each rule enumerates first (its input templated on the trigger); its one action then
  // renders against each record as `item`, beside the trigger's fields.
  const forEach =
    raw.forEach === undefined
      ? undefined
      : readForEach(raw.forEach, pointer(at, 'forEach'), report, (spec, specAt) =>
          readAction(spec, specAt, report, topics, scope),
        );
  const actionScope = forEach
    ? forEachRecordScope(forEach.operation, report, {
        roots: scope ? scope.roots : NOTIFICATION_ROOTS,
        checkPath: checkPath,
        sample: scope ? scope.sample : topics?.length ? SAMPLES[topics[0]!] : undefined,
      })
    : scope;

  const actions: Action[] = [];
  if (!Array.isArray(raw.actions) || raw.actions.length === 0 || raw.actions.length > LIMITS.actions) {
    report(pointer(at, 'actions'), `must be a list of 1 to ${LIMITS.actions} actions`);
  } else if (raw.forEach !== undefined && !forEach) {
    // Its action renders against records of the enumeration: checked once the forEach is valid.
  } else if (raw.forEach !== undefined && raw.actions.length !== 1) {
    report(
      pointer(at, 'actions'),
      'a for-each rule has exactly one action: the operation its bulk job runs for each match',
    );
  } else {
    for (const [i, entry] of raw.actions.entries()) {
      const action = readAction(entry, pointer(pointer(at, 'actions'), i), report, topics, actionScope);
      if (action) actions.push(action);
    }
  }

  const { ignoreBotAuthors = true } = raw;
  if (typeof ignoreBotAuthors !== 'boolean') report(pointer(at, 'ignoreBotAuthors'), 'must be true or false');
  const maxRunsPerObject = readRunCap(raw.maxRunsPerObject, pointer(at, 'maxRunsPerObject'), report);

  if (problems > 0 || !(topics || trigger) || !maxRunsPerObject || ruleName === null) return undefined;
  return {
    name: ruleName,
    topics: topics ?? [],
    ...(trigger ? { trigger } : {}),
    ...(workspace ? { workspace } : {}),
    when,
    actions,
    ignoreBotAuthors: ignoreBotAuthors as boolean,
    maxRunsPerObject,
    ...(forEach ? { forEach } : {}),
  };
}

/** The validated rules of a document; throws RuleValidationError listing every problem. */
export function parseRules(text: string, format: RulesFormat, source: string): RuleSet {
  const issues: RuleIssue[] = [];
  const documentReport: Report = (path, message) => issues.push({ rule: null, path, message });
  const document = parseDocument(text, format, documentReport);
  if (issues.length > 0) throw new RuleValidationError(source, issues);
  if (document === undefined) return { source, rules: [] };
  if (!isObject(document)) {
    throw new RuleValidationError(source, [
      { rule: null, path: '', message: `must be an object with a "rules" list, not ${describe(document)}` },
    ]);
  }
  rejectUnknownKeys(document, DOCUMENT_KEYS, '', documentReport);
  if (document.version !== undefined && document.version !== 1) documentReport('/version', 'must be 1');
  const rules: Rule[] = [];
  if (!Array.isArray(document.rules)) {
    documentReport(
      '/rules',
      document.rules === undefined ? 'is required (a list of rules)' : 'must be a list of rules',
    );
  } else if (document.rules.length > LIMITS.rules) {
    documentReport('/rules', `has more than ${LIMITS.rules} rules`);
  } else {
    const names = new Map<string, string>();
    for (const [i, raw] of document.rules.entries()) {
      const rule = readRule(raw, pointer('/rules', i), issues, names);
      if (rule) rules.push(rule);
    }
  }
  if (issues.length > 0) throw new RuleValidationError(source, issues);
  return { source, rules };
}

export function formatOf(path: string): RulesFormat | undefined {
  const extension = extname(path).toLowerCase();
  if (extension === '.json') return 'json';
  if (extension === '.yaml' || extension === '.yml') return 'yaml';
  return undefined;
}

/** Reads and validates a rules file; the format comes from the extension (.json, .yaml, .yml). */
export function loadRulesFile(path: string): RuleSet {
  const fail = (message: string) => new RuleValidationError(path, [{ rule: null, path: '', message }]);
  const format = formatOf(path);
  if (!format) throw fail('must be a .json, .yaml or .yml file');
  let text: string;
  try {
    if (statSync(path).size > MAX_FILE_BYTES) throw fail(`is larger than ${MAX_FILE_BYTES} bytes`);
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof RuleValidationError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw fail(`cannot be read (${code ?? (error as Error).message})`);
  }
  return parseRules(text, format, path);
}
