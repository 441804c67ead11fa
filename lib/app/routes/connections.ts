import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { ProviderName } from '../../config.js';
import { ConnectionSchema } from '../connection-schema.js';
import type { AppEnv } from '../context.js';
import { bearerSecurity, CursorQuery, errors, LimitQuery, ProviderSchema } from '../schemas.js';
import { validationHook } from '../validation.js';
import { tenantOf } from './connect.js';

export const ConnectionIdParam = z.object({
  id: z
    .string()
    .max(64)
    .openapi({ param: { name: 'id', in: 'path' }, example: 'conn_7w2k9x4m1q3e5r8t' }),
});
const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

export const connectionsRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

connectionsRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/v1/connections',
    tags: ['Connections'],
    summary: 'List connections',
    security: bearerSecurity,
    request: {
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
      200: json(
        z.object({ connections: z.array(ConnectionSchema), nextCursor: z.string().optional() }),
        'A page of connections',
      ),
      ...errors(),
    },
  }),
  async (c) => {
    const q = c.req.valid('query');
    const out = await c.get('services').connections.list(tenantOf(c.get('principal')), {
      provider: q.provider as ProviderName | undefined,
      endUserId: q.endUserId,
      limit: q.limit ?? 50,
      cursor: q.cursor,
    });
    return c.json(out, 200);
  },
);

connectionsRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/v1/connections/{id}',
    tags: ['Connections'],
    summary: 'Get a connection',
    security: bearerSecurity,
    request: { params: ConnectionIdParam },
    responses: { 200: json(ConnectionSchema, 'The connection'), ...errors(404) },
  }),
  async (c) =>
    c.json(
      await c.get('services').connections.get(tenantOf(c.get('principal')), c.req.valid('param').id),
      200,
    ),
);

connectionsRoutes.openapi(
  createRoute({
    method: 'delete',
    path: '/v1/connections/{id}',
    tags: ['Connections'],
    summary: 'Disconnect',
    description:
      'Revokes the grant at the provider (a grant the provider already forgot counts as revoked), then deletes the connection.',
    security: bearerSecurity,
    request: { params: ConnectionIdParam },
    responses: { 204: { description: 'Deleted' }, ...errors(404, 502, 503) },
  }),
  async (c) => {
    const p = c.get('principal');
    await c.get('services').connections.delete(tenantOf(p), c.req.valid('param').id, p.actor);
    return c.body(null, 204);
  },
);

connectionsRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/v1/connections/{id}/refresh',
    tags: ['Connections'],
    summary: 'Refresh the access token now',
    description:
      'Single-flight: concurrent calls share one provider refresh. A dead grant answers `409 needs_reauth`.',
    security: bearerSecurity,
    request: { params: ConnectionIdParam },
    responses: {
      200: json(ConnectionSchema, 'The refreshed connection'),
      ...errors(404, 409, 429, 502, 503),
    },
  }),
  async (c) =>
    c.json(
      await c.get('services').connections.refresh(tenantOf(c.get('principal')), c.req.valid('param').id),
      200,
    ),
);

connectionsRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/v1/connections/{id}/token',
    tags: ['Connections'],
    summary: 'A fresh access token',
    description:
      'Refreshed first when it expires within 5 minutes (single-flight across callers and processes). Private-app connections answer their token with `expiresAt: null`.',
    security: bearerSecurity,
    request: { params: ConnectionIdParam },
    responses: {
      200: json(
        z
          .object({
            accessToken: z.string(),
            tokenType: z.literal('bearer'),
            expiresAt: z.string().nullable(),
          })
          .openapi('AccessToken'),
        'The token',
      ),
      ...errors(404, 409, 429, 502, 503),
    },
  }),
  async (c) =>
    c.json(
      await c.get('services').connections.accessToken(tenantOf(c.get('principal')), c.req.valid('param').id),
      200,
    ),
);
