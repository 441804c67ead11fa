import type { AppEnv } from '../context.js';
import { Hono } from '../hono.js';
import { serveAsset } from '../ui/assets.js';
import { assetPaths, type StaticContent, type StaticContentSource } from '../ui/content.js';

/**
 * `GET /openapi.json` (OpenAPI 3.1, generated from the route declarations when the code is built:
 * `lib/http/apis.ts`), with this deployment's `PUBLIC_URL` as its server, and `GET /docs` (the
 * same document rendered by Scalar, served from the built content with the page's own CSP).
 */
export function docsRoutes(content: StaticContentSource, publicUrl: string) {
  const app = new Hono<AppEnv>();
  const served = new WeakMap<StaticContent, string>();
  app.get('/openapi.json', async (c) => {
    const built = await content();
    let text = served.get(built);
    if (!text) {
      const doc = JSON.parse(built.openapi) as Record<string, unknown>;
      text = JSON.stringify({ ...doc, servers: [{ url: publicUrl }] });
      served.set(built, text);
    }
    return c.body(text, 200, { 'content-type': 'application/json' });
  });
  app.get('/docs', async (c) => {
    const { docs } = await content();
    c.header('content-security-policy', docs.csp);
    c.header('referrer-policy', 'no-referrer');
    return c.html(docs.html);
  });
  app.get(assetPaths.docsScript, async (c) => serveAsset(c, (await content()).docs.script));
  app.get(assetPaths.docsBoot, async (c) => serveAsset(c, (await content()).docs.boot));
  return app;
}
