/** `intercom-actions automations validate|log`: check a rules file; read the automation run log of a stack. */
import { loadRulesFile, RuleValidationError } from '../automations/index.ts';
import type { NotificationRun } from '../automations/run-records.ts';
import { DEFAULT_RULES_FILE } from '../automations/settings.ts';
import { apiTarget, BulkApiClient } from './api-client.ts';
import { type FlagSpec, integerFlag, parseOptions, stringFlag, UsageError } from './arguments.ts';

export const AUTOMATIONS_HELP = `intercom-actions automations validate [--file automations.yaml]
    Checks a rules file as the stack and \`cdk synth\` do (default: $AUTOMATIONS_FILE or ${DEFAULT_RULES_FILE}).
intercom-actions automations log [--limit 50] [--notification <id>] [--json] [--url URL] [--key KEY]
    The newest automation runs of the key's workspace: which rules ran for each notification and how
    each action ended. --notification shows one run. URL and key as for bulk (INTERCOM_ACTIONS_URL,
    INTERCOM_ACTIONS_KEY or API_KEY; a key with the read scope).
intercom-actions automations fire <rule> [--url URL] [--key KEY]
    Fires a scheduled rule now (POST /automations/rules/{name}/fire), locally (npm start's URL and key
    by default) or on a deployment; the run then shows in \`automations log\`. A key with the write scope.`;

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  env: Readonly<Record<string, string | undefined>>;
}

/** One action's outcome; a for-each action's with its bulk job and counts. */
function describeAction(a: NotificationRun['rules'][number]['actions'][number]): string {
  const error = a.error ? ` (${a.error.code})` : '';
  const job =
    a.matched === undefined
      ? ''
      : ` [${a.matched} of ${a.scanned ?? 0} records${a.truncated ? ', truncated' : ''}${a.jobId ? `, job ${a.jobId}` : ''}]`;
  return `${a.operation} ${a.status}${error}${job}`;
}

function describeRun(run: NotificationRun): string {
  const rules = run.rules.length
    ? run.rules
        .map((rule) =>
          rule.status === 'skipped'
            ? `${rule.rule}: skipped (${rule.reason})`
            : `${rule.rule}: ${rule.actions.map(describeAction).join(', ') || 'no actions'}`,
        )
        .join('; ')
    : 'no rule matched';
  return `${new Date(run.finishedAt).toISOString()}  ${run.topic}  ${run.objectKey}  ${run.notificationId}  ${rules}`;
}

const OPTIONS: Readonly<Record<'validate' | 'log' | 'fire', FlagSpec>> = {
  validate: { values: ['file'], switches: [] },
  log: { values: ['limit', 'notification', 'url', 'key'], switches: ['json'] },
  fire: { values: ['url', 'key'], switches: ['json'] },
};

export async function automationsCommand(words: readonly string[], io: Io): Promise<number> {
  const [sub, ...rest] = words;
  if (sub === undefined || sub === '--help' || sub === '-h') {
    io.out(AUTOMATIONS_HELP);
    return sub === undefined ? 2 : 0;
  }
  if (sub !== 'validate' && sub !== 'log' && sub !== 'fire')
    throw new UsageError(`Unknown automations command "${sub}" (validate, log, fire)`);
  const parsed = parseOptions(rest, OPTIONS[sub], `automations ${sub}`, { positionals: sub === 'fire' });
  if (parsed.flags.has('help')) {
    io.out(AUTOMATIONS_HELP);
    return 0;
  }
  if (sub === 'validate') {
    const file = stringFlag(parsed, 'file') ?? io.env.AUTOMATIONS_FILE ?? DEFAULT_RULES_FILE;
    try {
      const rules = loadRulesFile(file);
      io.out(`${file}: ${rules.rules.length} rule(s), valid`);
      return 0;
    } catch (error) {
      if (!(error instanceof RuleValidationError)) throw error;
      io.err(error.message);
      return 1;
    }
  }
  const client = new BulkApiClient(
    apiTarget({ url: stringFlag(parsed, 'url'), key: stringFlag(parsed, 'key') }, io.env),
  );
  const json = parsed.flags.has('json');
  if (sub === 'fire') {
    const [rule, ...extra] = parsed.positionals;
    if (rule === undefined || extra.length > 0)
      throw new UsageError('automations fire takes one rule name: intercom-actions automations fire <rule>');
    const fired = await client.postJson<{
      notificationId: string;
      rule: string;
      workspace: string;
      time: string;
    }>(`automations/rules/${encodeURIComponent(rule)}/fire`, {});
    io.out(
      json
        ? JSON.stringify(fired, null, 2)
        : `fired ${fired.rule} in workspace ${fired.workspace} at ${fired.time}: notification ${fired.notificationId} (intercom-actions automations log --notification ${fired.notificationId})`,
    );
    return 0;
  }
  const id = stringFlag(parsed, 'notification');
  if (id !== undefined) {
    const { run } = await client.getJson<{ run: NotificationRun }>(
      `automations/runs/${encodeURIComponent(id)}`,
    );
    io.out(json ? JSON.stringify(run, null, 2) : describeRun(run));
    return 0;
  }
  const limit = integerFlag(parsed, 'limit', 50, 1, 200);
  const { runs } = await client.getJson<{ runs: NotificationRun[] }>(`automations/runs?limit=${limit}`);
  io.out(json ? JSON.stringify(runs, null, 2) : runs.map(describeRun).join('\n') || 'no automation runs yet');
  return 0;
}
