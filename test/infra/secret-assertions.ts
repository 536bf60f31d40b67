import { expect } from '@jest/globals';
import type { Synthesized } from './synth-stack.ts';

/** Each secret of the stack (`stack.secrets`), and the variable a function finds its ARN in. */
export const SECRET_VARIABLES = {
  apiKeys: 'API_KEYS_SECRET_ARN',
  workspaces: 'WORKSPACES_SECRET_ARN',
  webhookSecrets: 'WEBHOOK_SECRETS_SECRET_ARN',
} as const;

export type SecretName = keyof typeof SECRET_VARIABLES;

/**
 * The function with this logical id finds exactly `secrets` in its environment and its role may read
 * them (`secretsmanager:GetSecretValue` on each), and no other secret of the stack.
 */
export function expectReadsOnly(
  synthesized: Synthesized,
  functionId: string,
  ...secrets: SecretName[]
): void {
  const { stack, logicalId, environmentOf, statementsOf } = synthesized;
  const env = environmentOf(functionId);
  const statements = statementsOf(functionId);
  for (const [secret, variable] of Object.entries(SECRET_VARIABLES) as [SecretName, string][]) {
    const secretId = logicalId(stack.secrets[secret]);
    const reads = secrets.includes(secret);
    const readable = statements.some(
      (s) =>
        [s.Action].flat().includes('secretsmanager:GetSecretValue') &&
        [s.Resource].flat().some((r) => JSON.stringify(r) === JSON.stringify({ Ref: secretId })),
    );
    expect([functionId, secret, env[variable], readable]).toEqual([
      functionId,
      secret,
      reads ? { Ref: secretId } : undefined,
      reads,
    ]);
    // Not by any other statement either (a wildcard or another action on it).
    if (!reads) expect(JSON.stringify(statements)).not.toContain(secretId);
  }
}
