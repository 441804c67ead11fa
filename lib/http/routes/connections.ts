import * as z from 'zod/mini';
import { tenantOf } from '../auth.js';
import type { AppEnv } from '../context.js';
import { Hono } from '../hono.js';
import { Api } from '../openapi.js';
import {
  ConnectionIdParams,
  ConnectionListQuery,
  ConnectionPage,
  ConnectionSchema,
  named,
} from '../schemas.js';

export const connectionsRoutes = new Hono<AppEnv>();
export const connectionsApi = new Api(connectionsRoutes);

connectionsApi.route(
  'get',
  '/v1/connections',
  () => ({
    operationId: 'listConnections',
    tags: ['Connections'],
    summary: 'List connections',
    query: ConnectionListQuery(),
    responses: { 200: { description: 'A page of connections', schema: ConnectionPage() } },
  }),
  async (c, { query }) => {
    const out = await c
      .get('services')
      .connections.list(tenantOf(c.get('principal')), { ...query, limit: query.limit ?? 50 });
    return c.json(out, 200);
  },
);

connectionsApi.route(
  'get',
  '/v1/connections/{id}',
  () => ({
    operationId: 'getConnection',
    tags: ['Connections'],
    summary: 'Get a connection',
    params: ConnectionIdParams(),
    responses: { 200: { description: 'The connection', schema: ConnectionSchema() } },
    errors: [404],
  }),
  async (c, { params }) =>
    c.json(await c.get('services').connections.get(tenantOf(c.get('principal')), params.id), 200),
);

connectionsApi.route(
  'delete',
  '/v1/connections/{id}',
  () => ({
    operationId: 'deleteConnection',
    tags: ['Connections'],
    summary: 'Disconnect',
    description:
      'Revokes the grant at the provider (a grant the provider already forgot counts as revoked), then deletes the connection.',
    params: ConnectionIdParams(),
    responses: { 204: { description: 'Deleted' } },
    errors: [404, 502, 503],
  }),
  async (c, { params }) => {
    const p = c.get('principal');
    await c.get('services').connections.delete(tenantOf(p), params.id, p.actor);
    return c.body(null, 204);
  },
);

connectionsApi.route(
  'post',
  '/v1/connections/{id}/refresh',
  () => ({
    operationId: 'refreshConnection',
    tags: ['Connections'],
    summary: 'Refresh the access token now',
    description:
      'Single-flight: concurrent calls share one provider refresh. A dead grant answers `409 needs_reauth`.',
    params: ConnectionIdParams(),
    responses: { 200: { description: 'The refreshed connection', schema: ConnectionSchema() } },
    errors: [404, 409, 429, 502, 503],
  }),
  async (c, { params }) =>
    c.json(await c.get('services').connections.refresh(tenantOf(c.get('principal')), params.id), 200),
);

connectionsApi.route(
  'get',
  '/v1/connections/{id}/token',
  () => ({
    operationId: 'getAccessToken',
    tags: ['Connections'],
    summary: 'A fresh access token',
    description:
      'Refreshed first when it expires within 5 minutes (single-flight across callers and processes). Private-app connections answer their token with `expiresAt: null`.',
    params: ConnectionIdParams(),
    responses: {
      200: {
        description: 'The token',
        schema: named(
          z.object({
            accessToken: z.string(),
            tokenType: z.literal('bearer'),
            expiresAt: z.nullable(z.string()),
          }),
          'AccessToken',
          {
            example: {
              accessToken: 'CJSP5qf1KhICAQEYs-gDIIGOBii1hQIyGQAf3xBKmlwHjX7OIpuIFEavB2-qYAGQsF4',
              tokenType: 'bearer',
              expiresAt: '2026-12-01T10:00:00.000Z',
            },
          },
        ),
      },
    },
    errors: [404, 409, 429, 502, 503],
  }),
  async (c, { params }) =>
    c.json(await c.get('services').connections.accessToken(tenantOf(c.get('principal')), params.id), 200),
);
