import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { TABLE_END, TABLE_START, withOperationsTable } from '../../lib/docs/operations-table.ts';

describe('the operations table in docs/operations.md', () => {
  it('is the one the catalog renders (run `npm run docs` after changing the catalog)', () => {
    const page = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');
    expect(withOperationsTable(page)).toBe(page);
    const table = page.slice(page.indexOf(TABLE_START), page.indexOf(TABLE_END));
    expect(table.match(/^\| `[a-z_]+` \|/gm)).toHaveLength(57);
  });
});
