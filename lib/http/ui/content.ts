import { readFile } from 'node:fs/promises';
import { once } from '../../once.js';
import type { Asset } from './assets.js';

/**
 * What the admin console, the browser SDK and the API reference serve: all of it fixed when the
 * code is built (`buildStaticContent` in `./build.ts`), none of it depending on configuration.
 *
 * The Lambda function ships it as a file beside its bundle (`static.json`, written by the CDK
 * bundling step) and reads it on the first request that needs it, so neither the pages, the
 * browser code nor the OpenAPI generator is part of the code every cold start loads. The local
 * server and the tests build it in process on first use.
 */
export interface StaticContent {
  format: typeof STATIC_CONTENT_FORMAT;
  /** `GET /admin`. */
  adminPage: string;
  adminScript: Asset;
  adminStyles: Asset;
  sdkScript: Asset;
  sdkTypes: Asset;
  /** `GET /openapi.json`, as sent. */
  openapi: string;
  /** `GET /docs`, its Content-Security-Policy, its renderer (Scalar's standalone bundle) and the script that starts it. */
  docs: { html: string; csp: string; script: Asset; boot: Asset };
}

export const STATIC_CONTENT_FORMAT = 2;

/** Where each asset is served; the routes are registered before the content is loaded. */
export const assetPaths = {
  adminScript: '/admin/app.js',
  adminStyles: '/admin/app.css',
  sdkScript: '/sdk/connect.js',
  sdkTypes: '/sdk/connect.d.ts',
  docsScript: '/docs/scalar.js',
  docsBoot: '/docs/boot.js',
} as const;

/** Answers the content; called per request, so it must cache. */
export type StaticContentSource = () => Promise<StaticContent>;

/**
 * The content from a `static.json` file, read once on first use; a failed read is retried on the
 * next call (the routes answer 503 meanwhile). A file that is not this build's format is refused.
 */
export function staticContentFile(path: string): StaticContentSource {
  return once(async () => {
    const content = JSON.parse(await readFile(path, 'utf8')) as StaticContent;
    if (content?.format !== STATIC_CONTENT_FORMAT) {
      throw new Error(`${path} is not static content of format ${STATIC_CONTENT_FORMAT}`);
    }
    return content;
  });
}
