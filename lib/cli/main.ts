/**
 * `npx intercom-actions`: runs operations through the same catalog, validation, client and error
 * shapes as the HTTP API, straight against Intercom (or the sandbox).
 */

import { readFileSync } from 'node:fs';
import { executeAction, ResultsPathError } from '../actions/execute.ts';
import { findOperation, type Operation, operations } from '../catalog/index.ts';
import { loadConfig } from '../config/index.ts';
import { ConfigError } from '../config/parse.ts';
import { errorBody, HttpError, toHttpError } from '../http/errors.ts';
import { IntercomClient } from '../intercom/client.ts';
import { awsSecretStore } from '../secrets/store.ts';
import { normalizeInput, type ValidatorMap, validateInput } from '../validation/validate.ts';
import { workspaceClientOptions } from '../workspaces/clients.ts';
import { ApiError } from './api-client.ts';
import { parseCallArguments, parseOptions, UsageError } from './arguments.ts';
import { automationsCommand } from './automations.ts';
import { type BulkIo, bulkCommand } from './bulk.ts';
import { exportCommand } from './export.ts';
import type { CliIo } from './io.ts';
import { keysCommand, workspaceCommand } from './secrets.ts';
import { smokeCommand } from './smoke.ts';

const HELP = `intercom-actions: Intercom REST API 1.x operations from the command line

Usage:
  intercom-actions operations [--json]                 list the 57 operations and their parameters
  intercom-actions call <operation> [key=value ...] [key:=<json> ...] [--body @file.json|<json>]
                                                       run one operation and print {"data", "next"} as JSON
  intercom-actions call <operation> --help             the operation's parameters
  intercom-actions keys create|rotate|list|revoke ...  API keys of a deployed stack (see keys --help)
  intercom-actions workspace set|migrate|list ...      Intercom workspaces of a deployed stack
  intercom-actions bulk <operation> --file items.jsonl|items.csv [--dry-run] ...
                                                       run a file of items as a bulk job through the HTTP API
  intercom-actions bulk status|failures|retry|recover <jobId>  a bulk job's progress, failed items, retry, requeue (see bulk --help)
  intercom-actions automations validate|log ...        check a rules file; the automation run log (see automations --help)
  intercom-actions smoke [--url URL] [--key KEY]       read-only checks of a deployed (or local) stack (see smoke --help)
  intercom-actions --version                           this package's version
  intercom-actions export <operation> --out FILE       export a whole population (or one tag's or segment's members) to a file through the HTTP API (see export --help)
  intercom-actions --help

Options take --name value or --name=value; an unknown option is a usage error; -- ends the options.

Configuration (environment): INTERCOM_ACCESS_TOKEN (required), INTERCOM_REGION (us|eu|au),
INTERCOM_BASE_URL (e.g. the sandbox, http://127.0.0.1:4010), INTERCOM_VERSION (1.0-1.4, default 1.4).
List operations also take resultsPath=users limit=100 next=<cursor>.
Exit status: 0 success, 1 the operation failed (error JSON on stderr), 2 usage or configuration error.`;

function describeOperation(op: Operation): string {
  const lines = [
    `${op.name} (${op.group}, scope ${op.scope}): ${op.summary}`,
    `  Intercom: ${op.method} ${op.path}`,
  ];
  for (const [name, param] of Object.entries(op.params)) {
    lines.push(`  ${name}${param.required ? ' (required)' : ''} [${param.in}]: ${param.description}`);
  }
  if (op.body) lines.push(`  --body${op.body.required ? ' (required)' : ''}: ${op.body.description}`);
  if (op.resultsKeys) lines.push('  resultsPath, limit, next: list controls');
  if (op.notes) lines.push(`  Note: ${op.notes}`);
  return lines.join('\n');
}

function listOperations(json: boolean): string {
  if (json) {
    return JSON.stringify(
      operations.map((op) => ({
        name: op.name,
        group: op.group,
        scope: op.scope,
        method: op.method,
        path: op.path,
        params: Object.keys(op.params),
        body: Boolean(op.body),
      })),
      null,
      2,
    );
  }
  return operations
    .map((op) => {
      const params = [
        ...Object.entries(op.params).map(([n, p]) => (p.required ? `${n}*` : n)),
        ...(op.body ? [op.body.required ? 'body*' : 'body'] : []),
      ];
      return `${op.name.padEnd(36)} ${op.scope.padEnd(6)} ${`${op.method} ${op.path}`.padEnd(52)} ${params.join(' ')}`;
    })
    .join('\n');
}

