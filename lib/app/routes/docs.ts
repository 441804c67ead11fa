import type { OpenAPIHono } from '@hono/zod-openapi';
import { Hono } from 'hono';
import type { AppEnv } from '../context.js';
import { referenceCssHash, renderReference } from '../reference.js';

type Doc = ReturnType<OpenAPIHono<AppEnv>['getOpenAPI31Document']>;

/** `GET /openapi.json` (OpenAPI 3.1, generated from the route schemas) and `GET /docs` (rendered). */
export function docsRoutes(api: OpenAPIHono<AppEnv>) {
  let cached: Doc | undefined;
  const document = (): Doc => {
    cached ??= api.getOpenAPI31Document({
      openapi: '3.1.0',
      info: {
        title: 'Portico API',
        version: '1.0.0',
        description:
          'Self-hosted OAuth connection gateway for HubSpot and Dropbox. Errors are `application/problem+json` with a stable `code`.',
        license: { name: 'Apache-2.0' },
      },
    });
    return cached;
  };
  const app = new Hono<AppEnv>();
  app.get('/openapi.json', (c) => c.json(document()));
  app.get('/docs', (c) => {
    c.header(
      'content-security-policy',
      `default-src 'none'; style-src ${referenceCssHash}; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    );
    return c.html(renderReference(document()));
  });
  return app;
}
