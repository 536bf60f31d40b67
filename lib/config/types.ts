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

export interface ApiKeyRecord {
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
