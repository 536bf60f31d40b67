/** Synthesizes the stack without bundling (synth.test.ts bundles for real) and reads its template. */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { deploymentSettings } from '../../infra/config.ts';
import { IntercomActionsStack } from '../../infra/stack.ts';

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

export function synth(context: Record<string, unknown> = {}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });
  const stack = new IntercomActionsStack(app, 'Test', deploymentSettings(app.node));
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
  return { app, stack, template, resources, ofType, logicalId, statementsOf };
}
