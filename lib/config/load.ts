/**
 * Loads the configuration once per container: from Secrets Manager when the secret ARNs are set
 * (deployed), else from environment variables (local runs, tests). Incomplete configuration fails
 * here, at start-up, with a message naming what is missing.
 */
import {
  assertUniqueKeys,
  ConfigError,
  derivedKeyId,
  parseApiKeys,
  parseBaseUrl,
  parseJson,
  parseRegion,
  parseVersion,
  parseWebhookSecrets,
  parseWorkspaces,
  sha256Hex,
} from './parse.ts';
import type {
  ApiKeyRecord,
  AppConfig,
  SecretReader,
  WebhookConfig,
  WebhookWorkspace,
  WorkspaceConfig,
} from './types.ts';

export type { SecretReader } from './types.ts';

export type Env = Readonly<Record<string, string | undefined>>;

/** Reads a secret string by ARN. Injectable for tests. */

async function defaultSecretReader(arn: string): Promise<string | undefined> {
  const { extensionSecretReader } = await import('./secrets-extension.ts');
  return extensionSecretReader(Number(process.env.SECRETS_EXTENSION_PORT) || undefined)(arn);
}

function workspaceFromEnv(env: Env): WorkspaceConfig {
  const where = 'environment';
  const token = env.INTERCOM_ACCESS_TOKEN;
  if (!token) {
    throw new ConfigError(
      'INTERCOM_ACCESS_TOKEN is not set (or set INTERCOM_WORKSPACES_JSON, or WORKSPACES_SECRET_ARN when deployed)',
    );
  }
  const workspace: WorkspaceConfig = {
    name: env.INTERCOM_WORKSPACE ?? 'default',
    accessToken: token,
    region: parseRegion(env.INTERCOM_REGION || undefined, `${where} INTERCOM_REGION`),
    version: parseVersion(env.INTERCOM_VERSION || undefined, `${where} INTERCOM_VERSION`),
    webhookSecrets: (env.INTERCOM_WEBHOOK_SECRET ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
  };
  const baseUrl = parseBaseUrl(env.INTERCOM_BASE_URL, `${where} INTERCOM_BASE_URL`);
  if (baseUrl) workspace.baseUrl = baseUrl;
  if (env.INTERCOM_APP_ID) workspace.appId = env.INTERCOM_APP_ID;
  return workspace;
}

export interface LoadOptions {
  readSecret?: SecretReader;
  /** The CLI talks to Intercom directly and needs no API keys. */
  requireApiKeys?: boolean;
}

type Workspaces = Pick<AppConfig, 'workspaces' | 'defaultWorkspace'>;

async function loadWorkspaces(env: Env, readSecret: SecretReader): Promise<Workspaces> {
  if (env.WORKSPACES_SECRET_ARN) {
    return parseWorkspaces(
      parseJson(await readSecret(env.WORKSPACES_SECRET_ARN), 'workspaces secret'),
      env.INTERCOM_VERSION || undefined,
    );
  }
  if (env.INTERCOM_WORKSPACES_JSON)
    return parseWorkspaces(
      parseJson(env.INTERCOM_WORKSPACES_JSON, 'INTERCOM_WORKSPACES_JSON'),
      env.INTERCOM_VERSION || undefined,
    );
  const workspace = workspaceFromEnv(env);
  return { workspaces: new Map([[workspace.name, workspace]]), defaultWorkspace: workspace.name };
}

async function loadApiKeys(
  env: Env,
  readSecret: SecretReader,
  known: Partial<Workspaces>,
  required: boolean,
): Promise<ApiKeyRecord[]> {
  const scope = { workspaces: known.workspaces, defaultWorkspace: known.defaultWorkspace ?? 'default' };
  const apiKeys = env.API_KEYS_SECRET_ARN
    ? parseApiKeys(parseJson(await readSecret(env.API_KEYS_SECRET_ARN), 'API keys secret'), scope)
    : env.API_KEYS_JSON
      ? parseApiKeys(parseJson(env.API_KEYS_JSON, 'API_KEYS_JSON'), scope)
      : [];
  if (env.API_KEY) {
    if (env.API_KEY.length < 16) throw new ConfigError('API_KEY must be at least 16 characters');
    const sha256 = sha256Hex(env.API_KEY);
    apiKeys.push({
      id: derivedKeyId(sha256),
      name: 'API_KEY',
      sha256,
      scopes: ['read', 'write', 'delete', 'bulk'],
      workspace: scope.defaultWorkspace,
    });
  }
  assertUniqueKeys(apiKeys);
  if (apiKeys.length === 0 && required) {
    throw new ConfigError(
      'No API key is configured: set API_KEY (or API_KEYS_JSON, or API_KEYS_SECRET_ARN when deployed)',
    );
  }
  return apiKeys;
}

export async function loadConfig(env: Env = process.env, options: LoadOptions = {}): Promise<AppConfig> {
  const readSecret = options.readSecret ?? defaultSecretReader;
  const workspaces = await loadWorkspaces(env, readSecret);
  const apiKeys = await loadApiKeys(env, readSecret, workspaces, options.requireApiKeys !== false);
  return { ...workspaces, apiKeys };
}

/** A secret's text is a document once it is JSON; CloudFormation's random placeholder is not. */
function holdsDocument(text: string | undefined): text is string {
  if (text === undefined) return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** The workspaces as the webhook intake sees them: routing and signing secrets, no token. */
function webhookView({ workspaces, defaultWorkspace }: Workspaces): WebhookConfig {
  const view = new Map<string, WebhookWorkspace>();
  for (const { name, webhookSecrets, appId } of workspaces.values())
    view.set(name, appId === undefined ? { name, webhookSecrets } : { name, webhookSecrets, appId });
  return { workspaces: view, defaultWorkspace };
}

/**
 * What the webhook intake reads, and nothing more. Deployed: the webhook secrets secret
 * (`WEBHOOK_SECRETS_SECRET_ARN`), never the Intercom tokens. While that secret still holds
 * CloudFormation's placeholder (a deployment from before the split, not migrated yet), the workspaces
 * secret's `webhookSecrets` and `appId` when the function may read it (`WORKSPACES_SECRET_ARN`, set by
 * `-c legacyWebhookSecrets=true`), else a configuration error naming the migration. Locally: the
 * workspaces of the environment, as every function reads them, without their tokens.
 */
export async function loadWebhookConfig(
  env: Env = process.env,
  options: Pick<LoadOptions, 'readSecret'> = {},
): Promise<WebhookConfig> {
  const readSecret = options.readSecret ?? defaultSecretReader;
  if (env.WEBHOOK_SECRETS_SECRET_ARN) {
    const text = await readSecret(env.WEBHOOK_SECRETS_SECRET_ARN);
    if (holdsDocument(text)) return parseWebhookSecrets(parseJson(text, 'webhook secrets secret'));
    if (!env.WORKSPACES_SECRET_ARN)
      throw new ConfigError(
        'The webhook secrets secret holds no document yet: move the webhook secrets out of the workspaces secret with `intercom-actions workspace migrate`, or put them with `intercom-actions workspace set` (see docs/deploy.md)',
      );
  }
  return webhookView(await loadWorkspaces(env, readSecret));
}

/** Only the API keys: for functions that authenticate but never call Intercom (least privilege). */
export async function loadApiKeysOnly(
  env: Env = process.env,
  options: Pick<LoadOptions, 'readSecret'> = {},
): Promise<ApiKeyRecord[]> {
  return loadApiKeys(
    env,
    options.readSecret ?? defaultSecretReader,
    { defaultWorkspace: defaultWorkspaceName(env) },
    true,
  );
}

/**
 * The default workspace's name without its secrets, for the keys that name no workspace: they must
 * belong to the same workspace here as in the functions that load the workspaces. Deployed, the
 * workspaces secret is out of reach of these functions: `DEFAULT_WORKSPACE` names it (keys created by
 * the CLI name their workspace anyway).
 */
function defaultWorkspaceName(env: Env): string {
  if (env.DEFAULT_WORKSPACE) return env.DEFAULT_WORKSPACE;
  if (env.INTERCOM_WORKSPACES_JSON) {
    const doc = parseJson(env.INTERCOM_WORKSPACES_JSON, 'INTERCOM_WORKSPACES_JSON') as {
      default?: unknown;
      workspaces?: unknown;
    };
    if (typeof doc?.default === 'string') return doc.default;
    const names = doc?.workspaces && typeof doc.workspaces === 'object' ? Object.keys(doc.workspaces) : [];
    if (names.length === 1) return names[0]!;
  }
  return env.INTERCOM_WORKSPACE ?? 'default';
}
