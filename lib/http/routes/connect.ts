import * as z from 'zod/mini';
import { tenantOf } from '../auth.js';
import type { AppEnv } from '../context.js';
import { Hono } from '../hono.js';
import { ReturnUrlSchema } from '../lazy-schemas.js';
import { Api } from '../openapi.js';
import { ConnectionSchema, doc, lazySchema, named, PathId, ProviderSchema } from '../schemas.js';

const EndUserId = lazySchema(() =>
  doc(z.string().check(z.minLength(1), z.maxLength(256)), {
    description: 'Your id for the end user (opaque to Portico).',
    example: 'user_42',
  }),
);
const Scope = lazySchema(() =>
  z
    .string()
    .check(z.regex(/^[\x21-\x7e]+$/, 'scope names are printable ASCII without spaces'), z.maxLength(200)),
);
const SessionParams = lazySchema(() => z.object({ id: doc(PathId(), { example: 'cs_4k9x2m7q1w3e5r7t' }) }));

const CreateSessionBody = lazySchema(() =>
  doc(
    z.strictObject({
      provider: ProviderSchema(),
      endUserId: EndUserId(),
      returnUrl: doc(z.optional(ReturnUrlSchema()), {
        description: "Where the browser goes afterwards; must be under one of the tenant's returnUrls.",
      }),
      scopes: doc(z.optional(z.array(Scope()).check(z.minLength(1), z.maxLength(100))), {
        description: "Replace the app's default scopes for this session.",
      }),
    }),
    {
      example: {
        provider: 'hubspot',
        endUserId: 'user_42',
        returnUrl: 'https://app.example.com/integrations',
      },
    },
  ),
);
const ConnectSessionSchema = lazySchema(() =>
  named(z.object({ id: z.string(), connectUrl: z.string(), expiresAt: z.string() }), 'ConnectSession', {
    description:
      "Send the end user's browser to `connectUrl`; it expires after 15 minutes and completes once.",
    example: {
      id: 'cs_4k9x2m7q1w3e5r7t',
      connectUrl: 'https://portico.example.com/connect/cs_4k9x2m7q1w3e5r7t?t=…',
      expiresAt: '2026-12-01T09:45:00.000Z',
    },
  }),
);

const ImportBody = lazySchema(() =>
  doc(
    z.strictObject({
      provider: ProviderSchema(),
      endUserId: EndUserId(),
      credentials: z.discriminatedUnion('type', [
        z.strictObject({
          type: z.literal('oauth2'),
          refreshToken: z.string().check(z.minLength(1), z.maxLength(4096)),
          accessToken: z.optional(z.string().check(z.minLength(1), z.maxLength(4096))),
          expiresAt: z.optional(z.iso.datetime()),
        }),
        z.strictObject({
          type: z.literal('private_app'),
          // The provider checks the token's shape and then the token itself (HubSpot: account-info).
          token: doc(
            z
              .string()
              .check(
                z.minLength(16),
                z.maxLength(512),
                z.regex(/^[\x21-\x7e]+$/, 'a token of printable ASCII'),
              ),
            { description: 'A HubSpot private-app token (`pat-na1-…`, `pat-eu1-…`) or service key' },
          ),
        }),
      ]),
    }),
    {
      example: {
        provider: 'dropbox',
        endUserId: 'user_42',
        credentials: { type: 'oauth2', refreshToken: 'a-refresh-token-from-elsewhere' },
      },
    },
  ),
);

export const connectRoutes = new Hono<AppEnv>();
export const connectApi = new Api(connectRoutes);

connectApi.route(
  'post',
  '/v1/connect-sessions',
  () => ({
    operationId: 'createConnectSession',
    tags: ['Connect'],
    summary: 'Start connecting an end user',
    description:
      "Send the user's browser to `connectUrl` (a plain link or the browser SDK's popup). The session expires after 15 minutes and completes once.",
    body: CreateSessionBody(),
    responses: { 201: { description: 'The session', schema: ConnectSessionSchema() } },
    errors: [409, 413, 415, 422],
  }),
  async (c, { body }) => {
    const flows = await c.get('services').flows();
    const session = await flows.createSession(tenantOf(c.get('principal')), body);
    return c.json(session, 201);
  },
);

