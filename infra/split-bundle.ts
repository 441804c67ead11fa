/**
 * `tsx infra/split-bundle.ts <entry.ts> <outdir>`: bundles a Lambda entry point with the stack's
 * options (infra/bundling.ts) and code splitting into `<outdir>/index.mjs` and
 * `<outdir>/chunks/*.mjs`, each with its source map. The stack runs it after `NodejsFunction`
 * bundled the API function, replacing that single-file `index.mjs`; the bundle bench builds the
 * figure's bundle with it.
 */
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BuildOptions, build, type Metafile, type Plugin } from 'esbuild';
import { lambdaBundling, splitBundling } from './bundling.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/**
 * Writes the split bundle of `entry` into `outdir` (its `chunks/` emptied first, so no chunk of an
 * earlier build is left to ship) and answers esbuild's metafile. Fails on any esbuild error.
 *
 * Two passes. esbuild puts the code an entry shares with the modules it imports on demand into
 * one chunk per set of those modules that use it, and a cold start loads every such chunk: with
 * five on-demand modules that was four files to resolve, read and compile beside `index.mjs`. So
 * the first pass finds the modules imported on demand and what the entry imports, and the second
 * has each of the former import all of the latter ({@link oneSharedChunk}): everything the entry
 * loads is then used by every on-demand module, and lands in one chunk. The added imports cost
 * nothing when they run, since the entry has loaded them before anything it imports on demand.
 */
export async function splitBundle(entry: string, outdir: string): Promise<Metafile> {
  rmSync(join(outdir, 'chunks'), { recursive: true, force: true });
  const options = {
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
  } satisfies BuildOptions;
  const { inputs } = (await build({ ...options, write: false, logLevel: 'silent' })).metafile;
  const imported = (kind: string, from = Object.values(inputs)) =>
    from.flatMap((input) =>
      input.imports.filter((i) => i.kind === kind && !i.external).map((i) => resolve(repoRoot, i.path)),
    );
  const entryInput = inputs[relative(repoRoot, entry)];
  if (!entryInput) throw new Error(`the first pass did not read ${entry}`);
  const result = await build({
    ...options,
    plugins: [
      oneSharedChunk(new Set(imported('dynamic-import')), imported('import-statement', [entryInput])),
    ],
  });
  return mergeSharedChunk(outdir, result.metafile, options);
}

/**
 * The third pass: the one shared chunk and `index.mjs` become one file, so a cold start resolves,
 * reads, compiles and links one module, not two (about 1.3 ms of CPU in 31 interleaved fresh
 * processes, the SDK preloaded: 21.1 -> 19.8 ms). esbuild bundles a stub that re-exports both
 * into `index.mjs`, its dynamic imports left external and pointed at `chunks/`, the input source
 * maps composed into the new one. The on-demand chunks then import the shared code from
 * `../index.mjs`, the module the runtime loaded first (a cycle ES modules allow: by the time a
 * chunk loads, `index.mjs` has run); the specifier is rewritten in place, padded with spaces to
 * its old length, so the chunks' source maps stay exact. Answers the metafile as if esbuild had
 * written `index.mjs` that way: the shared chunk's inputs, imports and exports are the entry's.
 */
async function mergeSharedChunk(outdir: string, meta: Metafile, options: BuildOptions): Promise<Metafile> {
  const outputs = { ...meta.outputs };
  const entryKey = Object.keys(outputs).find((o) => o.endsWith('/index.mjs'));
  if (!entryKey) throw new Error('the split build wrote no index.mjs');
  const entry = outputs[entryKey];
  const shared = entry.imports.filter((i) => i.kind === 'import-statement' && !i.external);
  if (shared.length === 0) return meta;
  if (shared.length > 1)
    throw new Error(`index.mjs imports ${shared.length} chunks; one-shared-chunk makes one`);
  const sharedKey = shared[0].path;
  const sharedChunk = outputs[sharedKey];
  const entryFile = resolve(repoRoot, entryKey);
  const sharedFile = resolve(repoRoot, sharedKey);
  const clash = sharedChunk.exports.filter((name) => entry.exports.includes(name));
  if (clash.length) throw new Error(`index.mjs and ${basename(sharedFile)} both export ${clash.join(', ')}`);
  const stub = [sharedFile, entryFile].map((f) => `export * from ${JSON.stringify(f)};`).join('\n');
  await build({
    ...options,
    entryPoints: undefined,
    outdir: undefined,
    outExtension: undefined,
    splitting: false,
    chunkNames: undefined,
    // Not named index.mjs: esbuild would take the stub for the file it re-exports.
    stdin: { contents: stub, resolveDir: outdir, sourcefile: 'merged-index.js', loader: 'js' },
    outfile: entryFile,
    allowOverwrite: true,
    // `options` brings the banner, so it opens this file as it opens every bundle; the inputs'
    // own `require`, renamed by the minifier, stay bound in each.
    metafile: false,
    plugins: [
      {
        name: 'chunks-stay-external',
        setup(b) {
          b.onResolve({ filter: /.*/ }, (args) => {
            if (args.kind !== 'dynamic-import') return undefined;
            const target = resolve(args.resolveDir, args.path);
            return { path: `./${relative(dirname(entryFile), target)}`, external: true };
          });
        },
      },
    ],
  });
  rmSync(sharedFile);
  rmSync(`${sharedFile}.map`, { force: true });
  delete outputs[sharedKey];
  delete outputs[`${sharedKey}.map`];
  // Each chunk's specifier of the shared chunk names index.mjs instead, at the same length.
  const from = JSON.stringify(`./${basename(sharedFile)}`);
  const to = JSON.stringify(relative(dirname(sharedFile), entryFile));
  if (to.length > from.length) throw new Error(`${to} is longer than ${from}`);
  const padded = to + ' '.repeat(from.length - to.length);
  for (const [key, output] of Object.entries(outputs)) {
    if (key === entryKey || !output.imports.some((i) => i.path === sharedKey)) continue;
    const file = resolve(repoRoot, key);
    const code = readFileSync(file, 'utf8');
    if (!code.includes(from))
      throw new Error(`${basename(file)} imports the shared chunk under another name`);
    writeFileSync(file, code.replaceAll(from, padded));
    outputs[key] = {
      ...output,
      imports: output.imports.map((i) => (i.path === sharedKey ? { ...i, path: entryKey } : i)),
    };
  }
  outputs[entryKey] = {
    ...entry,
    bytes: statSync(entryFile).size,
    inputs: { ...sharedChunk.inputs, ...entry.inputs },
    imports: [...entry.imports.filter((i) => i.path !== sharedKey), ...sharedChunk.imports],
    exports: [...entry.exports, ...sharedChunk.exports],
  };
  return { ...meta, outputs };
}

/** Has each module of `onDemand` also import every module of `shared` (see {@link splitBundle}). */
function oneSharedChunk(onDemand: Set<string>, shared: string[]): Plugin {
  const imports = shared.map((path) => `import ${JSON.stringify(path)};`).join('\n');
  return {
    name: 'one-shared-chunk',
    setup(b) {
      // A dependency's module too (zod's English locale is loaded on demand).
      b.onLoad({ filter: /\.[cm]?[jt]s$/ }, (args) => {
        if (!onDemand.has(args.path)) return undefined;
        const loader = args.path.endsWith('.ts') ? 'ts' : 'js';
        return { contents: `${readFileSync(args.path, 'utf8')}\n${imports}\n`, loader };
      });
    },
  };
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
