import { CfnOutput, RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { DEFAULT_TARGET, type FunctionName, routes } from '../../lib/http/routes.ts';
import type { DeploymentSettings } from '../config.ts';

/**
 * The HTTP API: one explicit route per entry of the routing table the local server uses (every
 * `POST /actions/<operation>` to its group's function, health, OpenAPI), and `$default` to the meta
 * function for the contract's 404s.
 */
export class ActionHttpApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;

  constructor(
    scope: Construct,
    id: string,
    props: { functions: Readonly<Record<FunctionName, IFunction>>; settings: DeploymentSettings },
  ) {
    super(scope, id);
    const { settings } = props;
    const integrations = new Map<FunctionName, HttpLambdaIntegration>();
    const integration = (name: FunctionName) => {
      let found = integrations.get(name);
      if (!found) {
        // One invoke permission per function (apiId/*/*), not one per route: the bulk function
        // serves 57 routes, and 57 route-scoped statements outgrow Lambda's 20 KB resource policy.
        found = new HttpLambdaIntegration(`${name}Integration`, props.functions[name], {
          scopePermissionToRoute: false,
        });
        integrations.set(name, found);
      }
      return found;
    };
    this.api = new HttpApi(this, 'Api', {
      apiName: `intercom-actions-${settings.stage}`,
      description: 'Intercom REST API 1.x operations as authenticated HTTP actions',
      createDefaultStage: false,
      defaultIntegration: integration(DEFAULT_TARGET),
      ...(settings.allowedOrigins.length > 0
        ? {
            corsPreflight: {
              allowOrigins: settings.allowedOrigins,
              allowMethods: [CorsHttpMethod.GET, CorsHttpMethod.POST],
              allowHeaders: ['authorization', 'content-type', 'x-api-key', 'x-request-id'],
              exposeHeaders: ['x-request-id', 'retry-after'],
            },
          }
        : {}),
    });
    for (const route of routes) {
      this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: integration(route.target),
      });
    }
    const accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: settings.logRetentionDays as RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stage = new HttpStage(this, 'Stage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: settings.throttle,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            method: '$context.httpMethod',
            path: '$context.path',
            status: '$context.status',
            latencyMs: '$context.responseLatency',
            integrationLatencyMs: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });
    new CfnOutput(scope, 'ApiUrl', {
      value: this.stage.url,
      description: 'Base URL of the intercom-actions API',
    });
  }
}
