import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { ConnectionSchema } from '../connection-schema.js';
import type { AppEnv, Principal } from '../context.js';
import { bearerSecurity, errors, ProviderSchema, ReturnUrlSchema } from '../schemas.js';
import { validationHook } from '../validation.js';

export function tenantOf(p: Principal): string {
  if (p.kind !== 'tenant') throw new Error('unreachable: tenant routes run behind requireTenant');
  return p.tenantId;
}

const EndUserId = z
  .string()
  .min(1)
  .max(256)
  .openapi({ example: 'user_42', description: 'Your id for the end user (opaque to Portico).' });
const Scope = z
  .string()
  .regex(/^[\x21-\x7e]+$/, 'scope names are printable ASCII without spaces')
  .max(200);
const SessionIdParam = z.object({
  id: z
    .string()
    .max(64)
    .openapi({ param: { name: 'id', in: 'path' }, example: 'cs_4k9x2m7q1w3e5r7t' }),
});

const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
const body = <T extends z.ZodType>(schema: T) => ({
  body: { content: { 'application/json': { schema } }, required: true },
});

const CreateSessionBody = z
  .object({
    provider: ProviderSchema,
    endUserId: EndUserId,
    returnUrl: ReturnUrlSchema.optional().openapi({
      description: "Where the browser goes afterwards; must be under one of the tenant's returnUrls.",
    }),
    scopes: z
      .array(Scope)
      .min(1)
      .max(100)
      .optional()
      .openapi({ description: "Replace the app's default scopes for this session." }),
  })
  .strict()
  .openapi('CreateConnectSession');

const ConnectSessionSchema = z
  .object({ id: z.string(), connectUrl: z.string(), expiresAt: z.string().openapi({ format: 'date-time' }) })
  .openapi('ConnectSession');

const ImportBody = z
  .object({
    provider: ProviderSchema,
    endUserId: EndUserId,
    credentials: z.discriminatedUnion('type', [
      z
        .object({
          type: z.literal('oauth2'),
          refreshToken: z.string().min(1).max(4096),
          accessToken: z.string().min(1).max(4096).optional(),
          expiresAt: z.string().datetime().optional(),
        })
        .strict(),
      z
        .object({
          type: z.literal('private_app'),
          token: z
            .string()
            .regex(/^pat-[A-Za-z0-9-]{8,200}$/, 'a HubSpot private-app token starts with pat-'),
        })
        .strict(),
    ]),
  })
  .strict()
  .openapi('ImportConnection');

export const connectRoutes = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

connectRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/v1/connect-sessions',
    tags: ['Connect'],
    summary: 'Start connecting an end user',
    description:
      "Send the user's browser to `connectUrl` (a plain link or the browser SDK's popup). The session expires after 15 minutes and completes once.",
    security: bearerSecurity,
    request: body(CreateSessionBody),
    responses: { 201: json(ConnectSessionSchema, 'The session'), ...errors(409, 413, 422) },
  }),
  async (c) => {
    const tenantId = tenantOf(c.get('principal'));
    const session = await c.get('services').flows.createSession(tenantId, c.req.valid('json'));
    return c.json(session, 201);
  },
);

connectRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/v1/connect-sessions/{id}/authorization-url',
    tags: ['Connect'],
    summary: 'Headless: the raw provider authorization URL',
    description:
      'For a browser you do not control. Pass `redirectUri` when the provider should send the code elsewhere (it must be registered with the app); then exchange the code with `POST …/exchange`. Each call makes a new `state` and invalidates the previous one.',
    security: bearerSecurity,
    request: {
      params: SessionIdParam,
      query: z.object({
        redirectUri: ReturnUrlSchema.optional().openapi({ param: { name: 'redirectUri', in: 'query' } }),
      }),
    },
    responses: {
      200: json(z.object({ authorizationUrl: z.string(), state: z.string() }), 'The URL and its state'),
      ...errors(404),
    },
  }),
  async (c) => {
    const tenantId = tenantOf(c.get('principal'));
    const out = await c
      .get('services')
      .flows.authorizationUrl(tenantId, c.req.valid('param').id, c.req.valid('query').redirectUri);
    return c.json(out, 200);
  },
);

connectRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/v1/connect-sessions/{id}/exchange',
    tags: ['Connect'],
    summary: 'Headless: exchange a code obtained elsewhere',
    security: bearerSecurity,
    request: {
      params: SessionIdParam,
      ...body(
        z
          .object({ code: z.string().min(1).max(2048), redirectUri: ReturnUrlSchema.optional() })
          .strict()
          .openapi('ExchangeCode'),
      ),
    },
    responses: { 201: json(ConnectionSchema, 'The connection'), ...errors(404, 409, 413, 502, 503) },
  }),
  async (c) => {
    const p = c.get('principal');
    const { code, redirectUri } = c.req.valid('json');
    const connection = await c
      .get('services')
      .flows.exchange(tenantOf(p), c.req.valid('param').id, code, redirectUri, p.actor);
    return c.json(connection, 201);
  },
);

connectRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/v1/connections',
    tags: ['Connect'],
    summary: 'Import a grant obtained elsewhere',
    description:
      "An OAuth refresh token (checked by refreshing it with the tenant's app, or the platform's), or a HubSpot private-app token (`pat-…`, checked against the account-info API). Nothing is stored unless the provider accepts it.",
    security: bearerSecurity,
    request: body(ImportBody),
    responses: { 201: json(ConnectionSchema, 'The connection'), ...errors(409, 413, 422, 502, 503) },
  }),
  async (c) => {
    const p = c.get('principal');
    const connection = await c
      .get('services')
      .flows.importConnection(tenantOf(p), c.req.valid('json'), p.actor);
    return c.json(connection, 201);
  },
);
