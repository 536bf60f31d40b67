/**
 * The README is a front door to docs/: every relative link in it and in docs/ must lead to a file
 * that exists, and an anchor to a heading of that file (as GitHub renders heading anchors).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const pages = ['README.md', ...readdirSync(join(root, 'docs')).map((f) => `docs/${f}`)].filter((f) =>
  f.endsWith('.md'),
);

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

function anchors(text: string): Set<string> {
  const outsideCode = text.replace(/```[\s\S]*?```/g, '');
  return new Set([...outsideCode.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchorOf(m[1]!)));
}

function brokenLinks(page: string): string[] {
  const text = readFileSync(join(root, page), 'utf8').replace(/```[\s\S]*?```/g, '');
  const broken: string[] = [];
  for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z]+:/.test(target!)) continue;
    const [path, anchor] = target!.split('#');
    const file = path ? join(dirname(join(root, page)), path) : join(root, page);
    if (!existsSync(file)) broken.push(`${page}: ${target} (no ${relative(root, file)})`);
    else if (anchor && file.endsWith('.md') && !anchors(readFileSync(file, 'utf8')).has(anchor))
      broken.push(`${page}: ${target} (no heading #${anchor})`);
  }
  return broken;
}

describe('documentation links', () => {
  it('lead to files and headings that exist', () => {
    expect(pages.flatMap(brokenLinks)).toEqual([]);
  });

  it('links every page of docs/ from the README', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const unlinked = pages.filter((p) => p.startsWith('docs/') && !readme.includes(`](${p}`));
    expect(unlinked).toEqual([]);
  });

  it('keeps the README a front door (at most ~250 lines)', () => {
    expect(readFileSync(join(root, 'README.md'), 'utf8').split('\n').length).toBeLessThanOrEqual(250);
  });

  it('renders anchors as GitHub does', () => {
    expect(anchorOf('Deploy to AWS, and what it costs')).toBe('deploy-to-aws-and-what-it-costs');
    expect(anchorOf('A million items')).toBe('a-million-items');
  });
});
