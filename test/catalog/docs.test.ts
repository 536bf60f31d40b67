import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { TABLE_END, TABLE_START, withOperationsTable } from '../../lib/docs/operations-table.ts';

describe('README operations table', () => {
  it('is the one the catalog renders (run `npm run docs` after changing the catalog)', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(withOperationsTable(readme)).toBe(readme);
    const table = readme.slice(readme.indexOf(TABLE_START), readme.indexOf(TABLE_END));
    expect(table.match(/^\| `[a-z_]+` \|/gm)).toHaveLength(57);
  });
});
