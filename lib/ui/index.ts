import { OpenAPIHono } from '@hono/zod-openapi';
import { secureHeaders } from 'hono/secure-headers';
import { createAuthenticator, requireAdmin } from '../app/auth.js';
import type { AppEnv, Services } from '../app/context.js';
import { validationHook } from '../app/validation.js';
import { adminConnectionsRoutes, adminPageRoutes } from './admin/routes.js';
import { openerPolicy } from './opener-policy.js';
import { sdkRoutes } from './sdk/routes.js';

export { openerPolicy } from './opener-policy.js';

/**
 * The public UI of every deployment: the browser SDK (`/sdk/connect.js`, `/sdk/connect.d.ts`),
 * the admin console (`/admin`), and the admin-only `GET /v1/tenants/:tenantId/connections` it
 * needs. Mount it with `app.route('/', uiRoutes(services))` *before* `secureHeaders`: it carries
 * the popup flow's opener policy (see {@link openerPolicy}) and applies the same secure headers to
 * its own routes.
 */
export function uiRoutes(services: Services) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const headers = secureHeaders({
    strictTransportSecurity: services.config.publicUrl.startsWith('https:') ? 'max-age=31536000' : false,
    crossOriginResourcePolicy: false,
  });
  app.use('*', openerPolicy);
  app.use('/sdk/*', headers);
  app.use('/admin', headers);
  app.use('/admin/*', headers);
  app.route('/', sdkRoutes);
  app.route('/', adminPageRoutes);

  const adminOnly = requireAdmin(createAuthenticator(services));
  app.use('/v1/tenants/:tenantId/connections', headers, adminOnly, async (c, next) => {
    await next();
    c.header('cache-control', 'no-store');
  });
  app.route('/', adminConnectionsRoutes);
  return app;
}
