/** `npm run docs`: regenerates the catalog-derived parts of docs/operations.md. */
import { readFileSync, writeFileSync } from 'node:fs';
import { withOperationsTable } from '../lib/docs/operations-table.ts';

const path = new URL('../docs/operations.md', import.meta.url);
const before = readFileSync(path, 'utf8');
const after = withOperationsTable(before);
if (after !== before) writeFileSync(path, after);
console.log(after === before ? 'docs/operations.md is up to date' : 'docs/operations.md updated');
