/**
 * Active X-Ray tracing on every function, with the least IAM that needs: the two X-Ray actions Lambda
 * sends traces with, on "*" (X-Ray has no resource-level permissions for them), and the cdk-nag
 * finding that "*" raises acknowledged on the functions' roles only.
 */
import { describe, expect, it } from '@jest/globals';
import { App, Stack } from 'aws-cdk-lib';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ServiceFunction } from '../../infra/constructs/function.ts';
import { FUNCTION_NAMES } from '../../lib/http/routes.ts';
import { synth } from './synth-stack.ts';

const { ofType, statementsOf } = synth();
const XRAY_STATEMENT = {
  Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'],
  Effect: 'Allow',
  Resource: '*',
};

describe('tracing', () => {
  const functions = ofType('AWS::Lambda::Function').filter(
    ([, f]) => f.Properties.Handler === 'index.handler',
  );

  it('is active on every function: the API functions and the three workers', () => {
    expect(functions).toHaveLength(FUNCTION_NAMES.length + 3);
    for (const [id, fn] of functions)
      expect([id, fn.Properties.TracingConfig]).toEqual([id, { Mode: 'Active' }]);
  });

  it('lets each function send traces and nothing more of X-Ray, with no managed policy', () => {
    for (const [id] of functions) {
      const xray = statementsOf(id).filter((s) => [s.Action].flat().some((a) => a.startsWith('xray:')));
      expect([id, xray]).toEqual([id, [XRAY_STATEMENT]]);
    }
    for (const [, role] of ofType('AWS::IAM::Role'))
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it("acknowledges the X-Ray statement's wildcard resource on the functions' roles only", () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Scoped');
    new ServiceFunction(stack, 'Traced', {
      entry: new URL('../../functions/meta.ts', import.meta.url).pathname,
      description: 'traced',
      environment: {},
      secrets: [],
      logRetentionDays: 30,
    });
    const other = new Role(stack, 'Other', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    other.addToPolicy(
      new PolicyStatement({ effect: Effect.ALLOW, actions: ['xray:PutTraceSegments'], resources: ['*'] }),
    );
    const report = new AwsSolutionsChecks().validateScope(stack);
    const wildcard = report.violations.filter((v) => v.ruleName === 'AwsSolutions-IAM5[Resource::*]');
    expect(wildcard.flatMap((v) => v.violatingResources.map((r) => r.constructPath))).toEqual([
      'Scoped/Other/DefaultPolicy/Resource',
    ]);
  });
});
