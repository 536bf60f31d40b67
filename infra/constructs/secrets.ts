import { RemovalPolicy } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/**
 * The two secrets the functions read: the Intercom workspaces (tokens, regions, webhook secrets) and
 * the API keys (SHA-256 hashes and scopes). CloudFormation creates them with a random placeholder, so
 * no secret value is ever in the template; `intercom-actions secrets ...` puts the real values.
 */
export class ConfigSecrets extends Construct {
  readonly workspaces: Secret;
  readonly apiKeys: Secret;

  constructor(scope: Construct, id: string, props: { stage: string }) {
    super(scope, id);
    this.workspaces = new Secret(this, 'Workspaces', {
      secretName: `intercom-actions/${props.stage}/workspaces`,
      description:
        'intercom-actions: Intercom workspaces {"default","workspaces":{name:{accessToken,region,version,webhookSecrets}}}',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.apiKeys = new Secret(this, 'ApiKeys', {
      secretName: `intercom-actions/${props.stage}/api-keys`,
      description: 'intercom-actions: API keys {"keys":[{name,sha256,scopes,workspace}]} (hashes only)',
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
