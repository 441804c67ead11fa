import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { ConnectionSchema } from '../../app/connection-schema.js';
import type { AppEnv } from '../../app/context.js';
import { bearerSecurity, CursorQuery, errors, LimitQuery, ProviderSchema } from '../../app/schemas.js';
import { validationHook } from '../../app/validation.js';
import type { ProviderName } from '../../config.js';
import { asset, pageHeaders, serveAsset } from '../assets.js';
import { renderPage } from '../layout.js';
import { adminCss } from '../styles.js';
import { AdminPage } from './page.js';
import { adminScript } from './script.js';

const script = asset('/admin/app.js', 'text/javascript; charset=utf-8', adminScript);
const stylesheet = asset('/admin/app.css', 'text/css; charset=utf-8', adminCss);
let page: string | undefined;

/** `GET /admin`: the admin console (markup, script and stylesheet; no credential needed to load it). */
export const adminPageRoutes = new OpenAPIHono<AppEnv>();
adminPageRoutes.get('/admin', async (c) => {
  page ??= await renderPage(AdminPage({ stylesheet: stylesheet.url, script: script.url }));
  pageHeaders(c);
  return c.html(page);
});
adminPageRoutes.get(script.path, (c) => serveAsset(c, script));
adminPageRoutes.get(stylesheet.path, (c) => serveAsset(c, stylesheet));

/**
 * `GET /v1/tenants/:tenantId/connections` (admin): a tenant's connections, which otherwise only
 * the tenant's own keys can list. Mounted behind the admin check.
 */
export const adminConnectionsRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
adminConnectionsRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/v1/tenants/{tenantId}/connections',
    tags: ['Admin'],
    summary: "List a tenant's connections",
    description: "The same page as the tenant's own `GET /v1/connections`; empty once the tenant is revoked.",
    security: bearerSecurity,
    request: {
      params: z.object({
        tenantId: z
          .string()
          .max(64)
          .openapi({ param: { name: 'tenantId', in: 'path' }, example: 'ten_8x2k4m9q1w3e5r7t' }),
      }),
      query: z.object({
        provider: ProviderSchema.optional().openapi({ param: { name: 'provider', in: 'query' } }),
        endUserId: z
          .string()
          .min(1)
          .max(256)
          .optional()
          .openapi({ param: { name: 'endUserId', in: 'query' } }),
        limit: LimitQuery,
        cursor: CursorQuery,
      }),
    },
    responses: {
      200: {
        description: 'A page of connections',
        content: {
          'application/json': {
            schema: z.object({ connections: z.array(ConnectionSchema), nextCursor: z.string().optional() }),
          },
        },
      },
      ...errors(404),
    },
  }),
  async (c) => {
    const { tenants, connections } = c.get('services');
    const { tenantId } = c.req.valid('param');
    const q = c.req.valid('query');
    await tenants.require(tenantId);
    const page = await connections.list(tenantId, {
      provider: q.provider as ProviderName | undefined,
      endUserId: q.endUserId,
      limit: q.limit ?? 50,
      cursor: q.cursor,
    });
    return c.json(page, 200);
  },
);
