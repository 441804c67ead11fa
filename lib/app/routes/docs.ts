import { Hono } from 'hono';
import type { AppEnv } from '../context.js';
import { type Api, openApiDocument } from '../openapi.js';
import { referenceCssHash, renderReference } from '../reference.js';
import { ProblemSchema } from '../schemas.js';

/** `GET /openapi.json` (OpenAPI 3.1, generated from the route declarations) and `GET /docs` (rendered). */
export function docsRoutes(apis: () => Api[]) {
  let cached: Record<string, unknown> | undefined;
  const document = () => {
    cached ??= openApiDocument(
      apis(),
      {
        title: 'Portico API',
        version: '1.0.0',
        description:
          'Self-hosted OAuth connection gateway for HubSpot and Dropbox. Errors are `application/problem+json` with a stable `code`.',
      },
      ProblemSchema,
    );
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
