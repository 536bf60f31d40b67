import { type Stack, Validations } from 'aws-cdk-lib';

/** cdk-nag (AwsSolutions) findings that do not apply here, each acknowledged with its reason. */
export function acknowledgeNagFindings(stack: Stack): void {
  const acknowledge = (id: string, reason: string) => Validations.of(stack).acknowledge({ id, reason });
  acknowledge(
    'AwsSolutions-APIG4',
    'Routes have no API Gateway authorizer by design: every action verifies an API key in the function (SHA-256, constant time, scopes), as the contract specifies; POST /webhooks/intercom verifies the HMAC signature Intercom sends instead (it cannot send an API key); /health and /openapi.json are public.',
  );
  acknowledge(
    'AwsSolutions-SMG4',
    'Intercom access tokens, webhook signing secrets (both issued by Intercom) and our API keys cannot be rotated by a Lambda rotation function; rotation is a documented manual procedure (several API keys, and several webhook secrets, may be valid at once).',
  );
}
