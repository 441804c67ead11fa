import { apiReference } from '../apis.js';
import { AdminPage } from './admin/page.js';
import { adminScript } from './admin/script.js';
import { asset } from './assets.js';
import {
  assetPaths,
  STATIC_CONTENT_FORMAT,
  type StaticContent,
  type StaticContentSource,
} from './content.js';
import { renderPage } from './layout.js';
import { connectScript, connectTypes } from './sdk/connect.js';
import { adminCss } from './styles.js';

/**
 * Builds the {@link StaticContent}: the admin console's page, script and stylesheet, the browser
 * SDK and its types, the OpenAPI document and its rendered reference. Run at build time for the
 * Lambda bundle (`infra/write-static.ts`) and on first use by the local server and tests.
 */
export async function buildStaticContent(): Promise<StaticContent> {
  const js = 'text/javascript; charset=utf-8';
  const adminScriptAsset = asset(assetPaths.adminScript, js, adminScript);
  const adminStyles = asset(assetPaths.adminStyles, 'text/css; charset=utf-8', adminCss);
  const { openapi, html, csp } = apiReference();
  return {
    format: STATIC_CONTENT_FORMAT,
    adminPage: await renderPage(AdminPage({ stylesheet: adminStyles.url, script: adminScriptAsset.url })),
    adminScript: adminScriptAsset,
    adminStyles,
    sdkScript: asset(assetPaths.sdkScript, js, connectScript),
    sdkTypes: asset(assetPaths.sdkTypes, 'application/typescript; charset=utf-8', connectTypes),
    openapi: JSON.stringify(openapi),
    docs: { html, csp },
  };
}

let built: Promise<StaticContent> | undefined;

/** {@link buildStaticContent}, once per process. */
export const builtStaticContent: StaticContentSource = () => {
  built ??= buildStaticContent();
  return built;
};
