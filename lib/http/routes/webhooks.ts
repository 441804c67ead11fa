import * as z from 'zod/mini';
import { tenantOf } from '../auth.js';
import type { AppEnv } from '../context.js';
import { Hono } from '../hono.js';
import { Api } from '../openapi.js';
import { CursorQuery, doc, LimitQuery, lazySchema, PathId } from '../schemas.js';

const eventTypes = [
  'connection.created',
  'connection.updated',
  'connection.needs_reauth',
  'connection.deleted',
  'connection.refresh_failed',
  'connection.recovered',
  'tenant.revoked',
] as const;

const DeliverySchema = lazySchema(() =>
  z.object({
    id: doc(z.string(), {
      description: 'The `webhook-id` the receiver saw',
      example: 'msg_4k9x2m7q1w3e5r7t',
    }),
    event: z.enum(eventTypes),
    status: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.number(),
    lastStatusCode: doc(z.nullable(z.number()), {
      description: "The receiver's HTTP status of the last attempt",
    }),
    lastError: doc(z.nullable(z.string()), {
      description:
        'Why the last attempt failed: `http_<status>`, `timeout`, `unreachable`, `refused_url`, `no_webhook_url`, …',
    }),
    lastAttemptAt: z.nullable(z.string()),
    nextAttemptAt: doc(z.nullable(z.string()), {
      description: 'When the next attempt is due (pending only)',
    }),
    createdAt: z.string(),
  }),
);
const DeliveryPage = lazySchema(() =>
  z.object({ deliveries: z.array(DeliverySchema()), nextCursor: z.optional(z.string()) }),
);
const DeliveryQuery = lazySchema(() =>
  z.object({
    status: z.optional(z.enum(['pending', 'delivered', 'failed'])),
    event: z.optional(z.enum(eventTypes)),
    limit: LimitQuery(),
    cursor: CursorQuery(),
  }),
);
const listDescription =
  'Newest first. Pending deliveries are retried with backoff for a day, then `failed`; delivered ones are listed for 30 days. Each filter reads an index, so a page costs what it returns.';
const retryDescription =
  'Re-queues a `failed` delivery for delivery now, with a fresh day of retries, under the same `webhook-id` (receivers deduplicate on it). A delivery that is not failed is a `409 conflict`.';

/** A tenant's own webhook deliveries. */
export const tenantWebhookRoutes = new Hono<AppEnv>();
export const tenantWebhookApi = new Api(tenantWebhookRoutes)
  .route(
    'get',
    '/v1/webhooks/deliveries',
    () => ({
      operationId: 'listWebhookDeliveries',
      tags: ['Webhooks'],
      summary: 'Your webhook deliveries',
      description: listDescription,
      query: DeliveryQuery(),
      responses: { 200: { description: 'A page of deliveries', schema: DeliveryPage() } },
    }),
    async (c, { query }) => {
      const outbox = await c.get('services').outbox();
      return c.json(
        await outbox.deliveries(tenantOf(c.get('principal')), { ...query, limit: query.limit ?? 50 }),
        200,
      );
    },
  )
  .route(
    'post',
    '/v1/webhooks/deliveries/{id}/retry',
    () => ({
      operationId: 'retryWebhookDelivery',
      tags: ['Webhooks'],
      summary: 'Retry a failed delivery',
      description: retryDescription,
      params: z.object({ id: PathId() }),
      responses: { 202: { description: 'Queued', schema: DeliverySchema() } },
      errors: [404, 409],
    }),
    async (c, { params }) => {
      const outbox = await c.get('services').outbox();
      return c.json(await outbox.retry(tenantOf(c.get('principal')), params.id), 202);
    },
  );

/** The admin's view of one tenant's webhook deliveries (mounted behind the admin check). */
export const adminWebhookRoutes = new Hono<AppEnv>();
export const adminWebhookApi = new Api(adminWebhookRoutes)
  .route(
    'get',
    '/v1/tenants/{tenantId}/webhooks/deliveries',
    () => ({
      operationId: 'listTenantWebhookDeliveries',
      tags: ['Admin'],
      summary: "A tenant's webhook deliveries",
      description: listDescription,
      params: z.object({ tenantId: PathId() }),
      query: DeliveryQuery(),
      responses: { 200: { description: 'A page of deliveries', schema: DeliveryPage() } },
      errors: [404],
    }),
    async (c, { params, query }) => {
      const { tenants } = c.get('services');
      const outbox = await c.get('services').outbox();
      await tenants.require(params.tenantId);
      return c.json(await outbox.deliveries(params.tenantId, { ...query, limit: query.limit ?? 50 }), 200);
    },
  )
  .route(
    'post',
    '/v1/tenants/{tenantId}/webhooks/deliveries/{id}/retry',
    () => ({
      operationId: 'retryTenantWebhookDelivery',
      tags: ['Admin'],
      summary: "Retry a tenant's failed delivery",
      description: retryDescription,
      params: z.object({ tenantId: PathId(), id: PathId() }),
      responses: { 202: { description: 'Queued', schema: DeliverySchema() } },
      errors: [404, 409],
    }),
    async (c, { params }) => {
      const { tenants, audit } = c.get('services');
      const outbox = await c.get('services').outbox();
      await tenants.require(params.tenantId);
      const delivery = await outbox.retry(params.tenantId, params.id);
      await audit.record({
        actor: c.get('principal').actor,
        action: 'webhook.retried',
        tenantId: params.tenantId,
        outcome: 'success',
        detail: params.id,
      });
      return c.json(delivery, 202);
    },
  );
