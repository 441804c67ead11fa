import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import type { Services } from '../../services.js';
import type { AppEnv } from '../context.js';
import { adminPageRoutes } from './admin/routes.js';
import type { StaticContentSource } from './content.js';
import { openerPolicy } from './opener-policy.js';
import { sdkRoutes } from './sdk/routes.js';

export type { StaticContentSource } from './content.js';
export { openerPolicy } from './opener-policy.js';

/**
 * The public UI of every deployment: the browser SDK (`/sdk/connect.js`, `/sdk/connect.d.ts`),
 * and the admin console (`/admin`; its admin-only `GET /v1/tenants/:tenantId/connections` is an
 * API route). Mount it with `app.route('/', uiRoutes(services))` *before* `secureHeaders`: it carries
 * the popup flow's opener policy (see {@link openerPolicy}) and applies the same secure headers to
 * its own routes.
 */
export function uiRoutes(services: Services, content: StaticContentSource) {
  const app = new Hono<AppEnv>();
  const headers = secureHeaders({
    strictTransportSecurity: services.config.publicUrl.startsWith('https:') ? 'max-age=31536000' : false,
    crossOriginResourcePolicy: false,
  });
  app.use('*', openerPolicy);
  app.use('/sdk/*', headers);
  app.use('/admin', headers);
  app.use('/admin/*', headers);
  app.route('/', sdkRoutes(content));
  app.route('/', adminPageRoutes(content));
  return app;
}
