import { protectSecrets } from '../observability/logger.ts';
import type { WorkspaceConfig } from './types.ts';

type WithSecrets = Pick<WorkspaceConfig, 'webhookSecrets'> & { accessToken?: string };

/** Every secret value in the configuration (the webhook intake's has no token), masked from logs from now on. */
export function protectConfigSecrets(config: { workspaces: ReadonlyMap<string, WithSecrets> }): void {
  for (const workspace of config.workspaces.values())
    protectSecrets([workspace.accessToken, ...workspace.webhookSecrets]);
  protectSecrets([process.env.API_KEY]);
}
