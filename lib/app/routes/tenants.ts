import { isIP } from 'node:net';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { ProviderName } from '../../config.js';
import { invalidRequest, notFound } from '../../errors.js';
import { revokeTenant } from '../../tenants/revoke.js';
import { isPrivateAddress } from '../../webhooks/ssrf.js';
import type { AppEnv } from '../context.js';
import {
  bearerSecurity,
  CursorQuery,
  errors,
  LimitQuery,
  ProviderSchema,
  ReturnUrlSchema,
  TenantSchema,
  WebhookUrlSchema,
} from '../schemas.js';
import { validationHook } from '../validation.js';

const TenantIdParam = z.object({
  tenantId: z
    .string()
    .max(64)
    .openapi({ param: { name: 'tenantId', in: 'path' }, example: 'ten_8x2k4m9q1w3e5r7t' }),
});
const Name = z.string().trim().min(1).max(200);

const CreateTenantBody = z
  .object({
    name: Name,
    returnUrls: z.array(ReturnUrlSchema).max(50).optional(),
    webhookUrl: WebhookUrlSchema.optional(),
  })
  .strict()
  .openapi('CreateTenant');

const PatchTenantBody = z
  .object({
    name: Name.optional(),
    returnUrls: z.array(ReturnUrlSchema).max(50).optional(),
    webhookUrl: WebhookUrlSchema.nullable().optional(),
  })
  .strict()
  .openapi('PatchTenant');

const AppBody = z
  .object({
    clientId: z.string().min(1).max(500),
    clientSecret: z.string().min(1).max(2000),
    scopes: z
      .array(
        z
          .string()
          .regex(/^[\x21-\x7e]+$/)
          .max(200),
      )
      .max(100)
      .optional(),
  })
  .strict()
  .openapi('TenantAppInput');

const AppAnswer = z
  .object({ provider: ProviderSchema, clientId: z.string(), scopes: z.array(z.string()).optional() })
  .openapi('TenantApp');

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
const body = <T extends z.ZodType>(schema: T) => ({
  body: { content: { 'application/json': { schema } }, required: true },
});

export const tenantsRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

tenantsRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/v1/tenants',
    tags: ['Admin'],
    summary: 'Create a tenant',
    description:
      'Answers the tenant, its first API key and its webhook signing secret, each shown only this once.',
    security: bearerSecurity,
    request: body(CreateTenantBody),
    responses: {
      201: json(
        z.object({
          tenant: TenantSchema,
          apiKey: z.string(),
          apiKeyId: z.string(),
          webhookSecret: z.string(),
        }),
        'Created',
      ),
      ...errors(413),
    },
  }),
  async (c) => {
    const { tenants, audit, config } = c.get('services');
    const input = c.req.valid('json');
    checkWebhookUrl(input.webhookUrl, config.runtime);
    const created = await tenants.create(input);
    await audit.record({
      actor: c.get('principal').actor,
      action: 'tenant.created',
      tenantId: created.tenant.id,
      outcome: 'success',
    });
    return c.json(created, 201);
  },
);

tenantsRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/v1/tenants',
    tags: ['Admin'],
    summary: 'List tenants',
    security: bearerSecurity,
    request: { query: z.object({ limit: LimitQuery, cursor: CursorQuery }) },
    responses: {
      200: json(
        z.object({ tenants: z.array(TenantSchema), nextCursor: z.string().optional() }),
        'A page of tenants',
      ),
      ...errors(),
    },
  }),
  async (c) => {
    const { limit, cursor } = c.req.valid('query');
    return c.json(await c.get('services').tenants.list(limit ?? 50, cursor), 200);
  },
);

tenantsRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/v1/tenants/{tenantId}',
    tags: ['Admin'],
    summary: 'Get a tenant',
    security: bearerSecurity,
    request: { params: TenantIdParam },
    responses: { 200: json(TenantSchema, 'The tenant'), ...errors(404) },
  }),
  async (c) => c.json(await c.get('services').tenants.require(c.req.valid('param').tenantId), 200),
);

tenantsRoutes.openapi(
  createRoute({
    method: 'patch',
    path: '/v1/tenants/{tenantId}',
    tags: ['Admin'],
    summary: 'Update a tenant',
    description: '`webhookUrl: null` removes the webhook.',
    security: bearerSecurity,
    request: { params: TenantIdParam, ...body(PatchTenantBody) },
    responses: { 200: json(TenantSchema, 'The updated tenant'), ...errors(404, 409, 413) },
  }),
  async (c) => {
    const { tenants, audit, config } = c.get('services');
    const { tenantId } = c.req.valid('param');
    const input = c.req.valid('json');
    checkWebhookUrl(input.webhookUrl ?? undefined, config.runtime);
    const tenant = await tenants.patch(tenantId, input);
    await audit.record({
      actor: c.get('principal').actor,
      action: 'tenant.updated',
      tenantId,
      outcome: 'success',
    });
    return c.json(tenant, 200);
  },
);

tenantsRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/v1/tenants/{tenantId}/api-keys',
    tags: ['Admin'],
    summary: 'Add a tenant API key',
    description: 'The key (`ptk_…`) is shown only in this answer; Portico keeps only its hash.',
    security: bearerSecurity,
    request: { params: TenantIdParam },
    responses: {
      201: json(z.object({ id: z.string(), apiKey: z.string() }), 'The new key'),
      ...errors(404, 409),
    },
  }),
  async (c) => {
    const { tenants, audit } = c.get('services');
    const { tenantId } = c.req.valid('param');
    await tenants.requireActive(tenantId);
    const key = await tenants.createApiKey(tenantId);
    await audit.record({
      actor: c.get('principal').actor,
      action: 'api_key.created',
      tenantId,
      outcome: 'success',
    });
    return c.json(key, 201);
  },
);

