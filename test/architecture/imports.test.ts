/**
 * The import structure, read from the source: no module of lib/ or functions/ reaches itself through
 * its imports (static or dynamic), so every folder can be read from the bottom up; and domain code
 * never reaches up into the HTTP layer (it raises DomainError; lib/http maps codes to statuses).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const IMPORT = /(?:import|export)\s[^'"]*?from\s+['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Each module's relative imports, as paths from the repository root. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of [...sources('lib'), ...sources('functions')]) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    const targets = [...text.matchAll(IMPORT)].map((m) =>
      relative(ROOT, resolve(ROOT, dirname(file), (m[1] ?? m[2])!)),
    );
    graph.set(file, targets);
  }
  return graph;
}

/** The circles of the graph (strongly connected components of more than one module, or a self-import). */
function circles(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string) => {
    index.set(node, counter);
    low.set(node, counter++);
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!graph.has(next)) continue;
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) low.set(node, Math.min(low.get(node)!, index.get(next)!));
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || (graph.get(node) ?? []).includes(node)) found.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!index.has(node)) visit(node);
  return found;
}

describe('the import structure', () => {
  it('reads every module of lib/ and functions/', () => {
    const graph = importGraph();
    expect(graph.size).toBeGreaterThan(100);
    // The reader sees both kinds of import: a module known to import statically and one known to
    // load another lazily.
    expect(graph.get('lib/cli/bulk/session.ts')).toContain('lib/cli/io.ts');
    expect(graph.get('lib/config/load.ts')).toContain('lib/config/secrets-extension.ts');
  });

  it('keeps HTTP to the entry points: nothing else under lib/ imports lib/http', () => {
    const entryPoints = ['lib/http/', 'lib/cli/', 'lib/local/'];
    const upward = [...importGraph()]
      .filter(([file]) => file.startsWith('lib/') && !entryPoints.some((e) => file.startsWith(e)))
      .flatMap(([file, targets]) =>
        targets.filter((t) => t.startsWith('lib/http/')).map((t) => `${file} -> ${t}`),
      );
    expect(upward).toEqual([]);
  });

  it('stands in layers: the shared core imports only the core; a feature only the core; a trigger the core and the automations it starts', () => {
    const core = [
      'catalog',
      'intercom',
      'validation',
      'config',
      'auth',
      'secrets',
      'observability',
      'errors.ts',
      'aws',
      'queue',
      'tables',
      'governor',
      'delivery',
      'workspaces',
      'scroll',
    ];
    const allowed: Record<string, string[]> = {
      ...Object.fromEntries(core.map((room) => [room, core])),
      // Features stand side by side on the core.
      actions: [...core, 'actions'],
      bulk: [...core, 'bulk'],
      automations: [...core, 'automations'],
      exports: [...core, 'exports'],
      // Triggers start automations: one way, automations know no trigger.
      webhooks: [...core, 'automations', 'webhooks'],
      triggers: [...core, 'automations', 'triggers'],
      // The Intercom stand-in shares only the catalog's and the client's vocabulary.
      sandbox: [...core, 'sandbox'],
      // The web console is a browser bundle and its static answers: it talks to the API over HTTP only.
      console: ['console'],
    };
    const room = (file: string) => file.split('/')[1]!;
    const wrong = [...importGraph()]
      .filter(([file]) => file.startsWith('lib/') && room(file) in allowed)
      .flatMap(([file, targets]) =>
        targets
          .filter((t) => t.startsWith('lib/') && !allowed[room(file)]!.includes(room(t)))
          .map((t) => `${file} -> ${t}`),
      );
    expect(wrong).toEqual([]);
  });

  it('lets a trigger reach automations only through the inbox and the notification type', () => {
    const triggers = ['lib/webhooks/', 'lib/triggers/'];
    const port = ['lib/automations/inbox.ts', 'lib/automations/types.ts'];
    const wrong = [...importGraph()]
      .filter(([file]) => triggers.some((t) => file.startsWith(t)))
      .flatMap(([file, targets]) =>
        targets
          .filter((t) => t.startsWith('lib/automations/') && !port.includes(t))
          .map((t) => `${file} -> ${t}`),
      );
    expect(wrong).toEqual([]);
  });

  it('has no import circles', () => {
    expect(circles(importGraph())).toEqual([]);
  });

  it('finds a circle when there is one', () => {
    const graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts']],
      ['d.ts', ['a.ts']],
    ]);
    expect(circles(graph)).toEqual([['a.ts', 'b.ts', 'c.ts']]);
  });
});
