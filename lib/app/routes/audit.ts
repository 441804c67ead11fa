import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../context.js';
import { bearerSecurity, CursorQuery, errors, LimitQuery } from '../schemas.js';
import { validationHook } from '../validation.js';

const AuditEventSchema = z
  .object({
    id: z.string(),
    at: z.string().openapi({ format: 'date-time' }),
    actor: z
      .string()
      .openapi({ description: '`admin-key`, `jwt:<sub>`, `key:<keyId>`, `system` or `provider`' }),
    action: z.string().openapi({ example: 'connection.created' }),
    tenantId: z.string(),
    connectionId: z.string().optional(),
    outcome: z.enum(['success', 'failure']),
    detail: z.string().optional(),
  })
  .openapi('AuditEvent');
const AuditPage = z.object({ events: z.array(AuditEventSchema), nextCursor: z.string().optional() });
const PageQuery = z.object({ limit: LimitQuery, cursor: CursorQuery });

/** The admin's view of one tenant's audit trail (mounted behind the admin check). */
export const adminAuditRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
adminAuditRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/v1/tenants/{tenantId}/audit',
    tags: ['Admin'],
    summary: "A tenant's audit trail, newest first",
    security: bearerSecurity,
    request: {
      params: z.object({
        tenantId: z
          .string()
          .max(64)
          .openapi({ param: { name: 'tenantId', in: 'path' } }),
      }),
      query: PageQuery,
    },
    responses: {
      200: { description: 'A page of events', content: { 'application/json': { schema: AuditPage } } },
      ...errors(404),
    },
  }),
  async (c) => {
    const { tenants, audit } = c.get('services');
    const { tenantId } = c.req.valid('param');
    await tenants.require(tenantId);
    const { limit, cursor } = c.req.valid('query');
    return c.json(await audit.list(tenantId, limit ?? 50, cursor), 200);
  },
);

/** A tenant's own audit trail. */
export const tenantAuditRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
tenantAuditRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/v1/audit',
    tags: ['Audit'],
    summary: 'Your audit trail, newest first',
    security: bearerSecurity,
    request: { query: PageQuery },
    responses: {
      200: { description: 'A page of events', content: { 'application/json': { schema: AuditPage } } },
      ...errors(),
    },
  }),
  async (c) => {
    const p = c.get('principal');
    if (p.kind !== 'tenant') throw new Error('unreachable: tenant routes run behind requireTenant');
    const { limit, cursor } = c.req.valid('query');
    return c.json(await c.get('services').audit.list(p.tenantId, limit ?? 50, cursor), 200);
  },
);
