import { describe, expect, it } from '@jest/globals';
import { App, Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { FUNCTION_NAMES, routeKey, routes } from '../../lib/http/routes.ts';
import { synth } from './synth-stack.ts';

const { app, stack, template, resources, ofType, logicalId: idOf, statementsOf } = synth();
const logicalId = (name: string) => idOf(stack.functions[name as 'users'].fn);
const workerId = idOf(stack.bulk.worker.service.fn);

describe('the CDK app', () => {
  it('routes every entry of the routing table to its function, with one explicit route each', () => {
    const integrationTarget = new Map<string, string>();
    for (const [id, integration] of ofType('AWS::ApiGatewayV2::Integration')) {
      integrationTarget.set(id, integration.Properties.IntegrationUri['Fn::GetAtt'][0]);
    }
    const routeTargets = new Map<string, string>();
    for (const [, route] of ofType('AWS::ApiGatewayV2::Route')) {
      const integrationId = route.Properties.Target['Fn::Join'][1][1].Ref;
      routeTargets.set(route.Properties.RouteKey, integrationTarget.get(integrationId)!);
    }
    expect(routeTargets.size).toBe(routes.length + 1);
    for (const route of routes)
      expect([routeKey(route), routeTargets.get(routeKey(route))]).toEqual([
        routeKey(route),
        logicalId(route.target),
      ]);
    expect(routeTargets.get('GET /bulk/jobs/{jobId}/failures')).toBe(logicalId('bulk'));
    expect(routeTargets.get('$default')).toBe(logicalId('meta'));
    // The worker is fed by the queue only.
    expect([...routeTargets.values()]).not.toContain(workerId);
  });

  it('runs every function on nodejs24.x, arm64, with its own log group', () => {
    const functions = ofType('AWS::Lambda::Function').filter(
      ([, f]) => f.Properties.Handler === 'index.handler',
    );
    // The API's functions and the bulk worker.
    expect(functions).toHaveLength(FUNCTION_NAMES.length + 1);
    for (const [id, fn] of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        MemorySize: 512,
        Timeout: id === workerId ? 60 : 29,
      });
      expect(fn.Properties.LoggingConfig.LogGroup).toBeDefined();
      expect(fn.Properties.Layers).toHaveLength(1);
    }
    // One per function, and the API's access logs.
    template.resourceCountIs('AWS::Logs::LogGroup', functions.length + 1);
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
      const callsIntercom = name !== 'meta' && name !== 'bulk';
      expect([name, env.WORKSPACES_SECRET_ARN !== undefined]).toEqual([name, callsIntercom]);
      expect([name, JSON.stringify(statementsOf(logicalId(name))).includes(workspacesSecret)]).toEqual([
        name,
        callsIntercom,
      ]);
    }
  });

  it('grants no wildcard IAM actions or resources', () => {
    for (const [id, policy] of ofType('AWS::IAM::Policy')) {
      for (const statement of policy.Properties.PolicyDocument.Statement) {
        for (const action of [statement.Action].flat()) expect(`${id}: ${action}`).not.toMatch(/\*/);
        for (const resource of [statement.Resource].flat())
          expect(JSON.stringify(resource)).not.toMatch(/\*/);
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

  it('alarms on 5xx rate, Intercom 429s, errors and throttles per function, and bulk, into one topic', () => {
    const bulkAlarms = 4;
    template.resourceCountIs('AWS::CloudWatch::Alarm', 2 + 2 * FUNCTION_NAMES.length + bulkAlarms);
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

  it('outputs the API URL, the bulk queues and tables', () => {
    for (const output of [
      'ApiUrl',
      'BulkQueueUrl',
      'BulkDeadLetterQueueUrl',
      'BulkJobsTableName',
      'RateTableName',
    ])
      template.hasOutput(output, {});
  });
});
