/**
 * `tsx infra/split-bundle.ts <entry.ts> <outdir>`: bundles a Lambda entry point with the stack's
 * options (infra/bundling.ts) and code splitting into `<outdir>/index.mjs` and
 * `<outdir>/chunks/*.mjs`, each with its source map. The stack runs it after `NodejsFunction`
 * bundled the API function, replacing that single-file `index.mjs`; the bundle bench builds the
 * figure's bundle with it.
 */
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { lambdaBundling, splitBundling } from './bundling.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/**
 * Writes the split bundle of `entry` into `outdir` (its `chunks/` emptied first, so no chunk of an
 * earlier build is left to ship) and answers esbuild's metafile. Fails on any esbuild error.
 */
export async function splitBundle(entry: string, outdir: string): Promise<Metafile> {
  rmSync(join(outdir, 'chunks'), { recursive: true, force: true });
  const result = await build({
    entryPoints: { index: entry },
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: lambdaBundling.format,
    target: lambdaBundling.target,
    minify: lambdaBundling.minify,
    treeShaking: lambdaBundling.treeShaking,
    sourcemap: lambdaBundling.sourcemap,
    sourcesContent: lambdaBundling.sourcesContent,
    mainFields: [...lambdaBundling.mainFields],
    external: [...lambdaBundling.external],
    banner: { js: lambdaBundling.banner },
    splitting: splitBundling.splitting,
    chunkNames: splitBundling.chunkNames,
    metafile: true,
    logLevel: 'warning',
    absWorkingDir: repoRoot,
  });
  return result.metafile;
}

/**
 * What a cold start of a split bundle loads: its `index.mjs` output and the chunks it imports
 * statically (shared code esbuild moved out of it), transitively, as metafile output paths with
 * `index.mjs` first. The chunks only `import()` names load on the first request that needs them.
 */
export function loadedAtInit(metafile: Metafile): string[] {
  const entry = Object.keys(metafile.outputs).find((o) => o.endsWith('/index.mjs'));
  if (!entry) throw new Error('the split build wrote no index.mjs');
  const seen = new Set<string>();
  const visit = (output: string) => {
    seen.add(output);
    for (const i of metafile.outputs[output]?.imports ?? [])
      if (i.kind === 'import-statement' && !i.external && !seen.has(i.path)) visit(i.path);
  };
  visit(entry);
  return [...seen];
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const [entry, outdir] = process.argv.slice(2);
  if (!entry || !outdir) throw new Error('usage: tsx infra/split-bundle.ts <entry.ts> <outdir>');
  await splitBundle(resolve(entry), resolve(outdir));
}
