/**
 * `npm run build:sdk` (from the repository root; the tests run it first): builds `@portico/node`
 * from this repository's OpenAPI document.
 *
 * 1. the document (lib/http/apis.ts) -> `src/generated/openapi.ts` with openapi-typescript;
 * 2. `src/index.ts` -> `dist/index.js`, one ES module bundled by esbuild (standardwebhooks inlined,
 *    so the package has no runtime dependency);
 * 3. the declarations -> `dist/*.d.ts` with this package's TypeScript.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import openapiTS, { astToString } from 'openapi-typescript';
import { apiDocument } from '../../lib/http/apis.js';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Builds the package; skipped when `dist/` was built from the same document and sources (a hash of
 * both is kept in `dist/.inputs`), so the test runs that call it first pay for it once.
 */
export async function buildSdk(): Promise<'built' | 'unchanged'> {
  const document = apiDocument();
  const inputs = createHash('sha256').update(JSON.stringify(document));
  for (const file of [
    'build.ts',
    'package.json',
    'tsconfig.json',
    ...readdirSync(join(here, 'src')).map((f) => `src/${f}`),
  ])
    if (file.endsWith('.ts') || file.endsWith('.json'))
      inputs.update(file).update(readFileSync(join(here, file)));
  const digest = inputs.digest('hex');
  const stamp = join(here, 'dist/.inputs');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === digest) return 'unchanged';
  // The document is JSON: openapi-typescript takes it as text, as it would read /openapi.json.
  const ast = await openapiTS(JSON.stringify(document));
  mkdirSync(join(here, 'src/generated'), { recursive: true });
  writeFileSync(
    join(here, 'src/generated/openapi.ts'),
    `// Generated from Portico's OpenAPI document by packages/node/build.ts (openapi-typescript). Do not edit.\n${astToString(ast)}`,
  );
  rmSync(join(here, 'dist'), { recursive: true, force: true });
  await build({
    entryPoints: [join(here, 'src/index.ts')],
    outfile: join(here, 'dist/index.js'),
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'node20',
    mainFields: ['module', 'main'],
    legalComments: 'inline',
    logLevel: 'warning',
  });
  execFileSync(
    process.execPath,
    [join(here, 'node_modules/typescript/bin/tsc'), '-p', join(here, 'tsconfig.json')],
    {
      stdio: 'inherit',
    },
  );
  writeFileSync(stamp, digest);
  return 'built';
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await buildSdk();
