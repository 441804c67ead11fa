import { Hono } from 'hono';
import type { Services } from '../../services.js';
import type { AppEnv } from '../context.js';
import { securityHeaders } from '../security.js';
import { adminPageRoutes } from './admin/routes.js';
import type { StaticContentSource } from './content.js';
import { openerPolicy } from './opener-policy.js';
import { sdkRoutes } from './sdk/routes.js';

export type { StaticContentSource } from './content.js';
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
  app.route('/', sdkRoutes(content));
  app.route('/', adminPageRoutes(content));
  return app;
}
