/**
 * Intercom clients for the queue workers (bulk, automations): no retries inside a call. Every retry goes back through the
 * queue and the rate governor, so it is budgeted like any other request and survives the Lambda.
 */

import type { WorkspaceConfig } from '../config/types.ts';
import { IntercomClient } from '../intercom/client.ts';
import { workspaceClientOptions } from './clients.ts';

export function workerClientFactory(workspace: WorkspaceConfig): IntercomClient {
  return new IntercomClient({ ...workspaceClientOptions(workspace), retry: { maxRetries: 0 } });
}
