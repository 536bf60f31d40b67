/**
 * Intercom clients for the queue workers (bulk, automations): no retries inside a call. Every retry goes back through the
 * queue and the rate governor, so it is budgeted like any other request and survives the Lambda.
 */

import { protectConfigSecrets } from '../config/secrets.ts';
import type { ConfigSource } from '../config/source.ts';
import type { AppConfig, WorkspaceConfig } from '../config/types.ts';
import { IntercomClient } from '../intercom/client.ts';
import { workspaceClientOptions, workspaceClients } from './clients.ts';

export function workerClientFactory(workspace: WorkspaceConfig): IntercomClient {
  return new IntercomClient({ ...workspaceClientOptions(workspace), retry: { maxRetries: 0 } });
}

/**
 * A queue worker's clients, one per configured workspace, rebuilt once when the configuration changes
 * (a rotated token gets new clients, a removed workspace none), its secrets masked in the logs. Built
 * once at init so a bad configuration fails the cold start.
 */
export function configuredWorkerClients(
  config: ConfigSource<AppConfig>,
): (workspace: string) => IntercomClient {
  const clients = config.derive((c) => {
    protectConfigSecrets(c);
    return workspaceClients(c, workerClientFactory);
  });
  clients();
  return (workspace) => clients()(workspace);
}
