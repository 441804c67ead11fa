import * as z from 'zod/mini';
import type { AppEnv } from '../context.js';
import { Hono } from '../hono.js';
import { Api } from '../openapi.js';
import { doc, PathId } from '../schemas.js';

/**
 * Routes served by plain Hono handlers (no JSON body to validate), described here so the OpenAPI
 * document and /docs list the whole surface.
 */
export const describedApi = new Api(new Hono<AppEnv>());

describedApi
  .describe('get', '/connect/{sid}', () => ({
    operationId: 'openConnectLink',
    tags: ['Browser flow'],
    summary: 'Open a connect link (the `connectUrl`)',
    description:
      "Checks the signed link, sets an http-only SameSite=Lax binding cookie (`__Secure-`-prefixed under https), and answers `302` to the provider's authorize URL (with a single-use `state` and PKCE). For a tenant with `requireConfirmation`, it first answers `200` with Portico's consent step, naming the tenant and the end user; its Continue posts back to this path. A forged, altered or expired link answers an HTML error page (400, or 410 for a used or expired session).",
    auth: 'none',
    params: z.object({ sid: PathId() }),
    query: z.object({ t: doc(z.string(), { description: 'The signed link token' }) }),
    responses: {
      200: { description: "Portico's consent step (tenants with requireConfirmation)" },
      302: { description: 'To the provider' },
    },
  }))
  .describe('post', '/connect/{sid}', () => ({
    operationId: 'continueConnectLink',
    tags: ['Browser flow'],
    summary: "The consent step's Continue",
    description:
      "A form post of the signed link token (`t`) from Portico's own consent page: sets the binding cookie and answers `303` to the provider. A post from another site (`Sec-Fetch-Site` other than `same-origin`, or a foreign `Origin`) answers 403.",
    auth: 'none',
    params: z.object({ sid: PathId() }),
    responses: { 303: { description: 'To the provider' }, 403: { description: 'Not from the consent page' } },
  }))
  .describe('get', '/oauth/callback', () => ({
    operationId: 'oauthCallback',
    tags: ['Browser flow'],
    summary: 'Where the provider sends the browser back',
    description:
      'Checks `state` (single use, bound to the session and the binding cookie), exchanges the code and stores the grant. With a `returnUrl`: `302` there with `connectionId=…&status=connected&connectSessionId=…&connectCode=…`, or `status=error&error=<code>` (`access_denied`, `invalid_state`, `expired`, `already_used`, `exchange_failed`, `provider_error`). Without: an HTML page that posts `{type: "portico:connected"|"portico:error", connectionId?, connectSessionId?, connectCode?, error?}` to `window.opener`, only at the tenant\'s allowed origins. Register `$PUBLIC_URL/oauth/callback` as the redirect URI with HubSpot and Dropbox.',
    auth: 'none',
    query: z.object({
      code: z.optional(z.string()),
      state: z.optional(z.string()),
      error: z.optional(z.string()),
    }),
    responses: { 200: { description: 'The popup page' }, 302: { description: 'To the returnUrl' } },
  }));

for (const method of ['get', 'post', 'put', 'patch', 'delete'] as const) {
  describedApi.describe(method, '/v1/connections/{id}/proxy/{path}', () => ({
    operationId: `proxy${method[0].toUpperCase()}${method.slice(1)}`,
    tags: ['Proxy'],
    summary: "The provider's API with the connection's credentials",
    description:
      "`<path>` goes to the provider's API host (HubSpot `api.hubapi.com`, Dropbox `api.dropboxapi.com`; `content/<path>` to Dropbox's content host), with the connection's token; your `Authorization` never reaches the provider. A 401 refreshes once and retries; 429 and 5xx are retried with backoff (bodies up to 1 MiB); the provider's answer streams back with `Cache-Control: no-store` (the provider's caching headers dropped), marked `Portico-Upstream: hubspot|dropbox` (an answer without that header, such as a `404` for an unknown connection, is Portico's own). Paths that would leave the provider host (dot segments, encoded slashes) answer 400.",
    params: z.object({ id: PathId(), path: z.string() }),
    responses: { 200: { description: "The provider's answer, as it was" } },
    errors: [404, 409, 429, 503],
  }));
}

describedApi
  .describe('get', '/healthz', () => ({
    operationId: 'getHealth',
    tags: ['Service'],
    summary: 'Liveness',
    auth: 'none',
    responses: { 200: { description: 'Up', schema: z.object({ ok: z.literal(true) }) } },
  }))
  .describe('get', '/sdk/connect.js', () => ({
    operationId: 'getBrowserSdk',
    tags: ['Service'],
    summary: 'The browser SDK (an ES module; types at /sdk/connect.d.ts)',
    auth: 'none',
    responses: { 200: { description: 'JavaScript' } },
  }))
  .describe('get', '/admin', () => ({
    operationId: 'getAdminConsole',
    tags: ['Service'],
    summary: 'The admin console (sign in with the admin key)',
    auth: 'none',
    responses: { 200: { description: 'HTML' } },
  }));
