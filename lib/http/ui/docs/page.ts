import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { type Asset, asset } from '../assets.js';
import { assetPaths } from '../content.js';

/**
 * `GET /docs`: the OpenAPI document rendered by Scalar's API reference (its prebuilt standalone
 * bundle from `@scalar/api-reference`, served from here: no CDN), with navigation, search,
 * schemas, examples and each operation's `x-codeSamples` (curl and `@portico/node`).
 *
 * Its Content-Security-Policy is the strict one of the other pages (scripts only from this
 * origin, nothing fetched but `/openapi.json`) with one exception, for this page alone: Scalar
 * (Vue) sets inline styles and `<style>` elements as it renders, which a hash cannot cover, so
 * `style-src` allows `'unsafe-inline'`. No script runs inline.
 */
export const docsCsp = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Scalar's configuration: the document from this origin, no fonts or API client from its servers. */
const boot = `Scalar.createApiReference('#reference', ${JSON.stringify({
  url: '/openapi.json',
  withDefaultFonts: false,
  hideClientButton: true,
  hiddenClients: true,
  telemetry: false,
  agent: { disabled: true },
  mcp: { disabled: true },
  showDeveloperTools: 'never',
  defaultOpenAllTags: false,
  metaData: { title: 'Portico API reference' },
})});\n`;

/** The page, its renderer and its configuration script. */
export async function docsContent(): Promise<{ html: string; csp: string; script: Asset; boot: Asset }> {
  // The package exports no subpath for its standalone bundle; it sits beside its main entry (dist/).
  const main = createRequire(import.meta.url).resolve('@scalar/api-reference');
  const bundle = await readFile(join(dirname(main), 'browser', 'standalone.js'), 'utf8');
  const js = 'text/javascript; charset=utf-8';
  const script = asset(assetPaths.docsScript, js, bundle);
  const bootAsset = asset(assetPaths.docsBoot, js, boot);
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<title>Portico API reference</title>
</head>
<body>
<noscript>The reference needs JavaScript; the document itself is at <a href="/openapi.json">/openapi.json</a>.</noscript>
<div id="reference"></div>
<script src="${script.url}"></script>
<script src="${bootAsset.url}"></script>
</body>
</html>
`;
  return { html, csp: docsCsp, script, boot: bootAsset };
}
