import { protectSecrets } from '../observability/logger.ts';
import type { AppConfig } from './types.ts';

/** Every secret value in the configuration, masked from logs from now on. */
export function protectConfigSecrets(config: Pick<AppConfig, 'workspaces'>): void {
  for (const workspace of config.workspaces.values())
    protectSecrets([workspace.accessToken, ...workspace.webhookSecrets]);
  protectSecrets([process.env.API_KEY]);
}
