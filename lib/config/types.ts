import type { ApiKeyScope, ApiVersion } from '../catalog/index.ts';
import type { Region } from '../intercom/config.ts';

/** One Intercom workspace (app) this deployment acts on. */
export interface WorkspaceConfig {
  name: string;
  /** Intercom access token. Secret: never logged, never in a response. */
  accessToken: string;
  region: Region;
  /** Overrides `region` (the sandbox, a proxy). */
  baseUrl?: string;
  version: ApiVersion;
  /** Webhook signing secrets; several during a rotation. */
  webhookSecrets: string[];
  /** Intercom `app_id`, to route webhook notifications. */
  appId?: string;
}

/**
 * What the webhook intake knows of a workspace: how to route and verify its notifications, never its
 * token. Deployed, it comes from the webhook secrets secret, which holds nothing else.
 */
export type WebhookWorkspace = Pick<WorkspaceConfig, 'name' | 'webhookSecrets' | 'appId'>;

/** The webhook intake's configuration; the full `AppConfig` also satisfies it (locally, in tests). */
export interface WebhookConfig {
  workspaces: ReadonlyMap<string, WebhookWorkspace>;
  /** Where a notification without an `app_id` goes; none: only an `app_id` routes. */
  defaultWorkspace?: string | undefined;
}

export interface ApiKeyRecord {
  /**
   * The key's stable identity: what owns the jobs it creates. Assigned when the key is created
   * (`keys create` writes one), kept when its secret is rotated, never reused. A key configured without
   * one gets an id derived from its hash, which then changes with the secret.
   */
  id: string;
  /** Unique across the whole configuration; shown in logs and `keys list`. */
  name: string;
  /** SHA-256 of the key, lower-case hex; the key itself is never stored. */
  sha256: string;
  scopes: ApiKeyScope[];
  workspace: string;
}

export interface AppConfig {
  workspaces: ReadonlyMap<string, WorkspaceConfig>;
  defaultWorkspace: string;
  apiKeys: readonly ApiKeyRecord[];
}

/** Work queued for a workspace the configuration no longer holds (it was removed or renamed). */
export class WorkspaceNotConfiguredError extends Error {
  readonly code = 'workspace_not_configured';
  readonly workspace: string;
  constructor(workspace: string) {
    super(`Workspace "${workspace}" is not configured`);
    this.workspace = workspace;
    this.name = 'WorkspaceNotConfiguredError';
  }
}

/** Reads a secret's string by ARN (the Lambda extension, or a test's stand-in); undefined when absent. */
export type SecretReader = (arn: string) => Promise<string | undefined>;
