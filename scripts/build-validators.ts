/** `npm run build:validators`: regenerates lib/validation/generated/<group>.ts from the catalog. */
import { readFileSync, writeFileSync } from 'node:fs';
import { GROUPS } from '../lib/catalog/index.ts';
import { compileGroup } from '../lib/validation/compile.ts';

let changed = 0;
for (const group of GROUPS) {
  const path = new URL(`../lib/validation/generated/${group}.ts`, import.meta.url);
  const code = compileGroup(group);
  let current = '';
  try {
    current = readFileSync(path, 'utf8');
  } catch {}
  if (current !== code) {
    writeFileSync(path, code);
    changed++;
  }
}
console.log(changed ? `${changed} validator module(s) written` : 'validators are up to date');