async function call(words: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = words;
  if (!name || name === '--help' || name === '-h') {
    io.out(HELP);
    return name ? 0 : 2;
  }
  const op = findOperation(name);
  if (!op)
    throw new HttpError(
      404,
      'unknown_operation',
      `Unknown operation "${name}"; see intercom-actions operations`,
    );
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(describeOperation(op));
    return 0;
  }
  const input = normalizeInput(parseCallArguments(op, rest));
  const validators = (await import(`../validation/generated/${op.group}.ts`)) as ValidatorMap;
  const details = validateInput(validators[op.name]!, input);
  if (details.length > 0) throw new HttpError(400, 'validation_failed', 'Invalid parameters', { details });
  const config = await loadConfig(io.env, { requireApiKeys: false });
  const client = new IntercomClient(workspaceClientOptions(config.workspaces.get(config.defaultWorkspace)!));
  try {
    const result = await executeAction(client, op, input, {
      budgetMs: 10 * 60_000,
      hardDeadline: Date.now() + 15 * 60_000,
    });
    io.out(
      JSON.stringify(
        result.next === undefined ? { data: result.data } : { data: result.data, next: result.next },
        null,
        2,
      ),
    );
    return 0;
  } catch (error) {
    if (error instanceof ResultsPathError) {
      throw new HttpError(400, 'validation_failed', 'Invalid parameters', {
        details: [{ path: '/resultsPath', message: error.message }],
      });
    }
    throw error;
  }
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** Words before any command: `--version`, `--help`. */
function globalOptions(argv: readonly string[], io: CliIo): number {
  const parsed = parseOptions(argv, { values: [], switches: ['version'] }, 'intercom-actions', {
    positionals: false,
  });
  if (parsed.flags.has('version')) {
    io.out(packageVersion());
    return 0;
  }
  io.out(HELP);
  return parsed.flags.has('help') ? 0 : 2;
}

/** `io` may carry the bulk commands' terminal and interrupt (BulkIo); plain CliIo works too. */
export type { CliIo } from './io.ts';

export async function runCli(argv: readonly string[], io: CliIo | BulkIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command?.startsWith('-')) return globalOptions(argv, io);
    switch (command) {
      case undefined:
      case 'help':
        io.out(HELP);
        return command === undefined ? 2 : 0;
      case 'operations': {
        const parsed = parseOptions(rest, { values: [], switches: ['json'] }, 'operations', {
          positionals: false,
        });
        if (parsed.flags.has('help')) {
          io.out(
            'intercom-actions operations [--json]: the operations, their scope, Intercom request and parameters (* = required)',
          );
          return 0;
        }
        io.out(listOperations(parsed.flags.has('json')));
        return 0;
      }
      case 'call':
        return await call(rest, io);
      case 'keys':
        return await keysCommand(rest, {
          out: io.out,
          err: io.err,
          env: io.env,
          store: io.store ?? (() => awsSecretStore()),
        });
      case 'workspace':
        return await workspaceCommand(rest, {
          out: io.out,
          err: io.err,
          env: io.env,
          store: io.store ?? (() => awsSecretStore()),
        });
      case 'bulk':
        return await bulkCommand(rest, io);
      case 'automations':
        return await automationsCommand(rest, io);
      case 'smoke':
        return await smokeCommand(rest, io);
      case 'export':
        return await exportCommand(rest, io);
      default:
        io.err(`Unknown command "${command}"\n\n${HELP}`);
        return 2;
    }
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError) {
      io.err(`${error instanceof ConfigError ? 'configuration error' : 'usage'}: ${error.message}`);
      return 2;
    }
    if (error instanceof ApiError) {
      // The API's own error JSON, as it answered.
      io.err(JSON.stringify(error.body, null, 2));
      return 1;
    }
    const httpError = toHttpError(error);
    io.err(JSON.stringify(errorBody(httpError, 'cli'), null, 2));
    return 1;
  }
}
