import { describe, expect, it } from '@jest/globals';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { deploymentSettings } from '../../infra/config.ts';
import { IntercomActionsStack } from '../../infra/stack.ts';
import { operations } from '../../lib/catalog/index.ts';
import { FUNCTION_NAMES } from '../../lib/http/routes.ts';

function synth(context: Record<string, unknown> = {}) {
  // Bundling is skipped here (it runs for real in synth.test.ts).
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });
  const stack = new IntercomActionsStack(app, 'Test', deploymentSettings(app.node));
  return { app, stack, template: Template.fromStack(stack) };
}

const { app, stack, template } = synth();
type Resources = Record<string, { Type: string; Properties: Record<string, any> }>;
const resources = template.toJSON().Resources as Resources;
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const logicalId = (name: string) =>
  stack.getLogicalId(stack.functions[name as 'users'].fn.node.defaultChild as never);

describe('the CDK app', () => {
  it('routes every operation to its group function, with one explicit route each', () => {
    const integrationTarget = new Map<string, string>();
    for (const [id, integration] of ofType('AWS::ApiGatewayV2::Integration')) {
      integrationTarget.set(id, integration.Properties.IntegrationUri['Fn::GetAtt'][0]);
    }
    const routeTargets = new Map<string, string>();
    for (const [, route] of ofType('AWS::ApiGatewayV2::Route')) {
      const integrationId = route.Properties.Target['Fn::Join'][1][1].Ref;
      routeTargets.set(route.Properties.RouteKey, integrationTarget.get(integrationId)!);
    }
    expect(routeTargets.size).toBe(57 + 2 + 1);
    for (const op of operations)
      expect(routeTargets.get(`POST /actions/${op.name}`)).toBe(logicalId(op.group));
    expect(routeTargets.get('GET /health')).toBe(logicalId('meta'));
    expect(routeTargets.get('GET /openapi.json')).toBe(logicalId('meta'));
    expect(routeTargets.get('$default')).toBe(logicalId('meta'));
  });

  it('runs every function on nodejs24.x, arm64, with its own log group', () => {
    const functions = ofType('AWS::Lambda::Function').filter(
      ([, f]) => f.Properties.Handler === 'index.handler',
    );
    expect(functions).toHaveLength(FUNCTION_NAMES.length);
    for (const [, fn] of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        MemorySize: 512,
        Timeout: 29,
      });
      expect(fn.Properties.LoggingConfig.LogGroup).toBeDefined();
      expect(fn.Properties.Layers).toHaveLength(1);
    }
    template.resourceCountIs('AWS::Logs::LogGroup', FUNCTION_NAMES.length + 1);
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('keeps secret values out of the template and the environment; functions read only the secrets they need', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 2);
    for (const [, secret] of ofType('AWS::SecretsManager::Secret'))
      expect(secret.Properties.SecretString).toBeUndefined();
    const workspacesSecret = stack.getLogicalId(stack.secrets.workspaces.node.defaultChild as never);
    for (const name of FUNCTION_NAMES) {
      const env = resources[logicalId(name)]!.Properties.Environment.Variables;
      for (const value of Object.values(env)) expect(JSON.stringify(value)).not.toMatch(/accessToken|sha256/);
      expect(env.API_KEYS_SECRET_ARN).toBeDefined();
      expect(env.WORKSPACES_SECRET_ARN === undefined).toBe(name === 'meta');
    }
    const metaRole = resources[logicalId('meta')]!.Properties.Role['Fn::GetAtt'][0];
    const metaPolicies = ofType('AWS::IAM::Policy').filter(([, p]) =>
      p.Properties.Roles.some((r: { Ref: string }) => r.Ref === metaRole),
    );
    expect(JSON.stringify(metaPolicies)).not.toContain(workspacesSecret);
  });

  it('grants no wildcard IAM actions or resources', () => {
    for (const [id, policy] of ofType('AWS::IAM::Policy')) {
      for (const statement of policy.Properties.PolicyDocument.Statement) {
        for (const action of [statement.Action].flat()) expect(`${id}: ${action}`).not.toMatch(/\*/);
        for (const resource of [statement.Resource].flat()) expect(resource).not.toBe('*');
      }
    }
    for (const [, role] of ofType('AWS::IAM::Role'))
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('throttles and logs the API stage; CORS only when origins are configured', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', { CorsConfiguration: Match.absent() });
    const withCors = synth({ allowedOrigins: 'https://app.example.com' }).template;
    withCors.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: { AllowOrigins: ['https://app.example.com'] },
    });
  });

  it('alarms on 5xx rate, Intercom 429s, and errors and throttles per function, into one topic', () => {
    template.resourceCountIs('AWS::CloudWatch::Alarm', 2 + 2 * FUNCTION_NAMES.length);
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'IntercomRateLimited',
      Namespace: 'IntercomActions',
    });
    for (const [, alarm] of ofType('AWS::CloudWatch::Alarm'))
      expect(alarm.Properties.AlarmActions).toHaveLength(1);
    synth({ alarmEmail: 'ops@example.com' }).template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
  });

  it('is clean under cdk-nag AwsSolutions, each acknowledged finding carrying a reason', () => {
    const report = new AwsSolutionsChecks(app).validateScope(stack);
    expect(report.violations).toEqual([]);
    const bare = new Stack(new App(), 'Bare');
    expect(new AwsSolutionsChecks().validateScope(bare).success).toBe(true);
  });

  it('rejects bad context values', () => {
    expect(() => synth({ stage: 'Prod!' })).toThrow('context "stage"');
    expect(() => synth({ apiVersion: '2.0' })).toThrow('context "apiVersion"');
    expect(() => synth({ logLevel: 'LOUD' })).toThrow('context "logLevel"');
  });

  it('outputs the API URL', () => {
    template.hasOutput('ApiUrl', {});
  });
});
