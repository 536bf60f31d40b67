/**
 * `intercom-actions keys ...` and `intercom-actions workspace ...`: put API keys (hashes only) and
 * Intercom workspaces into the deployed stack's secrets. A key is printed once and never stored.
 */
import { generateApiKey } from '../auth/api-keys.ts';
import type { ApiKeyScope } from '../catalog/types.ts';
import {
  API_KEY_SCOPES,
  ConfigError,
  parseApiKeys,
  parseRegion,
  parseVersion,
  parseWorkspaces,
  sha256Hex,
} from '../config/parse.ts';
import type { SecretStore } from '../secrets/store.ts';
import { UsageError } from './arguments.ts';

export interface SecretsCliIo {
  out: (text: string) => void;
  env: Readonly<Record<string, string | undefined>>;
  store: () => Promise<SecretStore>;
}

interface Flags {
  [name: string]: string | true;
}

export function parseFlags(words: readonly string[]): Flags {
  const flags: Flags = {};
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (!word.startsWith('--')) throw new UsageError(`Unexpected "${word}"`);
    const [name, inline] = word.slice(2).split('=', 2) as [string, string | undefined];
    const next = words[i + 1];
    if (inline !== undefined) flags[name] = inline;
    else if (next !== undefined && !next.startsWith('--')) {
      flags[name] = next;
      i++;
    } else flags[name] = true;
  }
  return flags;
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
  name: string;
  sha256: string;
  scopes: ApiKeyScope[];
  workspace?: string;
  createdAt?: string;
}

export const KEYS_HELP = `intercom-actions keys create --name <name> [--scopes read,write,delete,bulk] [--workspace <name>] [--stage dev | --secret-id <id>] [--local]
intercom-actions keys list [--stage dev | --secret-id <id>]
intercom-actions keys revoke --name <name> [--stage dev | --secret-id <id>]

create prints a new key once; only its SHA-256 is stored (in the stack's API keys secret, or with --local
as an API_KEYS_JSON entry to paste). AWS credentials and region come from the usual AWS environment.`;

export const WORKSPACE_HELP = `intercom-actions workspace set --name <name> [--region us|eu|au] [--version 1.0-1.4] [--app-id <id>] [--default] [--stage dev | --secret-id <id>]
intercom-actions workspace list [--stage dev | --secret-id <id>]

set reads the Intercom access token from INTERCOM_ACCESS_TOKEN and webhook secrets from
INTERCOM_WEBHOOK_SECRET (comma-separated), never from the command line, and stores them in the
stack's workspaces secret.`;

export async function keysCommand(words: readonly string[], io: SecretsCliIo): Promise<number> {
  const [sub, ...rest] = words;
  if (!sub || sub === '--help' || rest.includes('--help')) {
    io.out(KEYS_HELP);
    return sub ? 0 : 2;
  }
  const flags = parseFlags(rest);
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
    const entry: StoredKey = { name, sha256: sha256Hex(key), scopes, createdAt: new Date().toISOString() };
    const workspace = text(flags, 'workspace');
    if (workspace) entry.workspace = workspace;
    if (flags.local) {
      io.out(`API key (shown once): ${key}\nAdd to API_KEYS_JSON: ${JSON.stringify({ keys: [entry] })}`);
      return 0;
    }
    const store = await io.store();
    const doc = document(await store.read(id));
    const keys = (Array.isArray(doc.keys) ? doc.keys : []) as StoredKey[];
    if (keys.some((k) => k.name === name))
      throw new UsageError(`A key named "${name}" exists; revoke it first or pick another name`);
    keys.push(entry);
    parseApiKeys({ keys }, { workspaces: undefined, defaultWorkspace: 'default' });
    await store.write(id, JSON.stringify({ ...doc, keys }, null, 2));
    io.out(
      `API key "${name}" (${scopes.join(', ')}) stored as a hash in ${id}.\nKey (shown once, store it now): ${key}\nFunctions pick it up within 5 minutes (secret cache).`,
    );
    return 0;
  }
  if (sub === 'list' || sub === 'revoke') {
    const store = await io.store();
    const doc = document(await store.read(id));
    const keys = (Array.isArray(doc.keys) ? doc.keys : []) as StoredKey[];
    if (sub === 'list') {
      io.out(
        keys.length
          ? keys
              .map(
                (k) =>
                  `${k.name}\t${k.scopes.join(',')}\t${k.workspace ?? '(default)'}\t${k.createdAt ?? ''}`,
              )
              .join('\n')
          : 'no API keys',
      );
      return 0;
    }
    const name = text(flags, 'name');
    if (!name) throw new UsageError('--name is required');
    const kept = keys.filter((k) => k.name !== name);
    if (kept.length === keys.length) throw new UsageError(`No key named "${name}"`);
    await store.write(id, JSON.stringify({ ...doc, keys: kept }, null, 2));
    io.out(`Revoked "${name}" (effective within 5 minutes, the secret cache).`);
    return 0;
  }
  throw new UsageError(`Unknown keys command "${sub}"\n\n${KEYS_HELP}`);
}

export async function workspaceCommand(words: readonly string[], io: SecretsCliIo): Promise<number> {
  const [sub, ...rest] = words;
  if (!sub || sub === '--help' || rest.includes('--help')) {
    io.out(WORKSPACE_HELP);
    return sub ? 0 : 2;
  }
  const flags = parseFlags(rest);
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
  if (sub !== 'set') throw new UsageError(`Unknown workspace command "${sub}"\n\n${WORKSPACE_HELP}`);
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
  const version = text(flags, 'version');
  if (version) entry.version = parseVersion(version, '--version');
  const appId = text(flags, 'app-id');
  if (appId) entry.appId = appId;
  if (io.env.INTERCOM_WEBHOOK_SECRET)
    entry.webhookSecrets = io.env.INTERCOM_WEBHOOK_SECRET.split(',').filter(Boolean);
  const next = { ...doc, workspaces: { ...workspaces, [name]: entry } } as Record<string, unknown>;
  if (flags.default || !next.default) next.default = name;
  parseWorkspaces(next);
  await store.write(id, JSON.stringify(next, null, 2));
  io.out(`Workspace "${name}" stored in ${id}${next.default === name ? ' (default)' : ''}.`);
  return 0;
}
