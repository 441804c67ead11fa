import { isIP } from 'node:net';
import * as z from 'zod/mini';
import type { ProviderName } from '../../config.js';
import { invalidRequest } from '../../errors.js';
import { isPrivateAddress } from '../../webhooks/ssrf.js';
import type { AppEnv } from '../context.js';
import { Hono } from '../hono.js';
import {
  PageQuery,
  ReturnUrlSchema,
  RevocationSchema,
  TenantSchema,
  WebhookUrlSchema,
} from '../lazy-schemas.js';
import { Api } from '../openapi.js';
import {
  ConnectionListQuery,
  ConnectionPage,
  doc,
  lazySchema,
  NextCursor,
  named,
  PathId,
  ProviderSchema,
} from '../schemas.js';

const TenantIdParams = lazySchema(() =>
  z.object({ tenantId: doc(PathId(), { example: 'ten_8x2k4m9q1w3e5r7t' }) }),
);
const Name = lazySchema(() => z.string().check(z.trim(), z.minLength(1), z.maxLength(200)));
const Scope = lazySchema(() =>
  z
    .string()
    .check(z.regex(/^[\x21-\x7e]+$/, 'scope names are printable ASCII without spaces'), z.maxLength(200)),
);

const CreateTenantBody = lazySchema(() =>
  doc(
    z.strictObject({
      name: Name(),
      returnUrls: z.optional(z.array(ReturnUrlSchema()).check(z.maxLength(50))),
      webhookUrl: z.optional(WebhookUrlSchema()),
      requireConfirmation: z.optional(z.boolean()),
    }),
    {
      example: {
        name: 'Acme',
        returnUrls: ['https://app.example.com/integrations'],
        webhookUrl: 'https://app.example.com/hooks/portico',
        requireConfirmation: true,
      },
    },
  ),
);
const PatchTenantBody = lazySchema(() =>
  doc(
    z.strictObject({
      name: z.optional(Name()),
      returnUrls: z.optional(z.array(ReturnUrlSchema()).check(z.maxLength(50))),
      webhookUrl: z.optional(z.nullable(WebhookUrlSchema())),
      requireConfirmation: z.optional(z.boolean()),
    }),
    { example: { name: 'Acme Inc.' } },
  ),
);
const AppBody = lazySchema(() =>
  doc(
    z.strictObject({
      clientId: z.string().check(z.minLength(1), z.maxLength(500)),
      clientSecret: z.string().check(z.minLength(1), z.maxLength(2000)),
      scopes: z.optional(z.array(Scope()).check(z.maxLength(100))),
      optionalScopes: doc(z.optional(z.array(Scope()).check(z.maxLength(100))), {
        description:
          "Scopes the user may decline (HubSpot's `optional_scope`); `scopes` are then exactly the app's required scopes.",
      }),
    }),
    {
      example: {
        clientId: '5f0c3e2a-8d1b-4c6e-9a7f-2b4d6e8f0a1c',
        clientSecret: 'your-app-secret',
        scopes: ['oauth', 'hubdb'],
      },
    },
  ),
);
const AppAnswer = lazySchema(() =>
  named(
    z.object({
      provider: ProviderSchema(),
      clientId: z.string(),
      scopes: z.optional(z.array(z.string())),
      optionalScopes: z.optional(z.array(z.string())),
    }),
    'TenantApp',
    { description: "A tenant's own OAuth app (its secret is never returned)." },
  ),
);
const AppParams = lazySchema(() => z.object({ tenantId: PathId(), provider: ProviderSchema() }));
const KeyParams = lazySchema(() => z.object({ tenantId: PathId(), keyId: PathId() }));

export const tenantsRoutes = new Hono<AppEnv>();
export const tenantsApi = new Api(tenantsRoutes);

