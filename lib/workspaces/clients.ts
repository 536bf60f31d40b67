/** One Intercom client per workspace, created on first use and kept for the life of the container. */
import { type AppConfig, type WorkspaceConfig, WorkspaceNotConfiguredError } from '../config/types.ts';
import type { AttemptInfo } from '../intercom/client.ts';
import { IntercomClient, type IntercomClientOptions } from '../intercom/client.ts';
import { recordIntercomAttempt } from '../observability/metrics.ts';
import { traceIntercomAttempt } from '../observability/tracing.ts';

export type ClientFactory = (workspace: WorkspaceConfig) => IntercomClient;

/** Every Intercom attempt: its metrics, and its X-Ray subsegment where the invocation is traced. */
function observeAttempt(info: AttemptInfo): void {
  recordIntercomAttempt(info);
  traceIntercomAttempt(info);
}

export function workspaceClientOptions(workspace: WorkspaceConfig): IntercomClientOptions {
  const options: IntercomClientOptions = {
    token: workspace.accessToken,
    region: workspace.region,
    version: workspace.version,
    onAttempt: observeAttempt,
  };
  if (workspace.baseUrl) options.baseUrl = workspace.baseUrl;
  return options;
}

export function workspaceClients(
  config: AppConfig,
  create: ClientFactory = (w) => new IntercomClient(workspaceClientOptions(w)),
) {
  const clients = new Map<string, IntercomClient>();
  return (workspaceName: string = config.defaultWorkspace): IntercomClient => {
    let client = clients.get(workspaceName);
    if (!client) {
      const workspace = config.workspaces.get(workspaceName);
      if (!workspace) throw new WorkspaceNotConfiguredError(workspaceName);
      client = create(workspace);
      clients.set(workspaceName, client);
    }
    return client;
  };
}
