import * as z from 'zod/mini';
import { allTenantsScope } from '../../store/items.js';
import type { AppEnv } from '../context.js';
import { Hono } from '../hono.js';
import { TimeQuery } from '../lazy-schemas.js';
import { Api } from '../openapi.js';
import { doc, lazySchema, PathId } from '../schemas.js';

const StatsQuery = lazySchema(() =>
  z.object({
    since: doc(TimeQuery(), { description: 'ISO-8601; default 24 h (hour) or 30 days (day) before `until`' }),
    until: doc(TimeQuery(), { description: 'ISO-8601; default now' }),
    bucket: doc(z.optional(z.enum(['hour', 'day'])), { description: 'Default `hour`' }),
  }),
);
const StatsSchema = lazySchema(() =>
  z.object({
    bucket: z.enum(['hour', 'day']),
    since: z.string(),
    until: z.string(),
    connections: doc(z.record(z.string(), z.record(z.string(), z.number())), {
      description: 'Connections now, by provider and status',
      example: { hubspot: { active: 12, needs_reauth: 1 } },
    }),
    buckets: z.array(
      z.object({
        start: z.string(),
        refreshes: z.number(),
        refreshFailures: z.number(),
        tokenReads: z.number(),
        dataCalls: z.number(),
        providerErrors: z.number(),
      }),
    ),
  }),
);
const description =
  'Every bucket from `since` to `until`, zeros included (at most 744 hours or 366 days). Kept as one counter item per bucket, updated with atomic adds; counts reach the table within seconds.';

/** `GET /v1/stats`: a tenant's own counters, or, with the admin credential, every tenant's together. */
export const statsRoutes = new Hono<AppEnv>();
export const statsApi = new Api(statsRoutes).route(
  'get',
  '/v1/stats',
  () => ({
    operationId: 'getStats',
    tags: ['Stats'],
    summary: 'Counters per hour or day',
    description: `${description} With a tenant key, that tenant's; with the admin credential, every tenant's together.`,
    query: StatsQuery(),
    responses: { 200: { description: 'The counters', schema: StatsSchema() } },
  }),
  async (c, { query }) => {
    const p = c.get('principal');
    const scope = p.kind === 'tenant' ? p.tenantId : allTenantsScope;
    return c.json(await c.get('services').stats.read(scope, query), 200);
  },
);

/** The admin's view of one tenant's counters (mounted behind the admin check). */
export const adminStatsRoutes = new Hono<AppEnv>();
export const adminStatsApi = new Api(adminStatsRoutes).route(
  'get',
  '/v1/tenants/{tenantId}/stats',
  () => ({
    operationId: 'getTenantStats',
    tags: ['Admin'],
    summary: "A tenant's counters per hour or day",
    description,
    params: z.object({ tenantId: PathId() }),
    query: StatsQuery(),
    responses: { 200: { description: 'The counters', schema: StatsSchema() } },
    errors: [404],
  }),
  async (c, { params, query }) => {
    const { tenants, stats } = c.get('services');
    await tenants.require(params.tenantId);
    return c.json(await stats.read(params.tenantId, query), 200);
  },
);
