/** `intercom-actions smoke` against the local stack: every check passing, and each way one fails. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { GROUPS } from '../../lib/catalog/index.ts';
import { runCli } from '../../lib/cli/main.ts';
import { groupReads } from '../../lib/cli/smoke.ts';
import { type ValidatorMap, validateInput } from '../../lib/validation/validate.ts';
import { type BulkTestStack, startBulkTestStack } from '../helpers/bulk-stack.ts';

const READ_BULK = 'smoke-key-read-and-bulk-0001';
const READ_ONLY = 'smoke-key-read-only-00000002';

let t: BulkTestStack;
beforeAll(async () => {
  t = await startBulkTestStack(
    {},
    {
      API_KEYS_JSON: JSON.stringify({
        keys: [
          { name: 'smoke', key: READ_BULK, scopes: ['read', 'bulk'] },
          { name: 'reader', key: READ_ONLY, scopes: ['read'] },
        ],
      }),
    },
  );
}, 30_000);
afterAll(async () => t?.close());

const CHECKS = [
  'health',
  'openapi',
  ...GROUPS.map((group) => `read ${group}`),
  'bulk dry run',
  'webhook unsigned',
];

interface Row {
  check: string;
  result: string;
  status: string;
  ms: string;
  detail: string;
}

async function smoke(argv: string[], env: Record<string, string> = {}) {
  let out = '';
  let err = '';
  const code = await runCli(['smoke', ...argv], {
    out: (text) => (out += `${text}\n`),
    err: (text) => (err += `${text}\n`),
    env,
  });
  const lines = out.split('\n');
  const rows: Row[] = lines.slice(1, lines.indexOf('')).map((line) => {
    const [check, result, status, ms, ...detail] = line.split(/ {2,}/);
    return { check: check!, result: result!, status: status!, ms: ms!, detail: detail.join('  ') };
  });
  return { code, out, err, rows, row: (name: string) => rows.find((r) => r.check === name)! };
}

describe('intercom-actions smoke', () => {
  it('reads one operation per group, from the catalog, with input its validator takes', async () => {
    const reads = groupReads();
    expect(reads.map((r) => r.group)).toEqual([...GROUPS]);
    for (const read of reads) {
      expect(read.operation.group).toBe(read.group);
      expect(read.operation.scope).toBe('read');
      expect(read.operation.pagination).not.toBe('scroll');
      const validators = (await import(`../../lib/validation/generated/${read.group}.ts`)) as ValidatorMap;
      expect({
        op: read.operation.name,
        issues: validateInput(validators[read.operation.name]!, read.input),
      }).toEqual({
        op: read.operation.name,
        issues: [],
      });
    }
    // A list that needs no input where the group has one; the catalog example (made-up ids) otherwise.
    expect(reads.find((r) => r.group === 'users')).toMatchObject({
      operation: { name: 'list_users' },
      input: { limit: 1 },
      notFoundPasses: false,
    });
    expect(reads.find((r) => r.group === 'visitors')).toMatchObject({
      operation: { name: 'get_visitor' },
      input: { id: '1' },
      notFoundPasses: true,
    });
  });

  it('passes every check against the local stack with a read and bulk key (exit 0)', async () => {
    const run = await smoke(['--url', t.stack.url, '--key', READ_BULK]);
    expect(run.err).toBe('');
    expect(run.code).toBe(0);
    expect(run.rows.map((r) => r.check)).toEqual(CHECKS);
    for (const row of run.rows) {
      expect({ check: row.check, result: row.result }).toEqual({ check: row.check, result: 'ok' });
      expect(row.ms).toMatch(/^\d+$/);
    }
    expect(run.row('openapi').detail).toBe(`57 operations, server ${t.stack.url}`);
    expect(run.row('read users')).toMatchObject({ status: '200', detail: 'list_users (1 item(s))' });
    // The example's visitor does not exist: Intercom's 404 shows the visitors function reached it.
    expect(run.row('read visitors')).toMatchObject({
      status: '404',
      detail: 'get_visitor: reached Intercom, which has nothing for the example (404 not_found)',
    });
    expect(run.row('bulk dry run')).toMatchObject({
      status: '200',
      detail: 'get_user: 1 item accepted, nothing queued',
    });
    expect(run.row('webhook unsigned')).toMatchObject({
      status: '401',
      detail: 'refused: 401 invalid_signature',
    });
    expect(run.out).toContain(`smoke: all ${CHECKS.length} checks passed against ${t.stack.url}/`);
  });

  it('fails the checks that need the key when the key is wrong, and says why (exit 1)', async () => {
    const run = await smoke([], {
      INTERCOM_ACTIONS_URL: t.stack.url,
      INTERCOM_ACTIONS_KEY: 'wrong-key-000000000000',
    });
    expect(run.code).toBe(1);
    const failed = run.rows.filter((r) => r.result === 'FAIL').map((r) => r.check);
    expect(failed).toEqual(CHECKS.filter((c) => c.startsWith('read ') || c === 'bulk dry run'));
    expect(run.row('read users')).toMatchObject({
      status: '401',
      detail: 'list_users: 401 unauthorized: The API key is not valid',
    });
    expect(run.err).toContain(
      `smoke: ${failed.length} of ${CHECKS.length} checks failed against ${t.stack.url}/:\n`,
    );
    expect(run.err).toContain('  read users: list_users: 401 unauthorized: The API key is not valid\n');
  });

  it('fails only the bulk dry run for a key without the bulk scope', async () => {
    const run = await smoke(['--url', t.stack.url, '--key', READ_ONLY]);
    expect(run.code).toBe(1);
    expect(run.rows.filter((r) => r.result === 'FAIL')).toEqual([
      expect.objectContaining({
        check: 'bulk dry run',
        status: '403',
        detail: expect.stringMatching(/^get_user: 403 forbidden: /),
      }),
    ]);
  });

  it('says what a server that accepts anything gets wrong', async () => {
    const server = createServer((request, response) => {
      request.resume();
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"status": "ok"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const run = await smoke(['--url', url, '--key', READ_BULK]);
      expect(run.code).toBe(1);
      expect(run.row('health').result).toBe('ok');
      expect(run.row('openapi')).toMatchObject({
        result: 'FAIL',
        detail: expect.stringMatching(
          /^not this version's document: 57 operation\(s\) missing \(add_customer_to_conversation, /,
        ),
      });
      expect(run.row('bulk dry run')).toMatchObject({
        result: 'FAIL',
        detail: 'get_user: the item was not accepted',
      });
      expect(run.row('webhook unsigned')).toMatchObject({
        result: 'FAIL',
        detail: 'an unsigned notification was accepted (200)',
      });
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('fails every check when nothing answers', async () => {
    // A port that was just free: nothing listens there.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const run = await smoke(['--url', `http://127.0.0.1:${port}`, '--key', READ_BULK]);
    expect(run.code).toBe(1);
    expect(run.rows).toHaveLength(CHECKS.length);
    for (const row of run.rows)
      expect(row).toMatchObject({ result: 'FAIL', status: '-', detail: 'no answer: ECONNREFUSED' });
  });

  it('exits 2 on usage errors, before any request', async () => {
    expect(await smoke(['--url', t.stack.url])).toMatchObject({
      code: 2,
      err: 'usage: smoke needs --key (or INTERCOM_ACTIONS_KEY): a key with the read and bulk scopes\n',
    });
    expect(await smoke(['--url', 'ftp://example.com', '--key', READ_BULK])).toMatchObject({
      code: 2,
      err: 'usage: --url must be http(s): "ftp://example.com"\n',
    });
    expect(await smoke(['--url', 'not a url', '--key', READ_BULK])).toMatchObject({
      code: 2,
      err: 'usage: --url is not a URL: "not a url"\n',
    });
    expect((await smoke(['--key', READ_BULK, '--dry-run'])).code).toBe(2);
    expect((await smoke(['--key', READ_BULK, '--timeout-ms', '0'])).code).toBe(2);
    const help = await smoke(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('intercom-actions smoke [--url URL] [--key KEY]');
  });
});
