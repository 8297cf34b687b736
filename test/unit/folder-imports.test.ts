import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');

/** Every relative module a file names: static imports and re-exports, `import type`, and `import()`. */
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)'(\.{1,2}\/[^']+)'/g;

/**
 * The room of a file: its folder under src/ (subfolders belong to their folder, as
 * src/daemon/kafka to src/daemon); a file directly in src/ is a room of its own, as it sits
 * above the folders (index.ts, factory.ts) or below some of them (settings.ts, version.ts).
 */
function roomOf(file: string): string {
  const parts = relative(SRC, file).split(sep);
  return parts.length === 1 ? parts[0]!.replace(/\.js$/, '.ts') : `${parts[0]}/`;
}

/** room → room it imports → the imports that make the edge ("file: specifier"). */
function folderGraph(): Map<string, Map<string, string[]>> {
  const graph = new Map<string, Map<string, string[]>>();
  for (const entry of readdirSync(SRC, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    const file = join(entry.parentPath, entry.name);
    const from = roomOf(file);
    for (const [, specifier] of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const to = roomOf(resolve(dirname(file), specifier!));
      if (to === from) continue;
      const edges = graph.get(from) ?? graph.set(from, new Map()).get(from)!;
      const lines = edges.get(to) ?? edges.set(to, []).get(to)!;
      lines.push(`${relative(SRC, file)}: ${specifier}`);
    }
  }
  return graph;
}

/** Each import cycle between rooms, as its rooms in order (the first repeated at the end); none when the graph is acyclic. */
function cycles(graph: Map<string, Map<string, string[]>>): string[][] {
  const found: string[][] = [];
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (room: string): void => {
    const at = path.indexOf(room);
    if (at >= 0) {
      found.push([...path.slice(at), room]);
      return;
    }
    if (done.has(room)) return;
    path.push(room);
    for (const next of graph.get(room)?.keys() ?? []) visit(next);
    path.pop();
    done.add(room);
  };
  for (const room of graph.keys()) visit(room);
  return found;
}

describe('folders of src/', () => {
  it('import one another in one direction: no import cycle between folders', () => {
    const graph = folderGraph();
    expect(graph.get('cli/')?.has('pubsub/')).toBe(true); // the graph is read at all
    const described = cycles(graph).map((cycle) =>
      cycle
        .slice(1)
        .map((to, i) => `${cycle[i]} -> ${to} (${graph.get(cycle[i]!)!.get(to)![0]})`)
        .join('\n  '),
    );
    expect(described).toEqual([]);
  });

  it('keep the record model a leaf: src/records/ imports no other folder', () => {
    const graph = folderGraph();
    expect(graph.get('wire/')?.has('records/')).toBe(true); // the folder is there, and used
    expect([...(graph.get('records/')?.keys() ?? [])]).toEqual([]);
  });
});
