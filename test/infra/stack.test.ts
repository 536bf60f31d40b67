import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { App, CfnResource, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { FUNCTION_NAMES, routeKey, routes } from '../../lib/http/routes.ts';
import { expectReadsOnly } from './secret-assertions.ts';
import { CDK_JSON_CONTEXT, synth, testApp } from './synth-stack.ts';

const synthesized = synth();
const { app, stack, template, resources, ofType, logicalId: idOf, statementsOf } = synthesized;
const logicalId = (name: string) => idOf(stack.functions[name as 'users'].fn);
const exportWorkerId = idOf(stack.exports.worker.service.fn);
const workerIds = [
  idOf(stack.bulk.worker.service.fn),
  idOf(stack.automations.worker.service.fn),
  exportWorkerId,
];
/** The export files' objects, the one wildcard resource (their keys are known only at run time). */
const exportObjects = JSON.stringify({
  'Fn::Join': ['', [{ 'Fn::GetAtt': [idOf(stack.exports.bucket), 'Arn'] }, '/exports/*']],
});

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
    expect(routeTargets.get('POST /webhooks/intercom')).toBe(logicalId('webhooks'));
    expect(routeTargets.get('GET /automations/runs/{notificationId}')).toBe(logicalId('automations'));
    expect(routeTargets.get('$default')).toBe(logicalId('meta'));
    // The workers are fed by their queues only.
    for (const workerId of workerIds) expect([...routeTargets.values()]).not.toContain(workerId);
  });

  it('runs every function on nodejs24.x, arm64, with its own log group', () => {
    const functions = ofType('AWS::Lambda::Function').filter(
      ([, f]) => f.Properties.Handler === 'index.handler',
    );
    // The API's functions and the two workers.
    expect(functions).toHaveLength(FUNCTION_NAMES.length + workerIds.length);
    // The webhook intake only verifies and queues.
    const timeout = (id: string) =>
      id === exportWorkerId ? 300 : workerIds.includes(id) ? 60 : id === logicalId('webhooks') ? 10 : 29;
    for (const [id, fn] of functions) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        MemorySize: 512,
        Timeout: timeout(id),
      });
      expect(fn.Properties.LoggingConfig.LogGroup).toBeDefined();
      expect(fn.Properties.Layers).toHaveLength(1);
      // The functions re-read their secrets every 5 minutes; a cache in the extension would add its TTL.
      expect(fn.Properties.Environment.Variables).toMatchObject({
        PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED: 'false',
        SECRETS_EXTENSION_PORT: '2773',
      });
      expect(fn.Properties.Environment.Variables.CONFIG_REFRESH_SECONDS).toBeUndefined();
    }
    // One per function, and the API's access logs.
    template.resourceCountIs('AWS::Logs::LogGroup', functions.length + 1);
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('keeps secret values out of the template and the environment; functions read only the secrets they need', () => {
    template.resourceCountIs('AWS::SecretsManager::Secret', 3);
    for (const [, secret] of ofType('AWS::SecretsManager::Secret')) {
      expect(secret.Properties.SecretString).toBeUndefined();
      expect(secret).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    }
    expect(
      Object.fromEntries(
        (['apiKeys', 'workspaces', 'webhookSecrets'] as const).map((name) => [
          name,
          resources[idOf(stack.secrets[name])]!.Properties.Name,
        ]),
      ),
    ).toEqual({
      apiKeys: 'intercom-actions/dev/api-keys',
      workspaces: 'intercom-actions/dev/workspaces',
      webhookSecrets: 'intercom-actions/dev/webhook-secrets',
    });
    for (const name of FUNCTION_NAMES) {
      const env = resources[logicalId(name)]!.Properties.Environment.Variables;
      for (const value of Object.values(env))
        expect(JSON.stringify(value)).not.toMatch(/accessToken|sha256|webhookSecrets/);
      // Those that never call Intercom read only the API keys; the public webhook intake (Intercom
      // signs) only the webhook secrets, never a token; the operation groups the keys and the tokens.
      if (['meta', 'bulk', 'automations', 'exports'].includes(name))
        expectReadsOnly(synthesized, logicalId(name), 'apiKeys');
      else if (name === 'webhooks') expectReadsOnly(synthesized, logicalId(name), 'webhookSecrets');
      else expectReadsOnly(synthesized, logicalId(name), 'apiKeys', 'workspaces');
    }
    // The webhook secrets are the intake's alone.
    const webhookSecretsId = idOf(stack.secrets.webhookSecrets);
    const readers = ofType('AWS::Lambda::Function')
      .map(([id]) => id)
      .filter((id) => JSON.stringify(statementsOf(id)).includes(webhookSecretsId));
    expect(readers).toEqual([logicalId('webhooks')]);
  });

  it('grants no wildcard IAM actions or resources (but to X-Ray, which has no resource-level permissions)', () => {
    for (const [id, policy] of ofType('AWS::IAM::Policy')) {
      for (const statement of policy.Properties.PolicyDocument.Statement) {
        if (statement.Resource === '*') {
          expect(statement).toEqual({
            Action: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'],
            Effect: 'Allow',
            Resource: '*',
          });
          continue;
        }
        for (const action of [statement.Action].flat()) expect(`${id}: ${action}`).not.toMatch(/\*/);
        for (const resource of [statement.Resource].flat()) {
          // One exception: export files' keys are known only at run time (infra/constructs/exports.ts).
          if (JSON.stringify(resource) === exportObjects) continue;
          expect(JSON.stringify(resource)).not.toMatch(/\*/);
        }
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

  it('alarms on 5xx rate, Intercom 429s, errors and throttles per function, bulk, automations and exports, table throttling, into one topic', () => {
    // The queue worker's four, and throttling of the jobs and rate tables.
    const bulkAlarms = 4 + 2;
    // The queue worker's four, rejected and unrouted webhooks, and throttling of the table.
    const automationsAlarms = 6 + 1;
    const exportAlarms = 4;
    template.resourceCountIs(
      'AWS::CloudWatch::Alarm',
      2 + 2 * FUNCTION_NAMES.length + bulkAlarms + automationsAlarms + exportAlarms,
    );
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

  it("states the alarms' count and monthly cost in docs/deploy.md as the template has them", () => {
    const alarms = ofType('AWS::CloudWatch::Alarm');
    // CloudWatch bills each metric an alarm reads: a math alarm's every MetricStat, else its one metric.
    const metrics = alarms.reduce(
      (sum, [, a]) =>
        sum + (a.Properties.Metrics ? a.Properties.Metrics.filter((m: any) => m.MetricStat).length : 1),
      0,
    );
    const deploy = readFileSync(new URL('../../docs/deploy.md', import.meta.url), 'utf8').replace(
      /\s+/g,
      ' ',
    );
    const stated = /(\d+) alarms reading (\d+) metrics \(\$(\d+\.\d\d)/.exec(deploy);
    expect(stated?.slice(1)).toEqual([String(alarms.length), String(metrics), (metrics * 0.1).toFixed(2)]);
  });

  it('is clean under cdk-nag AwsSolutions, each acknowledged finding carrying a reason', () => {
    const report = new AwsSolutionsChecks(app).validateScope(stack);
    expect(report.violations).toEqual([]);
    const bare = new Stack(new App(), 'Bare');
    expect(new AwsSolutionsChecks().validateScope(bare).success).toBe(true);
  });

  it("fails the synth of a template CloudFormation's validation rejects, as `npx cdk synth` does", () => {
    // Every synth of these tests is validated so (test/helpers/cdk-environment.ts shares the engine).
    const invalid = new Stack(testApp({ ...CDK_JSON_CONTEXT }), 'Invalid');
    new CfnResource(invalid, 'Queue', { type: 'AWS::SQS::Queue', properties: { VisibilityTimeout: 'soon' } });
    expect(() => Template.fromStack(invalid)).toThrow(/VisibilityTimeout: 'soon' is not of type 'integer'/);
  });

  it('rejects bad context values', () => {
    expect(() => synth({ stage: 'Prod!' })).toThrow('context "stage"');
    expect(() => synth({ apiVersion: '2.0' })).toThrow('context "apiVersion"');
    expect(() => synth({ logLevel: 'LOUD' })).toThrow('context "logLevel"');
    expect(() => synth({ throttleRate: 'abc' })).toThrow('context "throttleRate"');
    expect(() => synth({ throttleBurst: '-5' })).toThrow('context "throttleBurst"');
    expect(() => synth({ logRetentionDays: '31' })).toThrow('context "logRetentionDays" must be one of');
  });

  it('applies logRetentionDays to every log group, the API access logs included', () => {
    const retained = synth({ logRetentionDays: '90' });
    const groups = retained.ofType('AWS::Logs::LogGroup');
    expect(groups.length).toBeGreaterThan(FUNCTION_NAMES.length);
    for (const [, group] of groups) expect(group.Properties.RetentionInDays).toBe(90);
  });

  it("gives each function one API Gateway invoke permission, not one per route (Lambda's policy limit is 20 KB)", () => {
    const perFunction = new Map<string, number>();
    for (const [, permission] of ofType('AWS::Lambda::Permission')) {
      if (permission.Properties.Principal !== 'apigateway.amazonaws.com') continue;
      const fn = permission.Properties.FunctionName['Fn::GetAtt'][0];
      perFunction.set(fn, (perFunction.get(fn) ?? 0) + 1);
    }
    expect(perFunction.get(logicalId('bulk'))).toBe(1);
    for (const count of perFunction.values()) expect(count).toBe(1);
  });

  it('outputs the API and webhook URLs, the bulk and automations queues and tables', () => {
    for (const output of [
      'ApiUrl',
      'WebhookUrl',
      'BulkQueueUrl',
      'BulkDeadLetterQueueUrl',
      'BulkJobsTableName',
      'RateTableName',
      'AutomationsQueueUrl',
      'AutomationsDeadLetterQueueUrl',
      'AutomationsTableName',
    ])
      template.hasOutput(output, {});
  });
});
