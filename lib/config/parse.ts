/**
 * Parses and checks configuration documents (from environment variables locally, from Secrets Manager
 * when deployed). Every problem is a ConfigError that names the setting, never its secret value.
 */
import { createHash } from 'node:crypto';
import { API_VERSIONS, type ApiKeyScope, type ApiVersion } from '../catalog/index.ts';
import { REGION_BASE_URLS, type Region } from '../intercom/config.ts';
import type { ApiKeyRecord, AppConfig, WebhookConfig, WebhookWorkspace, WorkspaceConfig } from './types.ts';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export const API_KEY_SCOPES: readonly ApiKeyScope[] = ['read', 'write', 'delete', 'bulk'];

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function parseRegion(value: unknown, where: string): Region {
  const region = value ?? 'us';
  if (typeof region !== 'string' || !Object.hasOwn(REGION_BASE_URLS, region)) {
    throw new ConfigError(`${where}: region must be one of ${Object.keys(REGION_BASE_URLS).join(', ')}`);
  }
  return region as Region;
}

export function parseVersion(value: unknown, where: string): ApiVersion {
  const version = value ?? '1.4';
  if (typeof version !== 'string' || !(API_VERSIONS as readonly string[]).includes(version)) {
    throw new ConfigError(`${where}: Intercom version must be one of ${API_VERSIONS.join(', ')}`);
  }
  return version as ApiVersion;
}

export function parseBaseUrl(value: unknown, where: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new ConfigError(`${where}: base URL must be a string`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(`${where}: base URL is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new ConfigError(`${where}: base URL must be http(s)`);
  return value;
}

function parseSecrets(value: unknown, where: string): string[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  if (!list.every((s) => typeof s === 'string'))
    throw new ConfigError(`${where}: webhook secrets must be strings`);
  // An empty secret would accept forged notifications: drop it here, and webhooks fail closed.
  return (list as string[]).filter((s) => s.length > 0);
}

/** `defaultVersion`: the deployment's Intercom version, for workspaces that do not set one. */
export function parseWorkspace(name: string, raw: unknown, defaultVersion?: string): WorkspaceConfig {
  const where = `workspace "${name}"`;
  if (!isRecord(raw)) throw new ConfigError(`${where}: must be an object`);
  if (typeof raw.accessToken !== 'string' || raw.accessToken.length === 0) {
    throw new ConfigError(`${where}: accessToken (the Intercom access token) is missing`);
  }
  const workspace: WorkspaceConfig = {
    name,
    accessToken: raw.accessToken,
    region: parseRegion(raw.region, where),
    version: parseVersion(raw.version ?? defaultVersion, where),
    webhookSecrets: parseSecrets(raw.webhookSecrets, where),
  };
  const baseUrl = parseBaseUrl(raw.baseUrl, where);
  if (baseUrl) workspace.baseUrl = baseUrl;
  if (typeof raw.appId === 'string' && raw.appId) workspace.appId = raw.appId;
  return workspace;
}

/** `{"default": "main", "workspaces": {"main": {...}}}` */
export function parseWorkspaces(
  raw: unknown,
  defaultVersion?: string,
): Pick<AppConfig, 'workspaces' | 'defaultWorkspace'> {
  if (!isRecord(raw) || !isRecord(raw.workspaces))
    throw new ConfigError('workspaces document: needs a "workspaces" object');
  const workspaces = new Map<string, WorkspaceConfig>();
  for (const [name, value] of Object.entries(raw.workspaces))
    workspaces.set(name, parseWorkspace(name, value, defaultVersion));
  if (workspaces.size === 0) throw new ConfigError('workspaces document: no workspace configured');
  const defaultWorkspace = raw.default ?? (workspaces.size === 1 ? [...workspaces.keys()][0] : undefined);
  if (typeof defaultWorkspace !== 'string' || !workspaces.has(defaultWorkspace)) {
    throw new ConfigError('workspaces document: "default" must name one of the workspaces');
  }
  return { workspaces, defaultWorkspace };
}

/**
 * The webhook secrets document: `{"default"?: "main", "workspaces": {"main": {"webhookSecrets": [...],
 * "appId"?: "..."}}}`. No workspace may be configured yet (a deployment without webhooks); `default`,
 * when set, names one of them, else the only one is the default. It never holds a token.
 */
export function parseWebhookSecrets(raw: unknown): WebhookConfig {
  const what = 'webhook secrets document';
  if (!isRecord(raw) || !isRecord(raw.workspaces))
    throw new ConfigError(`${what}: needs a "workspaces" object`);
  const workspaces = new Map<string, WebhookWorkspace>();
  const claimed = new Map<string, string>();
  for (const [name, value] of Object.entries(raw.workspaces)) {
    const where = `${what}: workspace "${name}"`;
    if (!isRecord(value)) throw new ConfigError(`${where}: must be an object`);
    if ('accessToken' in value)
      throw new ConfigError(`${where}: holds an accessToken; tokens belong in the workspaces secret only`);
    const workspace: WebhookWorkspace = { name, webhookSecrets: parseSecrets(value.webhookSecrets, where) };
    if (value.appId !== undefined) {
      if (typeof value.appId !== 'string' || value.appId.length === 0)
        throw new ConfigError(`${where}: appId must be a non-empty string`);
      const other = claimed.get(value.appId);
      if (other !== undefined)
        throw new ConfigError(`${where}: appId "${value.appId}" is also workspace "${other}"'s`);
      claimed.set(value.appId, name);
      workspace.appId = value.appId;
    }
    workspaces.set(name, workspace);
  }
  if (raw.default !== undefined && (typeof raw.default !== 'string' || !workspaces.has(raw.default)))
    throw new ConfigError(`${what}: "default" must name one of its workspaces`);
  const defaultWorkspace =
    (raw.default as string | undefined) ?? (workspaces.size === 1 ? [...workspaces.keys()][0] : undefined);
  return { workspaces, defaultWorkspace };
}

