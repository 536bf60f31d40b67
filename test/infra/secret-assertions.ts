import { expect } from '@jest/globals';
import type { Synthesized } from './synth-stack.ts';

const VARIABLES = { apiKeys: 'API_KEYS_SECRET_ARN', workspaces: 'WORKSPACES_SECRET_ARN' } as const;

/** The function with this logical id finds `secret` in its environment and may read it, and not the other. */
export function expectReadsOnly(
  synthesized: Synthesized,
  functionId: string,
  secret: keyof typeof VARIABLES,
): void {
  const { stack, logicalId, environmentOf, statementsOf } = synthesized;
  const other = secret === 'apiKeys' ? 'workspaces' : 'apiKeys';
  const env = environmentOf(functionId);
  expect(env[VARIABLES[secret]]).toEqual({ Ref: logicalId(stack.secrets[secret]) });
  expect(env[VARIABLES[other]]).toBeUndefined();
  const statements = JSON.stringify(statementsOf(functionId));
  expect(statements).toContain(logicalId(stack.secrets[secret]));
  expect(statements).not.toContain(logicalId(stack.secrets[other]));
}
