/**
 * How each Lambda entry point is bundled: one definition read by the CDK stack (through
 * `NodejsFunction`) and by the bundle-size bench (through esbuild directly), so the figures are
 * those of what deploys.
 */
export const lambdaBundling = {
  /** The Lambda runtime is Node.js 24. */
  target: 'node24',
  format: 'esm',
  minify: true,
  treeShaking: true,
  sourcemap: true,
  /** The map names files and lines only: smaller to ship and faster to load with --enable-source-maps. */
  sourcesContent: false,
  /** Resolve ESM builds first (better tree-shaking). */
  mainFields: ['module', 'main'],
  /** The Lambda Node.js runtimes ship AWS SDK v3. */
  external: ['@aws-sdk/*'],
  /** CommonJS dependencies bundled into an ES module still call `require` for Node built-ins. */
  banner: "import { createRequire } from 'node:module';const require = createRequire(import.meta.url);",
} as const;

/**
 * The API function's asset is split: `index.mjs` plus the chunks it imports on demand (the Avro
 * decoder on the Avro routes, jose with the first admin JWT or connect link), which a cold start
 * neither reads nor parses. `NodejsFunction` passes esbuild `--outfile`, which splitting refuses,
 * so the stack rebuilds that asset with these options after bundling (infra/split-bundle.ts).
 */
export const splitBundling = {
  splitting: true,
  /** Beside `index.mjs`, named by what they hold: `chunks/index-<hash>.mjs`. */
  chunkNames: 'chunks/[name]-[hash]',
} as const;