tenantsRoutes.openapi(
  createRoute({
    method: 'delete',
    path: '/v1/tenants/{tenantId}/api-keys/{keyId}',
    tags: ['Admin'],
    summary: 'Delete a tenant API key',
    description: 'The key stops working at once.',
    security: bearerSecurity,
    request: {
      params: TenantIdParam.extend({
        keyId: z
          .string()
          .max(64)
          .openapi({ param: { name: 'keyId', in: 'path' } }),
      }),
    },
    responses: { 204: { description: 'Deleted' }, ...errors(404) },
  }),
  async (c) => {
    const { tenants, audit } = c.get('services');
    const { tenantId, keyId } = c.req.valid('param');
    await tenants.require(tenantId);
    await tenants.deleteApiKey(tenantId, keyId);
    await audit.record({
      actor: c.get('principal').actor,
      action: 'api_key.deleted',
      tenantId,
      outcome: 'success',
    });
    return c.body(null, 204);
  },
);

const AppParams = TenantIdParam.extend({
  provider: ProviderSchema.openapi({ param: { name: 'provider', in: 'path' } }),
});

tenantsRoutes.openapi(
  createRoute({
    method: 'put',
    path: '/v1/tenants/{tenantId}/apps/{provider}',
    tags: ['Admin'],
    summary: "Use the tenant's own OAuth app",
    description:
      "New connections of this tenant and provider use this app instead of the platform's. The client secret is sealed and never returned.",
    security: bearerSecurity,
    request: { params: AppParams, ...body(AppBody) },
    responses: { 200: json(AppAnswer, 'The app (without its secret)'), ...errors(404, 409, 413) },
  }),
  async (c) => {
    const { tenants, audit } = c.get('services');
    const { tenantId, provider } = c.req.valid('param');
    await tenants.requireActive(tenantId);
    const app = await tenants.setApp(tenantId, provider as ProviderName, c.req.valid('json'));
    await audit.record({
      actor: c.get('principal').actor,
      action: `app.${provider}.set`,
      tenantId,
      outcome: 'success',
    });
    return c.json(
      { provider: app.provider, clientId: app.clientId, ...(app.scopes ? { scopes: app.scopes } : {}) },
      200,
    );
  },
);

tenantsRoutes.openapi(
  createRoute({
    method: 'delete',
    path: '/v1/tenants/{tenantId}/apps/{provider}',
    tags: ['Admin'],
    summary: "Return to the platform's OAuth app",
    description: 'Existing connections keep refreshing with the app that issued their grant.',
    security: bearerSecurity,
    request: { params: AppParams },
    responses: { 204: { description: 'Deleted' }, ...errors(404) },
  }),
  async (c) => {
    const { tenants, audit } = c.get('services');
    const { tenantId, provider } = c.req.valid('param');
    await tenants.require(tenantId);
    if (!(await tenants.deleteApp(tenantId, provider as ProviderName))) throw notFound('App');
    await audit.record({
      actor: c.get('principal').actor,
      action: `app.${provider}.deleted`,
      tenantId,
      outcome: 'success',
    });
    return c.body(null, 204);
  },
);

/** Webhook receivers must be https outside local mode (the SSRF checks run at delivery). */
function checkWebhookUrl(url: string | undefined, runtime: 'local' | 'lambda') {
  if (!url || runtime !== 'lambda') return;
  if (!url.startsWith('https://')) throw invalidRequest('webhookUrl must be an https URL.');
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost') || (isIP(host) && isPrivateAddress(host))) {
    throw invalidRequest('webhookUrl must not point at a loopback, private or link-local address.');
  }
}

tenantsRoutes.openapi(
  createRoute({
    method: 'delete',
    path: '/v1/tenants/{tenantId}',
    tags: ['Admin'],
    summary: 'Revoke a tenant',
    description:
      "The tenant's keys stop working at once; its data key is destroyed (nothing of it can be decrypted any more); every grant is revoked at its provider; every item of the tenant is deleted but a tombstone and the audit trail. Idempotent: a repeat call answers the same, and a call after an interrupted run finishes it.",
    security: bearerSecurity,
    request: { params: TenantIdParam },
    responses: {
      200: json(
        z
          .object({
            tenantId: z.string(),
            status: z.literal('revoked'),
            connections: z.object({ revoked: z.number().int(), failed: z.number().int() }),
          })
          .openapi('TenantRevocation'),
        'Revoked',
      ),
      ...errors(404),
    },
  }),
  async (c) => {
    const services = c.get('services');
    const { tenantId } = c.req.valid('param');
    const result = await revokeTenant(
      { ...services, events: services.outbox },
      tenantId,
      c.get('principal').actor,
    );
    return c.json(result, 200);
  },
);

tenantsRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/v1/tenants/{tenantId}/webhook-secret',
    tags: ['Admin'],
    summary: "Rotate the tenant's webhook signing secret",
    description:
      'The new secret (`whsec_…`) is shown only in this answer and signs every delivery from now on.',
    security: bearerSecurity,
    request: { params: TenantIdParam },
    responses: { 201: json(z.object({ webhookSecret: z.string() }), 'The new secret'), ...errors(404, 409) },
  }),
  async (c) => {
    const { tenants, audit } = c.get('services');
    const { tenantId } = c.req.valid('param');
    const webhookSecret = await tenants.rotateWebhookSecret(tenantId);
    await audit.record({
      actor: c.get('principal').actor,
      action: 'webhook_secret.rotated',
      tenantId,
      outcome: 'success',
    });
    return c.json({ webhookSecret }, 201);
  },
);