connectApi.route(
  'get',
  '/v1/connect-sessions/{id}',
  () => ({
    operationId: 'getConnectSession',
    tags: ['Connect'],
    summary: "A connect session's state",
    description:
      "`pending` until the user finishes, then `completed` (with `connectionId`) or `failed` (with the flow's `error` code); `expired` once 15 minutes pass unfinished. A pending session may carry the `error` of an attempt that can be retried.",
    params: SessionParams(),
    responses: {
      200: {
        description: 'The session',
        schema: named(
          z.object({
            id: z.string(),
            provider: ProviderSchema(),
            endUserId: z.string(),
            status: z.enum(['pending', 'completed', 'expired', 'failed']),
            expiresAt: z.string(),
            connectionId: z.optional(z.string()),
            error: z.optional(z.string()),
            confirmed: doc(z.boolean(), {
              description:
                'Whether the backend confirmed the flow (`POST …/confirm`); tenants without `requireConfirmation` never need to',
            }),
          }),
          'ConnectSessionState',
        ),
      },
    },
    errors: [404],
  }),
  async (c, { params }) => {
    const flows = await c.get('services').flows();
    return c.json(await flows.sessionState(tenantOf(c.get('principal')), params.id), 200);
  },
);

connectApi.route(
  'get',
  '/v1/connect-sessions/{id}/authorization-url',
  () => ({
    operationId: 'getAuthorizationUrl',
    tags: ['Connect'],
    summary: 'Headless: the raw provider authorization URL',
    description:
      'For a browser you do not control. Pass `redirectUri` when the provider should send the code elsewhere (it must be registered with the app); then exchange the code with `POST …/exchange`. Each call makes a new `state` and invalidates the previous one.',
    params: SessionParams(),
    query: z.object({ redirectUri: z.optional(ReturnUrlSchema()) }),
    responses: {
      200: {
        description: 'The URL and its state',
        schema: named(z.object({ authorizationUrl: z.string(), state: z.string() }), 'AuthorizationUrl'),
      },
    },
    errors: [404],
  }),
  async (c, { params, query }) => {
    const flows = await c.get('services').flows();
    const out = await flows.authorizationUrl(tenantOf(c.get('principal')), params.id, query.redirectUri);
    return c.json(out, 200);
  },
);

connectApi.route(
  'post',
  '/v1/connect-sessions/{id}/exchange',
  () => ({
    operationId: 'exchangeCode',
    tags: ['Connect'],
    summary: 'Headless: exchange a code obtained elsewhere',
    params: SessionParams(),
    body: z.strictObject({
      code: z.string().check(z.minLength(1), z.maxLength(2048)),
      redirectUri: z.optional(ReturnUrlSchema()),
    }),
    responses: { 201: { description: 'The connection', schema: ConnectionSchema() } },
    errors: [404, 409, 413, 415, 502, 503],
  }),
  async (c, { params, body }) => {
    const p = c.get('principal');
    const flows = await c.get('services').flows();
    const connection = await flows.exchange(tenantOf(p), params.id, body.code, body.redirectUri, p.actor);
    return c.json(connection, 201);
  },
);

connectApi.route(
  'post',
  '/v1/connect-sessions/{id}/confirm',
  () => ({
    operationId: 'confirmConnectSession',
    tags: ['Connect'],
    summary: 'Confirm a completed browser flow',
    description:
      "When a browser flow completes, Portico hands the browser a single-use `connectCode` (on the `returnUrl` as `connectCode=`, or in the popup's `portico:connected` message). Your backend, which knows which of your users is signed in, sends it here: a tenant with `requireConfirmation` keeps the connection `pending` (never served, never refreshed, void when the code expires) until then. Pass `endUserId` (the signed-in user) so that a session of another end user, a connect link someone forwarded, is refused (409). The code lasts as long as its session and at least 10 minutes after the flow completed, and works once.",
    params: SessionParams(),
    body: z.strictObject({
      connectCode: z.string().check(z.minLength(1), z.maxLength(200)),
      endUserId: doc(z.optional(EndUserId()), {
        description: 'The end user signed in to your product: the session must be theirs.',
      }),
    }),
    responses: { 200: { description: 'The connection, now active', schema: ConnectionSchema() } },
    errors: [404, 409, 413, 415],
  }),
  async (c, { params, body }) => {
    const p = c.get('principal');
    const flows = await c.get('services').flows();
    const connection = await flows.confirm(tenantOf(p), params.id, body, p.actor);
    return c.json(connection, 200);
  },
);

connectApi.route(
  'post',
  '/v1/connections',
  () => ({
    operationId: 'importConnection',
    tags: ['Connect'],
    summary: 'Import a grant obtained elsewhere',
    description:
      "An OAuth refresh token (checked by refreshing it with the tenant's app, or the platform's), or a HubSpot private-app token (`pat-na1-…`, `pat-eu1-…`) or service key, checked against the account-info API. Nothing is stored unless the provider accepts it.",
    body: ImportBody(),
    responses: { 201: { description: 'The connection', schema: ConnectionSchema() } },
    errors: [409, 413, 415, 422, 502, 503],
  }),
  async (c, { body }) => {
    const p = c.get('principal');
    const flows = await c.get('services').flows();
    const connection = await flows.importConnection(tenantOf(p), body, p.actor);
    return c.json(connection, 201);
  },
);
