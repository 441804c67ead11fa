import type { Hono } from 'hono';
import { once } from '../../once.js';
import type { AppEnv } from '../context.js';
import { type Api, honoPath, type Method, type RouteHandler } from '../openapi.js';

/**
 * A set of routes whose module the app loads on the first request of one such set (./lazy.ts; in
 * Lambda a chunk beside the bundle, infra/split-bundle.ts), so that a cold start neither parses
 * nor runs the admin API, the connect flow or a provider's data routes before a request needs
 * them. Its routes are listed here and registered when the app is built, each where its module's
 * routes were mounted, so matching, `405` with `Allow`, authentication and every middleware
 * around them are what they would be with the module loaded: only the handler waits for the
 * module, and runs in the app's own context. `test/http/families.test.ts` fails when a list here
 * and its module's routes differ.
 */
export interface RouteFamily {
  /** Each route as `[method, path]` (OpenAPI-style path), in its module's order. */
  readonly routes: ReadonlyArray<readonly [Method, string]>;
  /** The module's routes, loaded with every other family's on first use. */
  load(): Promise<Api>;
}

type LazyRoutes = typeof import('./lazy.js');
// Once for every family (a failed load is tried again by the next request).
const lazyRoutes = once(() => import('./lazy.js'));

function family(routes: RouteFamily['routes'], pick: (routes: LazyRoutes) => Api): RouteFamily {
  return { routes, load: async () => pick(await lazyRoutes()) };
}

/** Registers `family`'s routes on `app` at this point of its middleware chain. */
export function mountFamily(app: Hono<AppEnv>, routes: RouteFamily): void {
  for (const [method, path] of routes.routes) {
    let handler: RouteHandler | undefined;
    app.on(method.toUpperCase(), honoPath(path), async (c) => {
      handler ??= (await routes.load()).handler(method, path);
      return handler(c);
    });
  }
}

const tenantId = '/v1/tenants/{tenantId}';

/** The admin API: tenants, their keys, apps, revocation and connections (lib/http/routes/tenants.ts). */
export const tenantsFamily = family(
  [
    ['post', '/v1/tenants'],
    ['get', '/v1/tenants'],
    ['get', tenantId],
    ['patch', tenantId],
    ['post', `${tenantId}/api-keys`],
    ['get', `${tenantId}/api-keys`],
    ['delete', `${tenantId}/api-keys/{keyId}`],
    ['get', `${tenantId}/apps`],
    ['put', `${tenantId}/apps/{provider}`],
    ['delete', `${tenantId}/apps/{provider}`],
    ['delete', tenantId],
    ['get', `${tenantId}/revocation/failures`],
    ['post', `${tenantId}/webhook-secret`],
    ['get', `${tenantId}/connections`],
  ],
  (m) => m.tenantsApi,
);

export const adminAuditFamily = family([['get', `${tenantId}/audit`]], (m) => m.adminAuditApi);

export const tenantAuditFamily = family([['get', '/v1/audit']], (m) => m.tenantAuditApi);

export const adminWebhookFamily = family(
  [
    ['get', `${tenantId}/webhooks/deliveries`],
    ['post', `${tenantId}/webhooks/deliveries/{id}/retry`],
  ],
  (m) => m.adminWebhookApi,
);

export const tenantWebhookFamily = family(
  [
    ['get', '/v1/webhooks/deliveries'],
    ['post', '/v1/webhooks/deliveries/{id}/retry'],
  ],
  (m) => m.tenantWebhookApi,
);

export const adminStatsFamily = family([['get', `${tenantId}/stats`]], (m) => m.adminStatsApi);

export const statsFamily = family([['get', '/v1/stats']], (m) => m.statsApi);

/** Connect sessions, the headless exchange, confirmation and import (lib/http/routes/connect.ts). */
export const connectFamily = family(
  [
    ['post', '/v1/connect-sessions'],
    ['get', '/v1/connect-sessions/{id}'],
    ['get', '/v1/connect-sessions/{id}/authorization-url'],
    ['post', '/v1/connect-sessions/{id}/exchange'],
    ['post', '/v1/connect-sessions/{id}/confirm'],
    ['post', '/v1/connections'],
  ],
  (m) => m.connectApi,
);

/** The browser side of the web flow (lib/http/routes/oauth.ts). */
export const oauthFamily = family(
  [
    ['get', '/connect/{sid}'],
    ['post', '/connect/{sid}'],
    ['get', '/oauth/callback'],
  ],
  (m) => m.oauthApi,
);

const hubdbTable = '/v1/connections/{id}/hubdb/tables/{table}';

/** HubDB tables and rows of a HubSpot connection (lib/http/routes/hubdb.ts). */
export const hubspotFamily = family(
  [
    ['get', '/v1/connections/{id}/hubdb/tables'],
    ['get', hubdbTable],
    ['get', `${hubdbTable}/rows`],
    ['get', `${hubdbTable}/rows/{rowId}`],
    ['post', `${hubdbTable}/rows`],
    ['patch', `${hubdbTable}/rows/{rowId}`],
    ['delete', `${hubdbTable}/rows/{rowId}`],
    ['post', `${hubdbTable}/publish`],
  ],
  (m) => m.hubspotApi,
);

/** Files and Avro data of a Dropbox connection (lib/http/routes/dropbox.ts). */
export const dropboxFamily = family(
  [
    ['get', '/v1/connections/{id}/dropbox/files'],
    ['get', '/v1/connections/{id}/dropbox/content'],
    ['get', '/v1/connections/{id}/dropbox/avro'],
    ['get', '/v1/connections/{id}/dropbox/avro/schema'],
  ],
  (m) => m.dropboxApi,
);
