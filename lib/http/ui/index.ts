import type { Services } from '../../services.js';
import type { AppEnv } from '../context.js';
import { Hono } from '../hono.js';
import { securityHeaders } from '../security.js';
import { adminPageRoutes } from './admin/routes.js';
import type { StaticContentSource } from './content.js';
import { openerPolicy } from './opener-policy.js';
import { sdkRoutes } from './sdk/routes.js';

export type { StaticContentSource } from './content.js';

const favicon =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#a5b4fc"/><stop offset="1" stop-color="#4338ca"/></linearGradient></defs><rect width="32" height="32" rx="9" fill="url(#g)"/><path d="M9 24V8h8a5 5 0 0 1 0 10h-8" fill="none" stroke="#fff" stroke-width="3"/></svg>';

export { openerPolicy } from './opener-policy.js';

/**
 * The public UI of every deployment: the browser SDK (`/sdk/connect.js`, `/sdk/connect.d.ts`),
 * and the admin console (`/admin`; its admin-only `GET /v1/tenants/:tenantId/connections` is an
 * API route). Mount it with `app.route('/', uiRoutes(services))` *before* the app's security headers: it
 * carries the popup flow's opener policy (see {@link openerPolicy}) and applies the same security
 * headers ({@link securityHeaders}) to its own routes.
 */
export function uiRoutes(services: Services, content: StaticContentSource) {
  const app = new Hono<AppEnv>();
  const headers = securityHeaders(services.config.publicUrl);
  app.use('*', openerPolicy);
  app.use('/sdk/*', headers);
  app.use('/admin', headers);
  app.use('/admin/*', headers);
  app.use('/favicon.svg', headers);
  app.use('/favicon.ico', headers);
  // The brand mark as an icon (every page asked for /favicon.ico and logged a 404 without it).
  for (const path of ['/favicon.svg', '/favicon.ico']) {
    app.get(path, (c) => {
      c.header('content-type', 'image/svg+xml');
      c.header('cache-control', 'public, max-age=86400');
      return c.body(favicon);
    });
  }
  app.route('/', sdkRoutes(content));
  app.route('/', adminPageRoutes(content));
  return app;
}
