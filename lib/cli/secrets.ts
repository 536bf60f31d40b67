/**
 * `intercom-actions keys ...` and `intercom-actions workspace ...`: put API keys (hashes only) and
 * Intercom workspaces into the deployed stack's secrets. A key is printed once and never stored.
 */
import { generateApiKey, generateKeyId } from '../auth/api-keys.ts';
import type { ApiKeyScope } from '../catalog/types.ts';
import {
  API_KEY_SCOPES,
  ConfigError,
  parseApiKey,
  parseApiKeys,
  parseRegion,
  parseVersion,
  parseWebhookSecrets,
  parseWorkspaces,
  sha256Hex,
} from '../config/parse.ts';
import type { SecretStore } from '../secrets/store.ts';
import { type FlagSpec, parseOptions, UsageError } from './arguments.ts';

export interface SecretsCliIo {
  out: (text: string) => void;
  /** Notices (a deprecated option). */
  err: (text: string) => void;
  env: Readonly<Record<string, string | undefined>>;
  store: () => Promise<SecretStore>;
}

type Flags = Record<string, string | true>;

const SECRET = ['stage', 'secret-id'];
const OPTIONS: Readonly<Record<string, FlagSpec>> = {
  'keys create': { values: ['name', 'scopes', 'workspace', ...SECRET], switches: ['local'] },
  'keys rotate': { values: ['name', ...SECRET], switches: [] },
  'keys revoke': { values: ['name', ...SECRET], switches: [] },
  'keys list': { values: SECRET, switches: [] },
  // --version is the old spelling of --api-version (it names the Intercom API version, not ours).
  'workspace set': {
    values: ['name', 'region', 'api-version', 'version', 'app-id', ...SECRET, 'webhook-secret-id'],
    switches: ['default'],
  },
  'workspace migrate': { values: [...SECRET, 'webhook-secret-id'], switches: [] },
  'workspace list': { values: SECRET, switches: [] },
};

/** The options of `keys <sub>` or `workspace <sub>`, checked against what that command takes. */
function parseFlags(command: string, words: readonly string[]): Flags {
  return Object.fromEntries(parseOptions(words, OPTIONS[command]!, command, { positionals: false }).flags);
}

function text(flags: Flags, name: string): string | undefined {
  const value = flags[name];
  if (value === true) throw new UsageError(`--${name} needs a value`);
  return value;
}

function secretId(flags: Flags, kind: 'api-keys' | 'workspaces'): string {
  return text(flags, 'secret-id') ?? `intercom-actions/${text(flags, 'stage') ?? 'dev'}/${kind}`;
}

