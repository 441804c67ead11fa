import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { lambdaBundling } from '../../infra/bundling.js';
import { loadedAtInit, splitBundle } from '../../infra/split-bundle.js';
import { writeStaticContent } from '../../infra/write-static.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface BundleFigures {
  /**
   * Minified size of what a cold start loads: the API function bundle's `index.mjs` and the chunks
   * it imports statically (source maps not counted).
   */
  apiBytes: number;
  /**
   * The chunks beside it (`chunks/*.mjs`): `atInit` ones are imported by index.mjs (code it shares
   * with an on-demand chunk), the others loaded by the first request that needs them.
   */
  chunks: Array<{ name: string; bytes: number; atInit: boolean }>;
  /** `static.json`, shipped beside the API bundle and read on first use (lib/http/ui/content.ts). */
  staticBytes: number;
  /** The same for a bare Hono `handle(app)` handler, bundled the same way. */
  bareBytes: number;
  /** Median CPU time to import the API bundle in a fresh `node` process (cold module init). */
  apiInitMs: number;
  bareInitMs: number;
  /** The AWS SDK packages the API bundle loads from the runtime (found in its code). */
  sdkPackages: string[];
  /** Cold init of the bare handler that also loads {@link sdkPackages} as the API bundle does. */
  bareSdkInitMs: number;
  /**
   * The bundles' own init: each imported in a fresh node that loaded {@link sdkPackages} first,
   * outside the timing (what is left of the API bundle's init once the runtime's SDK is loaded).
   */
  apiOwnInitMs: number;
  bareOwnInitMs: number;
}

export interface MeasureOptions {
  /** Fresh processes per bundle; the median is reported. Default 7. */
  runs?: number;
  /** Receives each bundle's esbuild metafile (what dominates the size; the API's: of `index.mjs` and the chunks it imports at init). */
  onMetafile?: (name: 'api' | 'bare', metafile: Metafile) => void;
}

const bareHandler = `
import { Hono } from 'hono';
import { handle } from 'hono/aws-lambda';
const app = new Hono();
app.get('/healthz', (c) => c.json({ ok: true }));
export const handler = handle(app);
`;

/** The bare handler plus the SDK packages, loaded the way lib/aws.ts loads them. */
const bareSdkHandler = (packages: string[]) => `
import { createRequire } from 'node:module';
${bareHandler}
const load = createRequire(import.meta.url);
${packages.map((p) => `load(${JSON.stringify(p)});`).join('\n')}
`;

/**
 * Bundles `functions/api.ts` exactly as the CDK stack does (infra/bundling.ts: ESM, minified,
 * node24, `@aws-sdk/*` external, split by infra/split-bundle.ts) and a bare Hono handler the same
 * way (one file: it imports nothing on demand), into a temp dir, then
 * times each bundle's cold module init: `runs` fresh `node` processes (with the stack's
 * options: no `--enable-source-maps`, see infra/function.ts) each importing the bundle once, interleaved, median taken. The
 * externals resolve from this repository's node_modules, as they would from the runtime's.
 */
