/** `npm run build:validators`: regenerates lib/validation/generated/<group>.ts from the catalog. */
import { readFileSync, writeFileSync } from 'node:fs';
import { GROUPS } from '../lib/catalog/index.ts';
import { compileGroup, compileIndex } from '../lib/validation/compile.ts';

let changed = 0;
const modules: Array<[string, string]> = [
  ...GROUPS.map((group): [string, string] => [group, compileGroup(group)]),
  ['index', compileIndex()],
];
for (const [name, code] of modules) {
  const path = new URL(`../lib/validation/generated/${name}.ts`, import.meta.url);
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