tenantsApi.route(
  'post',
  '/v1/tenants',
  () => ({
    operationId: 'createTenant',
    tags: ['Admin'],
    summary: 'Create a tenant',
    description:
      'Answers the tenant, its first API key and its webhook signing secret, each shown only this once.',
    body: CreateTenantBody(),
    responses: {
      201: {
        description: 'Created',
        schema: named(
          z.object({
            tenant: TenantSchema(),
            apiKey: doc(z.string(), { example: 'ptk_3v9x2k8m1q4w6e7r5t2y9u8i' }),
            apiKeyId: doc(z.string(), { example: 'key_5n2b8v1c' }),
            webhookSecret: doc(z.string(), { example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' }),
          }),
          'CreatedTenant',
        ),
      },
    },
    errors: [413, 415],
  }),
  async (c, { body }) => {
    const { tenants, config } = c.get('services');
    checkWebhookUrl(body.webhookUrl, config.runtime);
    const created = await tenants.create(body, c.get('principal').actor);
    return c.json(created, 201);
  },
);

tenantsApi.route(
  'get',
  '/v1/tenants',
  () => ({
    operationId: 'listTenants',
    tags: ['Admin'],
    summary: 'List tenants',
    query: PageQuery(),
    responses: {
      200: {
        description: 'A page of tenants',
        schema: named(
          z.object({ tenants: z.array(TenantSchema()), nextCursor: z.optional(NextCursor()) }),
          'TenantPage',
        ),
      },
    },
  }),
  async (c, { query }) => c.json(await c.get('services').tenants.list(query.limit ?? 50, query.cursor), 200),
);

tenantsApi.route(
  'get',
  '/v1/tenants/{tenantId}',
  () => ({
    operationId: 'getTenant',
    tags: ['Admin'],
    summary: 'Get a tenant',
    params: TenantIdParams(),
    responses: { 200: { description: 'The tenant', schema: TenantSchema() } },
    errors: [404],
  }),
  async (c, { params }) => {
    const { tenants } = c.get('services');
    const revocations = await c.get('services').revocations();
    const tenant = await tenants.require(params.tenantId);
    if (tenant.status === 'active') return c.json(tenant, 200);
    const revocation = await revocations.progress(params.tenantId);
    return c.json({ ...tenant, ...(revocation ? { revocation } : {}) }, 200);
  },
);

tenantsApi.route(
  'patch',
  '/v1/tenants/{tenantId}',
  () => ({
    operationId: 'updateTenant',
    tags: ['Admin'],
    summary: 'Update a tenant',
    description: '`webhookUrl: null` removes the webhook.',
    params: TenantIdParams(),
    body: PatchTenantBody(),
    responses: { 200: { description: 'The updated tenant', schema: TenantSchema() } },
    errors: [404, 409, 413, 415],
  }),
  async (c, { params, body }) => {
    const { tenants, config } = c.get('services');
    checkWebhookUrl(body.webhookUrl ?? undefined, config.runtime);
    const tenant = await tenants.patch(params.tenantId, body, c.get('principal').actor);
    return c.json(tenant, 200);
  },
);

tenantsApi.route(
  'post',
  '/v1/tenants/{tenantId}/api-keys',
  () => ({
    operationId: 'createTenantApiKey',
    tags: ['Admin'],
    summary: 'Add a tenant API key',
    description: 'The key (`ptk_…`) is shown only in this answer; Portico keeps only its hash.',
    params: TenantIdParams(),
    responses: {
      201: {
        description: 'The new key',
        schema: named(z.object({ id: z.string(), apiKey: z.string() }), 'TenantApiKey'),
      },
    },
    errors: [404, 409],
  }),
  async (c, { params }) => {
    const key = await c.get('services').tenants.createApiKey(params.tenantId, c.get('principal').actor);
    return c.json(key, 201);
  },
);

tenantsApi.route(
  'get',
  '/v1/tenants/{tenantId}/api-keys',
  () => ({
    operationId: 'listTenantApiKeys',
    tags: ['Admin'],
    summary: "List a tenant's API keys",
    description:
      'Ids and creation times only: a key is shown once, when it is made. Rotate by adding a key, then deleting the old one.',
    params: TenantIdParams(),
    responses: {
      200: {
        description: 'The keys, oldest first',
        schema: z.object({ apiKeys: z.array(z.object({ id: z.string(), createdAt: z.string() })) }),
      },
    },
    errors: [404],
  }),
  async (c, { params }) =>
    c.json({ apiKeys: await c.get('services').tenants.listApiKeys(params.tenantId) }, 200),
);

tenantsApi.route(
  'delete',
  '/v1/tenants/{tenantId}/api-keys/{keyId}',
  () => ({
    operationId: 'deleteTenantApiKey',
    tags: ['Admin'],
    summary: 'Delete a tenant API key',
    description: 'The key stops working at once.',
    params: KeyParams(),
    responses: { 204: { description: 'Deleted' } },
    errors: [404],
  }),
  async (c, { params }) => {
    await c.get('services').tenants.deleteApiKey(params.tenantId, params.keyId, c.get('principal').actor);
    return c.body(null, 204);
  },
);

tenantsApi.route(
  'get',
  '/v1/tenants/{tenantId}/apps',
  () => ({
    operationId: 'listTenantApps',
    tags: ['Admin'],
    summary: "The tenant's own OAuth apps",
    description: 'Providers not listed use the platform app. Secrets are never returned.',
    params: TenantIdParams(),
    responses: {
      200: {
        description: 'The apps',
        schema: z.object({ apps: z.array(z.extend(AppAnswer(), { updatedAt: z.string() })) }),
      },
    },
    errors: [404],
  }),
  async (c, { params }) => c.json({ apps: await c.get('services').tenants.listApps(params.tenantId) }, 200),
);

tenantsApi.route(
  'put',
  '/v1/tenants/{tenantId}/apps/{provider}',
  () => ({
    operationId: 'putTenantApp',
    tags: ['Admin'],
    summary: "Use the tenant's own OAuth app",
    description:
      "New connections of this tenant and provider use this app instead of the platform's. The client secret is sealed and never returned.",
    params: AppParams(),
    body: AppBody(),
    responses: { 200: { description: 'The app (without its secret)', schema: AppAnswer() } },
    errors: [404, 409, 413, 415],
  }),
  async (c, { params, body }) => {
    const app = await c
      .get('services')
      .tenants.setApp(params.tenantId, params.provider as ProviderName, body, c.get('principal').actor);
    return c.json(
      {
        provider: app.provider,
        clientId: app.clientId,
        ...(app.scopes ? { scopes: app.scopes } : {}),
        ...(app.optionalScopes ? { optionalScopes: app.optionalScopes } : {}),
      },
      200,
    );
  },
);

tenantsApi.route(
  'delete',
  '/v1/tenants/{tenantId}/apps/{provider}',
  () => ({
    operationId: 'deleteTenantApp',
    tags: ['Admin'],
    summary: "Return to the platform's OAuth app",
    description: 'Existing connections keep refreshing with the app that issued their grant.',
    params: AppParams(),
    responses: { 204: { description: 'Deleted' } },
    errors: [404],
  }),
  async (c, { params }) => {
    await c
      .get('services')
      .tenants.deleteApp(params.tenantId, params.provider as ProviderName, c.get('principal').actor);
    return c.body(null, 204);
  },
);

tenantsApi.route(
  'delete',
  '/v1/tenants/{tenantId}',
  () => ({
    operationId: 'revokeTenant',
    tags: ['Admin'],
    summary: 'Revoke a tenant',
    description:
      'Stops the tenant at once in every process (its keys, connect links, callbacks, token reads and data routes), then revokes every grant at its provider as a durable job, within per-app limits, retrying failures for up to 24 hours. Answers `202` while grants are left (about 5 seconds of provider work happen first, so a small tenant answers `200` at once), and `200` once every grant is revoked or given up. Every item of the tenant is deleted but a tombstone, the failures list and the audit trail; its data key is destroyed after a last look for grants written by late callbacks. Idempotent: a repeat call answers the same progress.',
    params: TenantIdParams(),
    responses: {
      200: {
        description: 'Revoked: every grant accounted',
        schema: named(
          z.object({
            tenantId: z.string(),
            status: z.literal('revoked'),
            connections: z.object({ revoked: z.number(), failed: z.number() }),
          }),
          'TenantRevocation',
        ),
      },
      202: {
        description: 'Revoking: the tenant is stopped, grants are left',
        schema: named(
          z.object({
            tenantId: z.string(),
            status: z.literal('revoking'),
            revocation: RevocationSchema(),
          }),
          'TenantRevoking',
        ),
      },
    },
    errors: [404],
  }),
  async (c, { params }) => {
    const revocations = await c.get('services').revocations();
    const answer = await revocations.revoke(params.tenantId, c.get('principal').actor);
    return answer.status === 'revoked' ? c.json(answer, 200) : c.json(answer, 202);
  },
);

tenantsApi.route(
  'get',
  '/v1/tenants/{tenantId}/revocation/failures',
  () => ({
    operationId: 'listRevocationFailures',
    tags: ['Admin'],
    summary: "A revoked tenant's grants that could not be revoked",
    description:
      'The grants whose provider revocation still failed after 24 hours of retries (their credentials are deleted all the same).',
    params: TenantIdParams(),
    query: PageQuery(),
    responses: {
      200: {
        description: 'A page of failures',
        schema: named(
          z.object({
            failures: z.array(
              named(
                z.object({
                  connectionId: z.string(),
                  provider: ProviderSchema(),
                  endUserId: z.string(),
                  attempts: z.number(),
                  lastError: z.string(),
                }),
                'RevocationFailure',
              ),
            ),
            nextCursor: z.optional(z.string()),
          }),
          'RevocationFailurePage',
        ),
      },
    },
    errors: [404],
  }),
  async (c, { params, query }) => {
    const { tenants } = c.get('services');
    const revocations = await c.get('services').revocations();
    await tenants.require(params.tenantId);
    return c.json(await revocations.failures(params.tenantId, query.limit ?? 50, query.cursor), 200);
  },
);

tenantsApi.route(
  'post',
  '/v1/tenants/{tenantId}/webhook-secret',
  () => ({
    operationId: 'rotateWebhookSecret',
    tags: ['Admin'],
    summary: "Rotate the tenant's webhook signing secret",
    description:
      'The new secret (`whsec_…`) is shown only in this answer and signs every delivery from now on.',
    params: TenantIdParams(),
    responses: {
      201: {
        description: 'The new secret',
        schema: named(z.object({ webhookSecret: z.string() }), 'WebhookSecret'),
      },
    },
    errors: [404, 409],
  }),
  async (c, { params }) => {
    const webhookSecret = await c
      .get('services')
      .tenants.rotateWebhookSecret(params.tenantId, c.get('principal').actor);
    return c.json({ webhookSecret }, 201);
  },
);

tenantsApi.route(
  'get',
  '/v1/tenants/{tenantId}/connections',
  () => ({
    operationId: 'listTenantConnections',
    tags: ['Admin'],
    summary: "List a tenant's connections",
    description: "The same page as the tenant's own `GET /v1/connections`; empty once the tenant is revoked.",
    params: TenantIdParams(),
    query: ConnectionListQuery(),
    responses: { 200: { description: 'A page of connections', schema: ConnectionPage() } },
    errors: [404],
  }),
  async (c, { params, query }) => {
    const { tenants, connections } = c.get('services');
    await tenants.require(params.tenantId);
    const page = await connections.list(params.tenantId, { ...query, limit: query.limit ?? 50 });
    return c.json(page, 200);
  },
);

/** Webhook receivers must be https outside local mode (the SSRF checks also run at delivery). */
function checkWebhookUrl(url: string | undefined, runtime: 'local' | 'lambda') {
  if (!url || runtime !== 'lambda') return;
  if (!url.startsWith('https://')) throw invalidRequest('webhookUrl must be an https URL.');
  const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost') || (isIP(host) && isPrivateAddress(host))) {
    throw invalidRequest('webhookUrl must not point at a loopback, private or link-local address.');
  }
}