export async function measureBundles(options: MeasureOptions = {}): Promise<BundleFigures> {
  const runs = options.runs ?? 7;
  const dir = mkdtempSync(join(tmpdir(), 'portico-bundle-'));
  try {
    symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
    const common: BuildOptions = {
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
      metafile: true,
      logLevel: 'silent',
      absWorkingDir: repoRoot,
    };
    const out = {
      api: join(dir, 'api', 'index.mjs'),
      bare: join(dir, 'bare', 'index.mjs'),
      bareSdk: join(dir, 'bare-sdk', 'index.mjs'),
    };
    for (const name of ['api', 'bare', 'bare-sdk']) mkdirSync(join(dir, name));
    const apiMeta = await splitBundle(join(repoRoot, 'functions', 'api.ts'), join(dir, 'api'));
    const chunkDir = join(dir, 'api', 'chunks');
    const chunkFiles = readdirSync(chunkDir).filter((f) => f.endsWith('.mjs'));
    const bare = await build({
      ...common,
      stdin: { contents: bareHandler, resolveDir: repoRoot, sourcefile: 'bare-handler.ts', loader: 'ts' },
      outfile: out.bare,
    });
    // The packages named anywhere in the API's code, chunks too: the baseline loads no fewer.
    const sdkPackages = [
      ...new Set(
        [out.api, ...chunkFiles.map((f) => join(chunkDir, f))].flatMap((file) =>
          Array.from(readFileSync(file, 'utf8').matchAll(/"(@aws-sdk\/[a-z0-9-]+)"/g), (m) => m[1]),
        ),
      ),
    ].sort();
    await build({
      ...common,
      stdin: {
        contents: bareSdkHandler(sdkPackages),
        resolveDir: repoRoot,
        sourcefile: 'bare-sdk-handler.ts',
        loader: 'ts',
      },
      outfile: out.bareSdk,
    });

    const times = {
      api: [] as number[],
      bare: [] as number[],
      bareSdk: [] as number[],
      apiOwn: [] as number[],
      bareOwn: [] as number[],
    };
    // Warm the file cache once, not counted.
    for (const file of Object.values(out)) importTime(file);
    for (let i = 0; i < runs; i++) {
      times.bare.push(importTime(out.bare));
      times.api.push(importTime(out.api));
      times.bareSdk.push(importTime(out.bareSdk));
      times.apiOwn.push(importTime(out.api, sdkPackages));
      times.bareOwn.push(importTime(out.bare, sdkPackages));
    }
    // What a cold start loads: index.mjs and the chunks it imports, not those loaded on demand.
    const [entryOutput, ...atInit] = loadedAtInit(apiMeta);
    const initOutputs = [entryOutput, ...atInit].map((o) => [o, apiMeta.outputs[o]] as const);
    options.onMetafile?.('api', { ...apiMeta, outputs: Object.fromEntries(initOutputs) });
    options.onMetafile?.('bare', bare.metafile!);
    const initChunks = new Set(atInit.map((o) => o.split('/').pop()));
    return {
      apiBytes:
        statSync(out.api).size +
        chunkFiles.filter((f) => initChunks.has(f)).reduce((n, f) => n + statSync(join(chunkDir, f)).size, 0),
      chunks: chunkFiles.map((f) => ({
        name: f,
        bytes: statSync(join(chunkDir, f)).size,
        atInit: initChunks.has(f),
      })),
      staticBytes: await writeStaticContent(join(dir, 'api', 'static.json')),
      bareBytes: statSync(out.bare).size,
      apiInitMs: median(times.api),
      bareInitMs: median(times.bare),
      sdkPackages,
      bareSdkInitMs: median(times.bareSdk),
      apiOwnInitMs: median(times.apiOwn),
      bareOwnInitMs: median(times.bareOwn),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// argv: the bundle's URL, then packages to load (untimed) before importing it.
// The Lambda runtime's \`awslambda\` global (a streaming handler calls streamifyResponse at import),
// defined outside the timing as the runtime defines it before loading the handler.
const probe = `
globalThis.awslambda ??= { streamifyResponse: (f) => f, HttpResponseStream: { from: (s) => s } };
import { createRequire } from 'node:module';
const load = createRequire(process.argv[1]);
for (const p of process.argv.slice(2)) load(p);
const cpu = process.cpuUsage();
await import(process.argv[1]);
const used = process.cpuUsage(cpu);
process.stdout.write(String((used.user + used.system) / 1000));
`;

/**
 * Cold init of `file` in a fresh node, as the CPU time (all threads) the import took: on a machine
 * shared with other work, wall time measures the scheduler as much as the code. `preload`
 * packages are loaded first, outside the measurement.
 */
function importTime(file: string, preload: string[] = []): number {
  const res = spawnSync(
    process.execPath,
    ['--input-type=module', '-e', probe, pathToFileURL(file).href, ...preload],
    {
      encoding: 'utf8',
      env: {
        ...process.env,
        AWS_REGION: process.env.AWS_REGION ?? 'eu-west-1',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      },
    },
  );
  const ms = Number(res.stdout);
  if (res.status !== 0 || !Number.isFinite(ms)) {
    throw new Error(`importing ${file} failed (${res.status}): ${res.stderr.slice(0, 2000)}`);
  }
  return ms;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const m = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return Math.round(m * 10) / 10;
}

/** The inputs that contribute most to a bundle, by package (node_modules/<pkg>) or by lib/ folder. */
export function largestContributors(metafile: Metafile, top = 12): Array<{ name: string; bytes: number }> {
  const byName = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, { bytesInOutput }] of Object.entries(output.inputs)) {
      const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];
      const name = pkg ?? path.split('/').slice(0, 2).join('/');
      byName.set(name, (byName.get(name) ?? 0) + bytesInOutput);
    }
  }
  return [...byName.entries()]
    .map(([name, bytes]) => ({ name, bytes }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, top);
}

// `npx tsx test/bench/bundle.ts`: print the figures and what dominates the API bundle.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  let apiMeta: Metafile | undefined;
  const figures = await measureBundles({
    onMetafile: (name, m) => {
      if (name === 'api') apiMeta = m;
    },
  });
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  console.log(`API bundle   ${kb(figures.apiBytes)} (target <= 250 KB)`);
  for (const c of figures.chunks) console.log(`  + chunk    ${kb(c.bytes)} ${c.name} (loaded on demand)`);
  console.log(`static.json  ${kb(figures.staticBytes)} (beside the bundle, read on first use)`);
  console.log(`bare bundle  ${kb(figures.bareBytes)}`);
  console.log(
    `init         API ${figures.apiInitMs} ms, bare ${figures.bareInitMs} ms: ${(figures.apiInitMs / figures.bareInitMs).toFixed(2)}x; bare + ${figures.sdkPackages.join(', ')} ${figures.bareSdkInitMs} ms: ${(figures.apiInitMs / figures.bareSdkInitMs).toFixed(2)}x (target <= 1.2x)`,
  );
  console.log(
    `own code     API ${figures.apiOwnInitMs} ms, bare ${figures.bareOwnInitMs} ms: ${(figures.apiOwnInitMs / figures.bareOwnInitMs).toFixed(2)}x (target <= 2x; the SDK loaded first, untimed)`,
  );
  if (apiMeta) {
    console.log('largest contributors to the API bundle:');
    for (const c of largestContributors(apiMeta)) console.log(`  ${kb(c.bytes).padStart(10)}  ${c.name}`);
  }
}
