/** `npm run build:console`: rebuilds lib/console/generated/assets.ts from lib/console/app, and prints its size. */
import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { consoleBundle, GENERATED_MODULE } from './console-bundle.ts';

const bundle = await consoleBundle();
let current = '';
try {
  current = readFileSync(GENERATED_MODULE, 'utf8');
} catch {}
if (current !== bundle.module) writeFileSync(GENERATED_MODULE, bundle.module);
const gz = (text: string) => gzipSync(text, { level: 9 }).length;
const js = gz(bundle.script.text);
const css = gz(bundle.style.text);
console.log(
  `${current === bundle.module ? 'console assets are up to date' : 'console assets written'}: ` +
    `${bundle.script.name} ${bundle.script.text.length} B (${js} B gzipped), ` +
    `${bundle.style.name} ${bundle.style.text.length} B (${css} B gzipped); JS + CSS ${js + css} B gzipped`,
);
