import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The layout's rules (docs/design.md, "Layout"), checked against the code's own imports:
 * one direction through the layers, Hono only in lib/http and lib/dev, the AWS SDK only in the
 * store and vault wrappers, and no import cycles.
 */

const root = new URL('..', import.meta.url).pathname;

interface Import {
  from: string;
  /** A repository path for relative imports, else the package name. */
  to: string;
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, dir))) {
    const path = join(dir, name);
    if (statSync(join(root, path)).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.tsx?$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

const importRe =
  /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function importsOf(file: string): Import[] {
  const text = readFileSync(join(root, file), 'utf8');
  const out: Import[] = [];
  for (const m of text.matchAll(importRe)) {
    const spec = m[3] ?? m[4];
    const typeOnly = Boolean(m[2]);
    if (spec.startsWith('.')) {
      const target = normalize(join(dirname(file), spec)).replace(/\.js$/, '');
      const resolved = ['.ts', '.tsx'].map((e) => target + e).find((p) => exists(p));
      if (resolved) out.push({ from: file, to: resolved, typeOnly });
    } else out.push({ from: file, to: spec, typeOnly });
  }
  return out;
}

function exists(path: string): boolean {
  try {
    return statSync(join(root, path)).isFile();
  } catch {
    return false;
  }
}

const files = [...sourceFiles('lib'), ...sourceFiles('functions')];
const imports = files.flatMap(importsOf);
const under = (path: string, ...dirs: string[]) => dirs.some((d) => path === d || path.startsWith(`${d}/`));

/** The layers, lowest first: a file may import its own layer and those below it. */
const layers: Array<[number, string[]]> = [
  [1, ['lib/errors.ts', 'lib/log.ts', 'lib/ids.ts', 'lib/once.ts', 'lib/aws.ts', 'lib/node-http.ts']],
  [1, ['lib/inflight.ts', 'lib/metrics.ts', 'lib/types']],
  // The configuration reads the providers' declarations (env prefixes, default endpoints and scopes).
  [2, ['lib/config.ts', 'lib/store', 'lib/vault', 'lib/avro', 'lib/providers']],
  [3, ['lib/audit', 'lib/stats']],
  [4, ['lib/connections']],
  [5, ['lib/tenants', 'lib/oauth', 'lib/webhooks']],
  // lib/on-demand.ts: the services lib/services.ts builds on first use, loaded on demand.
  [6, ['lib/services.ts', 'lib/on-demand.ts']],
  [7, ['lib/http']],
  [8, ['lib/dev']],
  [9, ['functions']],
];
function layerOf(path: string): number | undefined {
  return layers.find(([, dirs]) => under(path, ...dirs))?.[0];
}

describe('the layout', () => {
  it('puts every file of lib/ and functions/ on a layer', () => {
    expect(files.filter((f) => layerOf(f) === undefined)).toEqual([]);
  });

  it('imports only downward: http -> services -> oauth/tenants -> connections -> providers/store/vault -> platform', () => {
    const upward = imports
      .filter((i) => i.to.startsWith('lib/') || i.to.startsWith('functions/'))
      .filter((i) => (layerOf(i.to) ?? 0) > (layerOf(i.from) ?? 0))
      .map((i) => `${i.from} -> ${i.to}`);
    expect(upward).toEqual([]);
  });

  it('keeps Hono inside lib/http and the dev server (functions/ takes none: function-url.ts is the adapter)', () => {
    const hono = imports
      .filter((i) => /^(hono|@hono\/)/.test(i.to) || i.to === 'hono')
      .filter((i) => !under(i.from, 'lib/http', 'lib/dev'))
      .map((i) => `${i.from} -> ${i.to}`);
    expect(hono).toEqual([]);
  });

  it('never lets a domain folder import lib/http', () => {
    const bad = imports
      .filter((i) => under(i.to, 'lib/http') && !under(i.from, 'lib/http', 'lib/dev', 'functions'))
      .map((i) => `${i.from} -> ${i.to}`);
    expect(bad).toEqual([]);
  });

  it('loads the AWS SDK only in the store and vault wrappers (types may be named anywhere)', () => {
    const sdk = imports
      .filter((i) => !i.typeOnly && (i.to.startsWith('@aws-sdk/') || i.to === 'lib/aws.ts'))
      .filter((i) => !under(i.from, 'lib/store', 'lib/vault', 'lib/aws.ts', 'lib/dev', 'functions'))
      .map((i) => `${i.from} -> ${i.to}`);
    expect(sdk).toEqual([]);
  });

  it('has no import cycles', () => {
    const edges = new Map<string, string[]>();
    for (const i of imports) {
      if (!i.to.startsWith('lib/') && !i.to.startsWith('functions/')) continue;
      edges.set(i.from, [...(edges.get(i.from) ?? []), i.to]);
    }
    // Tarjan's strongly connected components: any component of two or more files is a cycle.
    let index = 0;
    const indexOf = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const cycles: string[][] = [];
    const visit = (v: string) => {
      indexOf.set(v, index);
      low.set(v, index++);
      stack.push(v);
      onStack.add(v);
      for (const w of edges.get(v) ?? []) {
        if (!indexOf.has(w)) {
          visit(w);
          low.set(v, Math.min(low.get(v)!, low.get(w)!));
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indexOf.get(w)!));
      }
      if (low.get(v) === indexOf.get(v)) {
        const component: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          component.push(w);
        } while (w !== v);
        if (component.length > 1) cycles.push(component.sort());
      }
    };
    for (const f of files) if (!indexOf.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });

  it('sees the imports it checks (the checker itself works)', () => {
    expect(imports.some((i) => i.from === 'lib/http/hono.ts' && i.to === 'hono/hono-base')).toBe(true);
    expect(imports.some((i) => i.from === 'lib/services.ts' && i.to === 'lib/config.ts')).toBe(true);
    expect(relative(root, join(root, 'lib'))).toBe('lib');
  });
});
