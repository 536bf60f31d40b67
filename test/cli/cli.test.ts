import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { getOperation } from '../../lib/catalog/index.ts';
import { parseCallArguments, typedValue } from '../../lib/cli/arguments.ts';
import { runCli } from '../../lib/cli/main.ts';

async function cli(argv: string[], env: Record<string, string> = {}) {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), env });
  return { code, out, err };
}

describe('intercom-actions CLI', () => {
  it('prints help everywhere', async () => {
    expect((await cli(['--help'])).out).toContain('intercom-actions call <operation>');
    expect((await cli([])).code).toBe(2);
    expect((await cli(['operations', '--help'])).code).toBe(0);
    const op = await cli(['call', 'set_admin_away', '--help']);
    expect(op.out).toContain('away_mode_enabled [body]');
  });

  it('lists all 57 operations, also as JSON', async () => {
    expect((await cli(['operations'])).out.trim().split('\n')).toHaveLength(57);
    const json = JSON.parse((await cli(['operations', '--json'])).out);
    expect(json).toHaveLength(57);
    expect(json.find((o: { name: string }) => o.name === 'scroll_users')).toMatchObject({
      scope: 'read',
      path: '/users/scroll',
    });
  });

  it('fails with the contract error JSON and exit 1 for invalid input, before any network use', async () => {
    const res = await cli(['call', 'list_users', 'order=sideways']);
    expect(res.code).toBe(1);
    expect(JSON.parse(res.err).error).toMatchObject({
      status: 400,
      code: 'validation_failed',
      details: [{ path: '/order' }],
    });
    const unknown = await cli(['call', 'drop_everything']);
    expect(JSON.parse(unknown.err).error).toMatchObject({ status: 404, code: 'unknown_operation' });
    // Parsed, 1e309 is Infinity: sent, it would have been null (the attribute cleared).
    const big = await cli([
      'call',
      'create_update_user',
      '--body',
      '{"user_id":"1","custom_attributes":{"x":1e309}}',
    ]);
    expect(big.code).toBe(1);
    expect(JSON.parse(big.err).error).toMatchObject({
      status: 400,
      code: 'validation_failed',
      details: [
        {
          path: '/body/custom_attributes/x',
          message: 'is a number too large for JSON (it would be sent as null)',
        },
      ],
    });
  });

  it('exits 2 on usage and configuration errors', async () => {
    expect((await cli(['call', 'get_user', 'oops'])).code).toBe(2);
    expect((await cli(['call', 'create_tag', '--body', '{bad'])).code).toBe(2);
    const missing = await cli(['call', 'create_tag', '--body', '@/no/such/file.json']);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('cannot read /no/such/file.json (ENOENT)');
    const noToken = await cli(['call', 'get_user', 'id=1']);
    expect(noToken.code).toBe(2);
    expect(noToken.err).toContain('INTERCOM_ACCESS_TOKEN');
    expect((await cli(['frobnicate'])).code).toBe(2);
  });

  it('types key=value by the schema and reads key:=json and --body', () => {
    const op = getOperation('get_count');
    expect(parseCallArguments(op, ['type=user', 'count=5'])).toEqual({ type: 'user', count: '5' });
    expect(parseCallArguments(getOperation('list_conversations'), ['open=true', 'type=admin'])).toEqual({
      open: true,
      type: 'admin',
    });
    expect(parseCallArguments(getOperation('list_users'), ['created_since=7', 'limit=20'])).toEqual({
      created_since: 7,
      limit: 20,
    });
    expect(parseCallArguments(getOperation('create_tag'), ['--body', '{"name":"VIP"}'])).toEqual({
      body: { name: 'VIP' },
    });
    expect(parseCallArguments(getOperation('set_admin_away'), ['id=1', 'away_mode_enabled:=true'])).toEqual({
      id: '1',
      away_mode_enabled: true,
    });
    expect(typedValue({ type: ['string', 'number'] }, '12')).toBe('12');
  });

  it('prints the package version with --version, also from the bin', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
    expect(await cli(['--version'])).toEqual({ code: 0, out: `${version}\n`, err: '' });
    const bin = fileURLToPath(new URL('../../bin/intercom-actions.ts', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [bin, '--version']);
    expect(stdout).toBe(`${version}\n`);
  });

  it('takes --name=value as well as --name value, and -- ends the options', async () => {
    expect(parseCallArguments(getOperation('create_tag'), ['--body={"name":"VIP"}'])).toEqual({
      body: { name: 'VIP' },
    });
    expect(parseCallArguments(getOperation('list_users'), ['--', 'order=asc'])).toEqual({ order: 'asc' });
    // After --, a word that looks like an option is a parameter: here an unknown one, so the
    // operation's validation refuses it (exit 1), where as an option it would be a usage error (2).
    const after = await cli(['call', 'list_users', '--', '--order=asc']);
    expect(after.code).toBe(1);
    expect(JSON.parse(after.err).error).toMatchObject({
      status: 400,
      code: 'validation_failed',
      details: [{ path: '/--order' }],
    });
    const before = await cli(['call', 'list_users', '--order=asc']);
    expect(before.code).toBe(2);
    const bulk = await cli(['bulk', 'create_tag', '--file=/no/such/items.jsonl']);
    expect(bulk).toMatchObject({ code: 2, err: 'usage: /no/such/items.jsonl: no such file\n' });
  });

  it('refuses unknown options, values given to switches and options without values (exit 2)', async () => {
    const cases: [string[], string][] = [
      [
        ['call', 'list_users', '--order=asc'],
        'usage: Unknown option --order for call list_users (it takes --body <value>; a parameter that starts with "-" goes after --)\n',
      ],
      [['--frobnicate'], 'usage: Unknown option --frobnicate for intercom-actions (it takes --version)\n'],
      [['operations', '--xml'], 'usage: Unknown option --xml for operations (it takes --json)\n'],
      [['operations', '--json=yes'], 'usage: --json takes no value\n'],
      [['call', 'create_tag', '--body'], 'usage: --body needs a value\n'],
      [
        ['call', 'create_tag', '--body', '-1'],
        'usage: --body needs a value (one that starts with "-" is written --body=-...)\n',
      ],
      [
        ['automations', 'validate', '--limit', '5'],
        'usage: Unknown option --limit for automations validate (it takes --file <value>)\n',
      ],
      [['automations', 'log', 'extra'], 'usage: Unexpected "extra" for automations log\n'],
      [
        ['keys', 'list', '--name', 'x'],
        'usage: Unknown option --name for keys list (it takes --stage <value>, --secret-id <value>)\n',
      ],
    ];
    for (const [argv, err] of cases) {
      expect({ argv, ...(await cli(argv)) }).toEqual({ argv, code: 2, out: '', err });
    }
  });
});
