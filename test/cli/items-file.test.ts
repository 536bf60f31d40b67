import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from '@jest/globals';
import { getOperation } from '../../lib/catalog/index.ts';
import { csvColumns, csvRowToItem } from '../../lib/cli/bulk/csv-items.ts';
import {
  type ItemEntry,
  ItemsFileError,
  itemsFormatOf,
  readItemChunks,
  readItems,
} from '../../lib/cli/items-file.ts';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/bulk/${name}`, import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'items-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function all(path: string, operation: string): Promise<ItemEntry[]> {
  const entries: ItemEntry[] = [];
  for await (const entry of readItems(path, getOperation(operation))) entries.push(entry);
  return entries;
}

describe('items files', () => {
  it('knows the formats by extension', () => {
    expect(itemsFormatOf('a.jsonl')).toBe('jsonl');
    expect(itemsFormatOf('A.NDJSON')).toBe('jsonl');
    expect(itemsFormatOf('dir.v2/items.csv')).toBe('csv');
    expect(itemsFormatOf('items.json')).toBeUndefined();
    expect(itemsFormatOf('items')).toBeUndefined();
  });

  it('reads JSON Lines, skipping blank lines and numbering bad lines as local rejections', async () => {
    expect(await all(fixture('tags.jsonl'), 'create_tag')).toEqual([
      { index: 0, line: 1, item: { body: { name: 'VIP' } } },
      { index: 1, line: 4, item: { body: { name: 'Beta' } } },
      {
        index: 2,
        line: 5,
        error: { code: 'invalid_line', message: expect.stringMatching(/^line 5: not valid JSON/) },
        raw: '{not json',
      },
      {
        index: 3,
        line: 6,
        error: { code: 'invalid_line', message: 'line 6: not a JSON object of parameters' },
        raw: '[1,2]',
      },
      { index: 4, line: 7, item: { body: { name: 'Gamma' } } },
    ]);
  });

  it('reads CRLF and a byte-order mark', async () => {
    const path = join(dir, 'crlf.ndjson');
    writeFileSync(path, '\uFEFF{"id":"1"}\r\n\r\n{"id":"2"}\r\n');
    expect(await all(path, 'delete_tag')).toEqual([
      { index: 0, line: 1, item: { id: '1' } },
      { index: 1, line: 3, item: { id: '2' } },
    ]);
  });

  it('reads CSV: nesting, typing by the schema, JSON columns, := headers, empty cells left out', async () => {
    const entries = await all(fixture('events.csv'), 'create_event');
    expect(entries).toEqual([
      {
        index: 0,
        line: 2,
        item: {
          body: {
            event_name: 'signed-up',
            created_at: 1700000000,
            user_id: '007',
            metadata: { plan: 'pro' },
          },
        },
      },
      {
        index: 1,
        line: 3,
        item: {
          body: { event_name: 'ordered', created_at: 1700000100, user_id: '008', metadata: { note: 'big' } },
        },
      },
      {
        index: 2,
        line: 5,
        error: { code: 'invalid_line', message: 'line 5: expected 5 fields as in the header, got 2' },
        raw: 'too,few',
      },
      {
        index: 3,
        line: 6,
        item: {
          body: {
            event_name: 'multi\nline',
            created_at: 1700000200,
            user_id: '009',
            metadata: { note: 12.5 },
          },
        },
      },
      {
        index: 4,
        line: 8,
        error: {
          code: 'invalid_line',
          message: expect.stringMatching(/^line 8: column "body.metadata" is not valid JSON/),
        },
        raw: 'broken-json,1700000300,010,{nope,',
      },
    ]);
  });

  it('types top-level CSV columns by the parameters (booleans, integers)', async () => {
    expect(await all(fixture('admins.csv'), 'set_admin_away')).toEqual([
      { index: 0, line: 2, item: { id: '1', away_mode_enabled: true, away_mode_reassign: false } },
      { index: 1, line: 3, item: { id: '2', away_mode_enabled: false } },
    ]);
    const columns = csvColumns(['limit', 'created_since', 'order'], getOperation('list_users'));
    expect(csvRowToItem(columns, ['20', '7', 'asc'])).toEqual({
      item: { limit: 20, created_since: 7, order: 'asc' },
    });
    const tags = csvColumns(['body.name', 'body.users'], getOperation('create_tag'));
    expect(csvRowToItem(tags, ['VIP', '[{"id":"u1"}]'])).toEqual({
      item: { body: { name: 'VIP', users: [{ id: 'u1' }] } },
    });
  });

  it('rejects colliding columns per row, and unusable headers for the whole file', async () => {
    const columns = csvColumns(['body.name', 'body.name.first'], getOperation('create_tag'));
    expect(csvRowToItem(columns, ['a', 'b'])).toEqual({
      error: 'column "body.name.first" collides with another column that sets the same field',
    });
    const path = join(dir, 'dupe.csv');
    writeFileSync(path, 'id,id\n1,2\n');
    await expect(all(path, 'delete_tag')).rejects.toThrow(ItemsFileError);
    await expect(all(path, 'delete_tag')).rejects.toThrow('line 1: column "id" appears twice in the header');
    const unclosed = join(dir, 'unclosed.csv');
    writeFileSync(unclosed, 'id\n"1\n');
    await expect(all(unclosed, 'delete_tag')).rejects.toThrow(/not readable as CSV: Quote Not Closed/);
  });

  it('rejects an item with a number JSON cannot carry exactly, locally (1e309 would be sent as null)', async () => {
    const jsonl = join(dir, 'numbers.jsonl');
    writeFileSync(
      jsonl,
      [
        '{"body":{"user_id":"a","custom_attributes":{"x":1e309}}}',
        '{"body":{"user_id":"b","custom_attributes":{"x":9007199254740993}}}',
        '{"body":{"user_id":"c","custom_attributes":{"x":9007199254740991}}}',
      ].join('\n'),
    );
    expect(await all(jsonl, 'create_update_user')).toEqual([
      {
        index: 0,
        line: 1,
        error: {
          code: 'invalid_line',
          message:
            'line 1: /body/custom_attributes/x is a number too large for JSON (it would be sent as null)',
        },
      },
      {
        index: 1,
        line: 2,
        error: {
          code: 'invalid_line',
          message:
            'line 2: /body/custom_attributes/x is a number beyond ±9007199254740991 (2^53-1), which cannot be sent exactly: send it as a string',
        },
      },
      { index: 2, line: 3, item: { body: { user_id: 'c', custom_attributes: { x: 9007199254740991 } } } },
    ]);
    const csv = join(dir, 'numbers.csv');
    writeFileSync(
      csv,
      'body.event_name,body.created_at,body.user_id,body.metadata\nbig,99999999999999999999,1,\ninf,1,1,"{""n"":1e400}"\n',
    );
    expect((await all(csv, 'create_event')).map((e) => ('error' in e ? e.error.message : e))).toEqual([
      'line 2: /body/created_at is a number beyond ±9007199254740991 (2^53-1), which cannot be sent exactly: send it as a string',
      'line 3: /body/metadata/n is a number too large for JSON (it would be sent as null)',
    ]);
  });

  it('chunks a 2,500-line file: 500 by default, or as asked', async () => {
    const path = join(dir, 'tags.jsonl');
    writeFileSync(path, Array.from({ length: 2500 }, (_, i) => JSON.stringify({ id: String(i) })).join('\n'));
    const op = getOperation('delete_tag');
    const sizes = async (size?: number) => {
      const seen: number[] = [];
      for await (const chunk of readItemChunks(path, op, size)) seen.push(chunk.length);
      return seen;
    };
    expect(await sizes()).toEqual([500, 500, 500, 500, 500]);
    expect(await sizes(1000)).toEqual([1000, 1000, 500]);
    await expect(sizes(1001)).rejects.toThrow(RangeError);
  });

  it('streams 10k lines in order, chunk by chunk', async () => {
    const path = join(dir, 'big.csv');
    const out = createWriteStream(path);
    out.write('id\n');
    for (let i = 0; i < 10_000; i++) out.write(`${i}\n`);
    await new Promise((resolve) => out.end(resolve));
    let expected = 0;
    let chunks = 0;
    for await (const chunk of readItemChunks(path, getOperation('delete_tag'), 700)) {
      chunks++;
      for (const entry of chunk) {
        expect(entry).toEqual({ index: expected, line: expected + 2, item: { id: String(expected) } });
        expected++;
      }
    }
    expect(expected).toBe(10_000);
    expect(chunks).toBe(15);
  });
});
