import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { apiDocument } from '../apis.js';
import { AdminPage } from './admin/page.js';
import { asset } from './assets.js';
import {
  assetPaths,
  STATIC_CONTENT_FORMAT,
  type StaticContent,
  type StaticContentSource,
} from './content.js';
import { docsContent } from './docs/page.js';
import { renderPage } from './layout.js';
import { adminCss } from './styles.js';

/** The browser modules each page loads, under lib/http/ui (type-checked by tsconfig.browser.json). */
export const browserEntries = {
  admin: 'admin/browser/main.ts',
  demo: 'demo/browser/main.ts',
  sdk: 'sdk/browser/connect.ts',
} as const;

export type BrowserScript = keyof typeof browserEntries;

/**
 * This folder in the source tree. Run from source (tsx, vitest) it is this module's own; bundled
 * into one file (`npm start`), the module no longer sits beside the sources, and npm runs
 * scripts from the package root.
 */
function uiSources(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  return existsSync(join(here, browserEntries.sdk)) ? here : resolve('lib/http/ui');
}

/**
 * Pages load the SDK from `/sdk/connect.js` as every product would, so a page's bundle keeps that
 * import instead of a second copy of the SDK (its sources import the SDK's module for the types).
 */
const sdkAsServed: Plugin = {
  name: 'sdk-as-served',
  setup(b) {
    b.onResolve({ filter: /\/sdk\/browser\/connect\.js$/ }, () => ({
      path: assetPaths.sdkScript,
      external: true,
    }));
  },
};

/**
 * Bundles one browser module into a single ES2020 module (not minified: what the browser runs
 * reads as its source does). Type errors are not checked here but by `npm run typecheck`.
 */
export async function bundleBrowserScript(script: BrowserScript): Promise<string> {
  const sources = uiSources();
  const root = resolve(sources, '../../..');
  const result = await build({
    entryPoints: [join(sources, browserEntries[script])],
    tsconfig: join(root, 'tsconfig.browser.json'),
    // The bundle names its source files relative to this: the same bytes from any working directory.
    absWorkingDir: root,
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    charset: 'utf8',
    legalComments: 'inline',
    logLevel: 'silent',
    plugins: script === 'sdk' ? [] : [sdkAsServed],
  });
  return result.outputFiles[0].text;
}

/**
 * Builds the {@link StaticContent}: the admin console's page, script and stylesheet, the browser
 * SDK and its types, the OpenAPI document and its rendered reference. Run at build time for the
 * Lambda bundle (`infra/write-static.ts`) and on first use by the local server and tests.
 */
export async function buildStaticContent(): Promise<StaticContent> {
  const js = 'text/javascript; charset=utf-8';
  const [adminScript, sdkScript, sdkTypes] = await Promise.all([
    bundleBrowserScript('admin'),
    bundleBrowserScript('sdk'),
    readFile(join(uiSources(), 'sdk/browser/connect-types.d.ts'), 'utf8'),
  ]);
  const adminScriptAsset = asset(assetPaths.adminScript, js, adminScript);
  const adminStyles = asset(assetPaths.adminStyles, 'text/css; charset=utf-8', adminCss);
  const openapi = apiDocument();
  const docs = await docsContent();
  return {
    format: STATIC_CONTENT_FORMAT,
    adminPage: await renderPage(AdminPage({ stylesheet: adminStyles.url, script: adminScriptAsset.url })),
    adminScript: adminScriptAsset,
    adminStyles,
    sdkScript: asset(assetPaths.sdkScript, js, sdkScript),
    sdkTypes: asset(assetPaths.sdkTypes, 'application/typescript; charset=utf-8', sdkTypes),
    openapi: JSON.stringify(openapi),
    docs,
  };
}

let built: Promise<StaticContent> | undefined;

/** {@link buildStaticContent}, once per process. */
export const builtStaticContent: StaticContentSource = () => {
  built ??= buildStaticContent();
  return built;
};