/** The document in a secret, or an empty one when the secret still holds CloudFormation's random placeholder. */
function document(raw: string | undefined): Record<string, unknown> {
  if (!raw) return {};
  try {
    const parsed = JSON.parse(raw) as unknown;
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

interface StoredKey {
  id?: string;
  name: string;
  sha256: string;
  scopes: ApiKeyScope[];
  workspace?: string;
  createdAt?: string;
  rotatedAt?: string;
  /** A hand-written entry may hold the key itself instead of its hash. */
  key?: string;
}

export const KEYS_HELP = `intercom-actions keys create --name <name> [--scopes read,write,delete,bulk] [--workspace <name>] [--stage dev | --secret-id <id>] [--local]
intercom-actions keys rotate --name <name> [--stage dev | --secret-id <id>]
intercom-actions keys list [--stage dev | --secret-id <id>]
intercom-actions keys revoke --name <name> [--stage dev | --secret-id <id>]

create prints a new key once; only its SHA-256 is stored (in the stack's API keys secret, or with --local
as an API_KEYS_JSON entry to paste), with a new id (key_...): the identity that owns the key's bulk
jobs. Names are unique. rotate gives a key a new secret, printed once, and keeps its id, scopes and
workspace; the old secret stops working. revoke removes a key and records its id as revoked, so no key
takes it again. Running functions re-read the secret at most every 5 minutes: changes take effect within
5 minutes. AWS credentials and region come from the usual AWS environment.`;

export const WORKSPACE_HELP = `intercom-actions workspace set --name <name> [--region us|eu|au] [--api-version 1.0-1.4] [--app-id <id>] [--default] [--stage dev | --secret-id <id> [--webhook-secret-id <id>]]
intercom-actions workspace migrate [--stage dev | --secret-id <id> [--webhook-secret-id <id>]]
intercom-actions workspace list [--stage dev | --secret-id <id>]

set reads the Intercom access token from INTERCOM_ACCESS_TOKEN and webhook secrets from
INTERCOM_WEBHOOK_SECRET (comma-separated), never from the command line. The token, region and version
go into the stack's workspaces secret; the webhook secrets and --app-id into its webhook secrets
secret, which only the webhook intake reads. migrate moves the webhook secrets and app ids a
workspaces secret from before that split still holds into the webhook secrets secret (set does it too).`;

export async function keysCommand(words: readonly string[], io: SecretsCliIo): Promise<number> {
  const [sub, ...rest] = words;
  if (!sub || sub === '--help' || rest.includes('--help')) {
    io.out(KEYS_HELP);
    return sub ? 0 : 2;
  }
  if (!OPTIONS[`keys ${sub}`]) throw new UsageError(`Unknown keys command "${sub}"\n\n${KEYS_HELP}`);
  const flags = parseFlags(`keys ${sub}`, rest);
  const id = secretId(flags, 'api-keys');
  if (sub === 'create') {
    const name = text(flags, 'name');
    if (!name || !/^[\w.-]{1,64}$/.test(name))
      throw new UsageError('--name is required (letters, digits, . _ -)');
    const scopes = (text(flags, 'scopes') ?? API_KEY_SCOPES.join(','))
      .split(',')
      .map((s) => s.trim()) as ApiKeyScope[];
    if (!scopes.every((s) => API_KEY_SCOPES.includes(s)))
      throw new UsageError(`--scopes takes ${API_KEY_SCOPES.join(', ')}`);
    const key = generateApiKey();
    const entry: StoredKey = {
      id: generateKeyId(),
      name,
      sha256: sha256Hex(key),
      scopes,
      createdAt: new Date().toISOString(),
    };
    const workspace = text(flags, 'workspace');
    if (workspace) entry.workspace = workspace;
    if (flags.local) {
      io.out(`API key (shown once): ${key}\nAdd to API_KEYS_JSON: ${JSON.stringify({ keys: [entry] })}`);
      return 0;
    }
    const store = await io.store();
    const stored = keysDocument(await store.read(id));
    if (stored.keys.some((k) => k.name === name))
      throw new ConfigError(
        `API key name "${name}" is already used in ${id} (names are unique): revoke that key or pick another name`,
      );
    await save(store, id, { ...stored, keys: [...stored.keys, entry] });
    io.out(
      `API key "${name}" (id ${entry.id}; ${scopes.join(', ')}) stored as a hash in ${id}.\nKey (shown once, store it now): ${key}\nFunctions accept it within 5 minutes.`,
    );
    return 0;
  }
  if (sub === 'list' || sub === 'rotate' || sub === 'revoke') {
    const store = await io.store();
    const stored = keysDocument(await store.read(id));
    // Each entry parsed for its id (derived from its hash when it has none); one by one, so that a
    // document with a duplicate can still be listed and repaired.
    const records = stored.keys.map((k, i) => parseApiKey(k, i, undefined, '(default)'));
    if (sub === 'list') {
      io.out(
        records.length
          ? records
              .map(
                (k, i) =>
                  `${k.id}\t${k.name}\t${k.scopes.join(',')}\t${k.workspace}\t${stored.keys[i]!.createdAt ?? ''}`,
              )
              .join('\n')
          : 'no API keys',
      );
      return 0;
    }
    const name = text(flags, 'name');
    if (!name) throw new UsageError('--name is required');
    const index = records.findIndex((k) => k.name === name);
    if (index < 0) throw new UsageError(`No key named "${name}"`);
    const keyId = records[index]!.id;
    if (sub === 'rotate') {
      const key = generateApiKey();
      const { key: _plain, ...entry } = stored.keys[index]!;
      const keys = stored.keys.with(index, {
        ...entry,
        // Written out, so that a key whose id was derived from its old hash keeps it.
        id: keyId,
        sha256: sha256Hex(key),
        rotatedAt: new Date().toISOString(),
      });
      await save(store, id, { ...stored, keys });
      io.out(
        `Rotated "${name}" (id ${keyId}): a new secret, same id, scopes and workspace; the old one stops working within 5 minutes.\nKey (shown once, store it now): ${key}`,
      );
      return 0;
    }
    const keys = stored.keys.filter((_, i) => i !== index);
    const revoked = stored.revoked.includes(keyId) ? stored.revoked : [...stored.revoked, keyId];
    await save(store, id, { ...stored, keys, revoked });
    io.out(
      `Revoked "${name}" (id ${keyId}): functions refuse it within 5 minutes; its id is never used again.`,
    );
    return 0;
  }
  throw new UsageError(`Unknown keys command "${sub}"\n\n${KEYS_HELP}`);
}

interface KeysDocument {
  /** The whole document, so fields this version does not know are written back as they were. */
  doc: Record<string, unknown>;
  keys: StoredKey[];
  revoked: string[];
}

function keysDocument(raw: string | undefined): KeysDocument {
  const doc = document(raw);
  return {
    doc,
    keys: (Array.isArray(doc.keys) ? doc.keys : []) as StoredKey[],
    revoked: (Array.isArray(doc.revoked) ? doc.revoked : []) as string[],
  };
}

/** Writes the document only when the functions would load it (unique names and ids, none revoked). */
async function save(
  store: SecretStore,
  secretId: string,
  { doc, keys, revoked }: KeysDocument,
): Promise<void> {
  const next = { ...doc, keys, revoked };
  parseApiKeys(next, { workspaces: undefined, defaultWorkspace: 'default' });
  await store.write(secretId, JSON.stringify(next, null, 2));
}

/** `--api-version`, or its old spelling `--version` with a notice on stderr. */
function apiVersion(flags: Flags, io: SecretsCliIo): string | undefined {
  const current = text(flags, 'api-version');
  const old = text(flags, 'version');
  if (old === undefined) return current;
  if (current !== undefined)
    throw new UsageError('--version is the old spelling of --api-version: give only --api-version');
  io.err(
    'notice: workspace set --version is renamed --api-version (the Intercom API version); the old spelling still works for now',
  );
  return old;
}

/**
 * The webhook secrets secret: `--webhook-secret-id`, the one beside the workspaces secret `--secret-id`
 * names, or the stage's; undefined when `--secret-id` names a secret it cannot be told beside.
 */
function webhookSecretId(flags: Flags): string | undefined {
  const explicit = text(flags, 'webhook-secret-id');
  if (explicit) return explicit;
  const workspacesId = text(flags, 'secret-id');
  if (workspacesId === undefined) return `intercom-actions/${text(flags, 'stage') ?? 'dev'}/webhook-secrets`;
  if (workspacesId.endsWith('/workspaces'))
    return `${workspacesId.slice(0, -'workspaces'.length)}webhook-secrets`;
  return undefined;
}

type Entries = Record<string, Record<string, unknown>>;

function entries(doc: Record<string, unknown>): Entries {
  return (doc.workspaces && typeof doc.workspaces === 'object' ? doc.workspaces : {}) as Entries;
}

/** JSON, not CloudFormation's placeholder. */
function holdsDocument(raw: string | undefined): boolean {
  try {
    return raw !== undefined && typeof JSON.parse(raw) === 'object';
  } catch {
    return false;
  }
}

/**
 * Moves the `webhookSecrets` and `appId` a workspaces document from before the webhook secrets secret
 * still holds into `hooks`; where `hooks` already has the workspace, its entry is kept (it is what the
 * intake reads) and the old fields are dropped. Says what it did, or undefined when nothing was there.
 */
function moveWebhookFields(
  workspaces: Entries,
  hooks: Entries,
  from: string,
  to: string,
): string | undefined {
  const moved: string[] = [];
  const kept: string[] = [];
  for (const [name, entry] of Object.entries(workspaces)) {
    if (!('webhookSecrets' in entry) && !('appId' in entry)) continue;
    const { webhookSecrets, appId, ...rest } = entry;
    workspaces[name] = rest;
    if (name in hooks) kept.push(name);
    else
      hooks[name] = {
        ...(webhookSecrets === undefined ? {} : { webhookSecrets }),
        ...(typeof appId === 'string' && appId ? { appId } : {}),
      };
    moved.push(name);
  }
  if (moved.length === 0) return undefined;
  return `Moved the webhook secrets and app ids of ${moved.join(', ')} from ${from} to ${to}${kept.length > 0 ? ` (it already held ${kept.join(', ')}: kept as it was)` : ''}`;
}

/**
 * Writes the webhook secrets document and, with `writeWorkspaces`, the workspaces document, each only
 * if the functions will load it; the webhook secrets first, so a moved one is never in neither.
 */
async function saveWorkspaces(
  store: SecretStore,
  ids: { workspaces: string; webhooks: string },
  workspacesDoc: Record<string, unknown>,
  webhooksDoc: Record<string, unknown>,
  writeWorkspaces = true,
): Promise<void> {
  // The default workspace is the workspaces document's; the webhook intake routes to it too.
  const hooks = entries(webhooksDoc);
  if (typeof workspacesDoc.default === 'string' && workspacesDoc.default in hooks)
    webhooksDoc.default = workspacesDoc.default;
  else delete webhooksDoc.default;
  if (writeWorkspaces) parseWorkspaces(workspacesDoc);
  parseWebhookSecrets(webhooksDoc);
  await store.write(ids.webhooks, JSON.stringify(webhooksDoc, null, 2));
  if (writeWorkspaces) await store.write(ids.workspaces, JSON.stringify(workspacesDoc, null, 2));
}

export async function workspaceCommand(words: readonly string[], io: SecretsCliIo): Promise<number> {
  const [sub, ...rest] = words;
  if (!sub || sub === '--help' || rest.includes('--help')) {
    io.out(WORKSPACE_HELP);
    return sub ? 0 : 2;
  }
  if (!OPTIONS[`workspace ${sub}`])
    throw new UsageError(`Unknown workspace command "${sub}"\n\n${WORKSPACE_HELP}`);
  const flags = parseFlags(`workspace ${sub}`, rest);
  const id = secretId(flags, 'workspaces');
  const store = await io.store();
  const doc = document(await store.read(id));
  const workspaces = (doc.workspaces && typeof doc.workspaces === 'object' ? doc.workspaces : {}) as Record<
    string,
    Record<string, unknown>
  >;
  if (sub === 'list') {
    const names = Object.keys(workspaces);
    io.out(
      names.length
        ? names
            .map(
              (n) =>
                `${n}${n === doc.default ? ' (default)' : ''}\t${workspaces[n]!.region ?? 'us'}\t${workspaces[n]!.version ?? ''}`,
            )
            .join('\n')
        : 'no workspaces',
    );
    return 0;
  }
  const webhooksId = webhookSecretId(flags);
  const ids = { workspaces: id, webhooks: webhooksId ?? '' };
  const rawHooks = webhooksId === undefined ? undefined : await store.read(webhooksId);
  const webhooksDoc = document(rawHooks);
  const hooks = entries(webhooksDoc);
  webhooksDoc.workspaces = hooks;
  // Where the webhook secrets cannot go (yet): what to do about it.
  const missing =
    webhooksId === undefined
      ? new UsageError('--webhook-secret-id is needed with a --secret-id that does not end in /workspaces')
      : new ConfigError(
          `The webhook secrets secret ${webhooksId} does not exist: deploy the stack (npx cdk deploy), which creates it, then run this again`,
        );
  if (sub === 'migrate') {
    if (rawHooks === undefined) throw missing;
    const moved = moveWebhookFields(workspaces, hooks, id, ids.webhooks);
    if (moved === undefined && holdsDocument(rawHooks)) {
      io.out(`Nothing to move: ${id} holds no webhook secrets or app ids.`);
      return 0;
    }
    await saveWorkspaces(store, ids, { ...doc, workspaces }, webhooksDoc, moved !== undefined);
    io.out(
      moved !== undefined
        ? `${moved}; the webhook intake reads them within 5 minutes.`
        : `Nothing to move from ${id}; ${ids.webhooks} now holds an empty document (add webhook secrets with workspace set).`,
    );
    return 0;
  }
  const name = text(flags, 'name');
  if (!name || !/^[\w.-]{1,64}$/.test(name))
    throw new UsageError('--name is required (letters, digits, . _ -)');
  const token = io.env.INTERCOM_ACCESS_TOKEN;
  if (!token)
    throw new ConfigError(
      'Set INTERCOM_ACCESS_TOKEN in the environment (it is never taken from the command line)',
    );
  const entry: Record<string, unknown> = {
    ...workspaces[name],
    accessToken: token,
    region: parseRegion(text(flags, 'region') ?? workspaces[name]?.region, '--region'),
  };
  const version = apiVersion(flags, io);
  if (version) entry.version = parseVersion(version, '--api-version');
  const appId = text(flags, 'app-id');
  const webhookSecrets = io.env.INTERCOM_WEBHOOK_SECRET?.split(',').filter(Boolean);
  const next = { ...doc, workspaces: { ...workspaces, [name]: entry } } as Record<string, unknown>;
  if (flags.default || !next.default) next.default = name;
  if (rawHooks === undefined) {
    // A stack deployed before the webhook secrets secret (or a workspaces secret named without one
    // beside it): the workspaces secret as it was.
    if (appId || webhookSecrets) throw missing;
    parseWorkspaces(next);
    await store.write(id, JSON.stringify(next, null, 2));
    io.out(`Workspace "${name}" stored in ${id}${next.default === name ? ' (default)' : ''}.`);
    return 0;
  }
  const moved = moveWebhookFields(entries(next), hooks, id, ids.webhooks);
  if (appId || webhookSecrets) {
    hooks[name] = {
      ...hooks[name],
      ...(webhookSecrets ? { webhookSecrets } : {}),
      ...(appId ? { appId } : {}),
    };
  }
  await saveWorkspaces(store, ids, next, webhooksDoc);
  io.out(
    [
      `Workspace "${name}" stored in ${id}${next.default === name ? ' (default)' : ''}.`,
      ...(appId || webhookSecrets ? [`Its webhook secrets and app id are in ${ids.webhooks}.`] : []),
      ...(moved !== undefined ? [`${moved}.`] : []),
    ].join('\n'),
  );
  return 0;
}
