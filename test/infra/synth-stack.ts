/** Synthesizes the stack without bundling (synth.test.ts bundles for real) and reads its template. */
import { readFileSync } from 'node:fs';
import { App, CloudFormationValidatePlugin, type IPolicyValidationContext, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { deploymentSettings } from '../../infra/config.ts';
import { IntercomActionsStack } from '../../infra/stack.ts';
import { SHARED_VALIDATION } from '../helpers/cdk-environment.ts';

export interface Resource {
  Type: string;
  Properties: Record<string, any>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}

export interface Statement {
  Action: string | string[];
  Resource: unknown;
  Effect: string;
}

/** Where no rules file is: the stack under test never picks up a developer's own `automations.yaml`. */
export const NO_DEFAULT_RULES = '/nonexistent/automations.yaml';

/** action -> the logical ids it is granted on (`<table>/index/<name>` for an index). */
export function grants(statements: Statement[]): Record<string, string[]> {
  const granted: Record<string, string[]> = {};
  const target = (resource: any): string =>
    resource['Fn::GetAtt']?.[0] ??
    resource.Ref ??
    resource['Fn::Join'][1].map((part: unknown) => (typeof part === 'string' ? part : target(part))).join('');
  for (const statement of statements) {
    for (const action of [statement.Action].flat()) {
      if (!/^(dynamodb|sqs):/.test(action)) continue;
      granted[action] = [...(granted[action] ?? []), ...[statement.Resource].flat().map(target)].sort();
    }
  }
  return granted;
}

/** A function's environment as the functions read it: every value a string (references as JSON). */
export function environmentAsText(environment: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(environment).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]),
  );
}

/** The context of `cdk.json` (the settings and feature flags `npx cdk synth|deploy` runs with). */
export const CDK_JSON_CONTEXT: Readonly<Record<string, unknown>> = JSON.parse(
  readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8'),
).context;

export type Synthesized = ReturnType<typeof synth>;

/**
 * aws-cdk-lib's CloudFormation validation with the engine of this jest worker (see
 * test/helpers/cdk-environment.ts): registered on the app it replaces the built-in instance and is
 * treated exactly like it (same rules, same engine, its errors failing the synth); only the engine is
 * shared instead of started again in every test file.
 */
class WorkerValidation extends CloudFormationValidatePlugin {
  readonly #shared: CloudFormationValidatePlugin;
  constructor(shared: CloudFormationValidatePlugin) {
    super();
    this.#shared = shared;
  }
  override get version() {
    return this.#shared.version;
  }
  override get ruleIds() {
    return this.#shared.ruleIds;
  }
  override validate(context: IPolicyValidationContext) {
    return this.#shared.validate(context);
  }
}

/** An app as `npx cdk synth` builds it from this context, validated with the worker's engine when there is one. */
export function testApp(context: Record<string, unknown>): App {
  const app = new App({ context });
  const shared = (globalThis as Record<string, unknown>)[SHARED_VALIDATION] as
    | (() => CloudFormationValidatePlugin)
    | undefined;
  if (shared) Validations.of(app).addPlugins(new WorkerValidation(shared()));
  return app;
}

/** `baseContext`: what `context` overrides; `cdk.json`'s, as the CDK CLI passes it to the app. */
export function synth(context: Record<string, unknown> = {}, baseContext = CDK_JSON_CONTEXT) {
  const app = testApp({ ...baseContext, 'aws:cdk:bundling-stacks': [], ...context });
  const settings = deploymentSettings(app.node, { rulesFile: NO_DEFAULT_RULES });
  const stack = new IntercomActionsStack(app, 'Test', settings);
  const template = Template.fromStack(stack);
  const resources = template.toJSON().Resources as Record<string, Resource>;
  const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
  const logicalId = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as never);
  /** The statements of every policy attached to the role of the function with this logical id. */
  const statementsOf = (functionId: string): Statement[] => {
    const role = resources[functionId]!.Properties.Role['Fn::GetAtt'][0];
    return ofType('AWS::IAM::Policy')
      .filter(([, p]) => p.Properties.Roles.some((r: { Ref: string }) => r.Ref === role))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[]);
  };
  /** The statements of every policy not attached to the roles of these functions. */
  const statementsOfOthers = (functionIds: readonly string[]): Statement[] => {
    const roles = functionIds.map((id) => resources[id]!.Properties.Role['Fn::GetAtt'][0]);
    return ofType('AWS::IAM::Policy')
      .filter(([, p]) => !p.Properties.Roles.some((r: { Ref: string }) => roles.includes(r.Ref)))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Statement[]);
  };
  const environmentOf = (functionId: string) =>
    resources[functionId]!.Properties.Environment.Variables as Record<string, unknown>;
  return {
    app,
    stack,
    template,
    resources,
    ofType,
    logicalId,
    statementsOf,
    statementsOfOthers,
    environmentOf,
  };
}
