import { RemovalPolicy } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';

/**
 * The three secrets the functions read, each by the functions that need it: the Intercom workspaces
 * (tokens, regions, versions: the functions that call Intercom), the API keys (SHA-256 hashes and
 * scopes: the functions that authenticate callers) and the webhook secrets (signing secrets and app
 * ids: the public webhook intake alone, which so never holds a token). CloudFormation creates them with
 * a random placeholder, so no secret value is ever in the template; `intercom-actions keys ...` and
 * `intercom-actions workspace ...` put the real values.
 */
export class ConfigSecrets extends Construct {
  readonly workspaces: Secret;
  readonly apiKeys: Secret;
  readonly webhookSecrets: Secret;

  constructor(scope: Construct, id: string, props: { stage: string }) {
    super(scope, id);
    this.workspaces = new Secret(this, 'Workspaces', {
      secretName: `intercom-actions/${props.stage}/workspaces`,
      description:
        'intercom-actions: Intercom workspaces {"default","workspaces":{name:{accessToken,region,version}}}',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.apiKeys = new Secret(this, 'ApiKeys', {
      secretName: `intercom-actions/${props.stage}/api-keys`,
      description: 'intercom-actions: API keys {"keys":[{name,sha256,scopes,workspace}]} (hashes only)',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.webhookSecrets = new Secret(this, 'WebhookSecrets', {
      secretName: `intercom-actions/${props.stage}/webhook-secrets`,
      description:
        'intercom-actions: webhook signing secrets {"default","workspaces":{name:{webhookSecrets,appId}}} (no tokens)',
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
