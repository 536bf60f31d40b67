import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  Architecture,
  ParamsAndSecretsLayerVersion,
  ParamsAndSecretsLogLevel,
  ParamsAndSecretsVersions,
  Runtime,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { copyIntoBundle, LAMBDA_BUNDLE } from '../bundling.ts';

export interface ServiceFunctionProps {
  /** The handler file under functions/. */
  entry: string;
  description: string;
  environment: Record<string, string>;
  /** Secrets the function may read, and nothing else. */
  secrets: ISecret[];
  /**
   * 512 MB: Lambda gives CPU in proportion to memory; at 512 MB cold starts (module init, TLS) are
   * about twice as fast as at 128 MB for ~4x the GB-s price of tiny invocations that mostly wait on
   * Intercom. Tune with `memorySize` per function if your traffic says otherwise.
   */
  memorySize?: number;
  /** API Gateway gives up at 29-30 s; our calls stop at 20-25 s, so 29 s is never the bottleneck. */
  timeout?: Duration;
  logRetentionDays: number;
  /** Files shipped next to the code (name in the bundle -> path on disk); Lambda's cwd is the bundle root. */
  bundledFiles?: Readonly<Record<string, string>>;
}

/** The runtime every function uses (Lambda nodejs24.x, arm64): the Node that `npm test` runs. */
export const FUNCTION_RUNTIME = Runtime.NODEJS_24_X;

/** A Node 24 arm64 function bundled like the benchmarks, with its own log group and least-privilege role. */
export class ServiceFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', {
      // A CloudWatch retention in days (validated in config.ts against RetentionDays).
      retention: props.logRetentionDays as RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // An own role instead of AWSLambdaBasicExecutionRole, whose log grants are on every log group.
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: props.description,
    });
    // The log group's ARN already covers its streams; no wildcard resource is written.
    this.logGroup.grantWrite(role);
    this.fn = new NodejsFunction(this, 'Function', {
      entry: props.entry,
      handler: 'handler',
      description: props.description,
      runtime: FUNCTION_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(29),
      role,
      logGroup: this.logGroup,
      // X-Ray: Lambda records each sampled invocation and runs the daemon the function sends its
      // subsegments to (lib/observability/tracing.ts). CDK grants the role xray:PutTraceSegments and
      // xray:PutTelemetryRecords, on "*": X-Ray has no resource-level permissions for them.
      tracing: Tracing.ACTIVE,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        SECRETS_EXTENSION_PORT: '2773',
        ...props.environment,
      },
      // The function keeps the secrets itself and re-reads them every CONFIG_REFRESH_SECONDS (300):
      // the extension's own cache (another 300 s) would let a revoked key live up to 10 minutes.
      paramsAndSecrets: ParamsAndSecretsLayerVersion.fromVersion(ParamsAndSecretsVersions.V1_0_103, {
        cacheEnabled: false,
        logLevel: ParamsAndSecretsLogLevel.WARN,
      }),
      bundling: {
        format: OutputFormat.ESM,
        target: LAMBDA_BUNDLE.target,
        minify: LAMBDA_BUNDLE.minify,
        sourceMap: LAMBDA_BUNDLE.sourcemap,
        mainFields: [...LAMBDA_BUNDLE.mainFields],
        banner: LAMBDA_BUNDLE.banner,
        // Bundled, not taken from the runtime: a smaller, pinned, faster-loading artifact.
        bundleAwsSDK: true,
        ...(props.bundledFiles ? { commandHooks: copyIntoBundle(props.bundledFiles) } : {}),
      },
    });
    for (const secret of props.secrets) secret.grantRead(this.fn);
    // On this role only, and only its wildcard-resource finding: the stack test allows "*" to the
    // X-Ray statement alone.
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords (the two actions Lambda needs to send traces) support no resource-level permissions, so their resource is "*".',
    });
  }
}