export function parseApiKey(
  raw: unknown,
  index: number,
  /** Undefined where the workspaces are not loaded (the meta function only authenticates). */
  workspaces: ReadonlyMap<string, WorkspaceConfig> | undefined,
  defaultWorkspace: string,
): ApiKeyRecord {
  const where = `API key #${index + 1}`;
  if (!isRecord(raw)) throw new ConfigError(`${where}: must be an object`);
  const name = typeof raw.name === 'string' && raw.name ? raw.name : `key-${index + 1}`;
  let sha256: string | undefined;
  if (typeof raw.sha256 === 'string' && /^[0-9a-f]{64}$/.test(raw.sha256)) sha256 = raw.sha256;
  else if (typeof raw.key === 'string' && raw.key.length >= 16) sha256 = sha256Hex(raw.key);
  if (!sha256)
    throw new ConfigError(
      `${where} ("${name}"): needs "sha256" (64 hex chars) or a "key" of at least 16 characters`,
    );
  const scopes = raw.scopes ?? API_KEY_SCOPES;
  if (!Array.isArray(scopes) || !scopes.every((s) => (API_KEY_SCOPES as unknown[]).includes(s))) {
    throw new ConfigError(`${where} ("${name}"): scopes must be a list of ${API_KEY_SCOPES.join(', ')}`);
  }
  const workspace = raw.workspace ?? defaultWorkspace;
  if (typeof workspace !== 'string' || (workspaces && !workspaces.has(workspace))) {
    throw new ConfigError(`${where} ("${name}"): workspace "${String(workspace)}" is not configured`);
  }
  return {
    id: parseKeyId(raw.id, where, name) ?? derivedKeyId(sha256),
    name,
    sha256,
    scopes: scopes as ApiKeyScope[],
    workspace,
  };
}

/** What `keys create` assigns: `key_` and 16 random bytes. */
const KEY_ID = /^[A-Za-z0-9_-]{4,64}$/;

function parseKeyId(value: unknown, where: string, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !KEY_ID.test(value))
    throw new ConfigError(`${where} ("${name}"): id must be 4-64 letters, digits, _ or -`);
  return value;
}

/**
 * The id of a key configured without one: from its hash (a hash of the hash, so records never hold
 * the key's own digest). Stable while the secret is; a rotated secret is a new identity.
 */
export function derivedKeyId(sha256: string): string {
  return `sha_${createHash('sha256').update(`intercom-actions key id\u0000${sha256}`).digest('base64url').slice(0, 22)}`;
}

/**
 * Names, ids and secrets are each unique across the whole configuration: a name picks the key in
 * `keys revoke` and logs, an id owns jobs, and a secret must lead to one identity.
 */
export function assertUniqueKeys(keys: readonly ApiKeyRecord[]): void {
  const names = new Set<string>();
  const ids = new Map<string, string>();
  const secrets = new Map<string, string>();
  for (const key of keys) {
    if (names.has(key.name))
      throw new ConfigError(
        `API keys: more than one key is named "${key.name}" (names are unique across API_KEYS_JSON or the API keys secret and the API_KEY variable)`,
      );
    names.add(key.name);
    const sameId = ids.get(key.id);
    if (sameId !== undefined)
      throw new ConfigError(
        `API keys: "${sameId}" and "${key.name}" have the same id "${key.id}" (ids are unique)`,
      );
    ids.set(key.id, key.name);
    const sameSecret = secrets.get(key.sha256);
    if (sameSecret !== undefined)
      throw new ConfigError(
        `API keys: "${sameSecret}" and "${key.name}" have the same secret (each key needs its own)`,
      );
    secrets.set(key.sha256, key.name);
  }
}

/** The document's `revoked` list: ids of revoked keys, which no key may take again. */
function parseRevoked(raw: unknown): Set<string> {
  if (raw === undefined) return new Set();
  if (!Array.isArray(raw) || !raw.every((id) => typeof id === 'string'))
    throw new ConfigError('API keys document: "revoked" must be a list of key ids');
  return new Set(raw as string[]);
}

/** `{"keys": [{"id", "name", "sha256" | "key", "scopes", "workspace"}], "revoked": [ids]}` or a bare list. */
export function parseApiKeys(
  raw: unknown,
  config: { workspaces: ReadonlyMap<string, WorkspaceConfig> | undefined; defaultWorkspace: string },
): ApiKeyRecord[] {
  const list = isRecord(raw) ? raw.keys : raw;
  if (!Array.isArray(list)) throw new ConfigError('API keys document: needs a "keys" list');
  const revoked = parseRevoked(isRecord(raw) ? raw.revoked : undefined);
  const keys = list.map((entry, i) => parseApiKey(entry, i, config.workspaces, config.defaultWorkspace));
  keys.forEach((key, i) => {
    if (revoked.has(key.id))
      throw new ConfigError(
        `API key #${i + 1} ("${key.name}"): id "${key.id}" belongs to a revoked key and is never used again`,
      );
  });
  assertUniqueKeys(keys);
  return keys;
}

export function parseJson(text: string | undefined, what: string): unknown {
  if (text === undefined) throw new ConfigError(`${what}: empty`);
  try {
    return JSON.parse(text);
  } catch {
    throw new ConfigError(`${what}: not valid JSON`);
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

/** A numeric setting from the environment within [min, max], or the fallback when unset. */
export function numberSetting(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a number from ${min} to ${max} (got "${raw}")`);
  }
  return value;
}
