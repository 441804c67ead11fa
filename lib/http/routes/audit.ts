import * as z from 'zod/mini';
import { tenantOf } from '../auth.js';
import type { AppEnv } from '../context.js';
import { Hono } from '../hono.js';
import { AuditListQuery } from '../lazy-schemas.js';
import { Api } from '../openapi.js';
import { doc, lazySchema, NextCursor, named, PathId } from '../schemas.js';

const AuditEventSchema = lazySchema(() =>
  named(
    z.object({
      id: z.string(),
      at: z.string(),
      actor: doc(z.string(), {
        description: '`admin-key`, `jwt:<sub>`, `key:<keyId>`, `system`, `provider` or `end-user:<id>`',
      }),
      action: doc(z.string(), { example: 'connection.created' }),
      tenantId: z.string(),
      connectionId: z.optional(z.string()),
      outcome: z.enum(['success', 'failure']),
      detail: z.optional(z.string()),
    }),
    'AuditEvent',
    {
      description: 'An admin action or credential change (never a secret).',
      example: {
        id: 'evt_3m8k2x9q1w4e6r7t',
        at: '2026-12-01T09:30:00.000Z',
        actor: 'key:key_5n2b8v1c',
        action: 'connection.created',
        tenantId: 'ten_8x2k4m9q1w3e5r7t',
        connectionId: 'conn_7w2k9x4m1q3e5r8t',
        outcome: 'success',
      },
    },
  ),
);
const AuditPage = lazySchema(() =>
  named(
    z.object({ events: z.array(AuditEventSchema()), nextCursor: z.optional(NextCursor()) }),
    'AuditEventPage',
  ),
);
const auditFilters =
  'Filters combine. `connectionId`, else `action`, else `outcome` picks the index read (so a filtered page costs what it returns); `since`/`until` bound it by time; a second filter narrows the first.';

/** The admin's view of one tenant's audit trail (mounted behind the admin check). */
export const adminAuditRoutes = new Hono<AppEnv>();
export const adminAuditApi = new Api(adminAuditRoutes).route(
  'get',
  '/v1/tenants/{tenantId}/audit',
  () => ({
    operationId: 'listTenantAuditEvents',
    tags: ['Admin'],
    summary: "A tenant's audit trail, newest first",
    description: auditFilters,
    params: z.object({ tenantId: PathId() }),
    query: AuditListQuery(),
    responses: { 200: { description: 'A page of events', schema: AuditPage() } },
    errors: [404],
  }),
  async (c, { params, query }) => {
    const { tenants, audit } = c.get('services');
    await tenants.require(params.tenantId);
    return c.json(await audit.list(params.tenantId, { ...query, limit: query.limit ?? 50 }), 200);
  },
);

/** A tenant's own audit trail. */
export const tenantAuditRoutes = new Hono<AppEnv>();
export const tenantAuditApi = new Api(tenantAuditRoutes).route(
  'get',
  '/v1/audit',
  () => ({
    operationId: 'listAuditEvents',
    tags: ['Audit'],
    summary: 'Your audit trail, newest first',
    description: auditFilters,
    query: AuditListQuery(),
    responses: { 200: { description: 'A page of events', schema: AuditPage() } },
  }),
  async (c, { query }) =>
    c.json(
      await c
        .get('services')
        .audit.list(tenantOf(c.get('principal')), { ...query, limit: query.limit ?? 50 }),
      200,
    ),
);
