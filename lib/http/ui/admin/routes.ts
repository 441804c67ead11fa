import type { AppEnv } from '../../context.js';
import { Hono } from '../../hono.js';
import { pageHeaders } from '../../security.js';
import { serveAsset } from '../assets.js';
import { assetPaths, type StaticContentSource } from '../content.js';

/** `GET /admin`: the admin console (markup, script and stylesheet; no credential needed to load it). */
export function adminPageRoutes(content: StaticContentSource) {
  const app = new Hono<AppEnv>();
  app.get('/admin', async (c) => {
    const { adminPage } = await content();
    pageHeaders(c);
    return c.html(adminPage);
  });
  app.get(assetPaths.adminScript, async (c) => serveAsset(c, (await content()).adminScript));
  app.get(assetPaths.adminStyles, async (c) => serveAsset(c, (await content()).adminStyles));
  return app;
}
