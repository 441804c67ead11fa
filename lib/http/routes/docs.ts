import { Hono } from 'hono';
import type { AppEnv } from '../context.js';
import type { StaticContentSource } from '../ui/content.js';

/**
 * `GET /openapi.json` (OpenAPI 3.1, generated from the route declarations when the code is built:
 * `lib/app/apis.ts`) and `GET /docs` (the same document rendered).
 */
export function docsRoutes(content: StaticContentSource) {
  const app = new Hono<AppEnv>();
  app.get('/openapi.json', async (c) => {
    const { openapi } = await content();
    return c.body(openapi, 200, { 'content-type': 'application/json' });
  });
  app.get('/docs', async (c) => {
    const { docs } = await content();
    c.header('content-security-policy', docs.csp);
    return c.html(docs.html);
  });
  return app;
}
