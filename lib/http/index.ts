import { bodyLimit } from 'hono/body-limit';
import { requestId } from 'hono/request-id';
import { originHeaderName } from '../config.js';
import { PorticoError } from '../errors.js';
import { safeEqual } from '../ids.js';
import type { Services } from '../services.js';
import { createAuthenticator, requireAdmin, requireTenant } from './auth.js';
import type { AppEnv } from './context.js';
import { Hono } from './hono.js';
import { flowPageHeaders } from './pages/flow-policy.js';
import { onError, problemResponse } from './problem.js';
import { type RateLimitOptions, rateLimit, TokenBuckets } from './rate-limit.js';
import { connectionsRoutes } from './routes/connections.js';
import { docsRoutes } from './routes/docs.js';
import {
  adminAuditFamily,
  adminStatsFamily,
  adminWebhookFamily,
  connectFamily,
  mountFamily,
  oauthFamily,
  statsFamily,
  tenantAuditFamily,
  tenantsFamily,
  tenantWebhookFamily,
} from './routes/families.js';
import { providerRoutes } from './routes/providers.js';
import { proxyRoutes } from './routes/proxy.js';
import { securityHeaders } from './security.js';
import { type StaticContentSource, uiRoutes } from './ui/index.js';

export type { Services } from '../services.js';

export interface AppOptions {
  /**
   * The admin console's, the browser SDK's and the API reference's build-time content: a
   * `static.json` beside the Lambda bundle (`staticContentFile`), built in process elsewhere
   * (`builtStaticContent` from lib/http/ui/build.ts).
   */
  content: StaticContentSource;
  /** Overrides of the per-key rate limit (tests inject a clock); the rate and burst default to the config's. */
  rateLimit?: RateLimitOptions;
  /** Extra sub-apps mounted before the not-found handler (the local sandbox and demo page). */
  mount?: Array<{
    path: string;
    app: { fetch: (req: Request, ...rest: never[]) => Response | Promise<Response> };
  }>;
}

const MiB = 1024 * 1024;

/**
 * The whole HTTP API as one Hono app: the same object serves the local server, the Lambda
 * handler and `app.request()` in tests.
 */
export function createApp(services: Services, options: AppOptions) {
  const app = new Hono<AppEnv>();
  const authenticate = createAuthenticator(services);
  const log = services.log;

  app.use('*', requestId({ headerName: 'x-request-id', limitLength: 64 }));
  const { originSecret } = services.config;
  if (originSecret) {
    // Behind CloudFront: a request that went around the domain to the function URL is refused.
    app.use('*', async (c, next) => {
      if (!safeEqual(c.req.header(originHeaderName) ?? '', originSecret)) {
        return problemResponse(
          new PorticoError('forbidden', `Call this service at ${services.config.publicUrl}.`),
          c.get('requestId'),
        );
      }
      return next();
    });
  }
  app.use('*', async (c, next) => {
    c.set('services', services);
    const started = performance.now();
    await next();
    log.info('request', {
      requestId: c.get('requestId'),
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Math.round((performance.now() - started) * 10) / 10,
    });
  });
  app.route('/', uiRoutes(services, options.content)); // before the security headers: it sets the popup flow's opener policy
  app.use('*', securityHeaders(services.config.publicUrl));
  const limitBody = bodyLimit({
    maxSize: MiB,
    onError: () =>
      problemResponse(new PorticoError('payload_too_large', 'The request body is larger than 1 MiB.')),
  });
  app.use('/v1/*', async (c, next) => {
    // GET and HEAD carry no body (Request refuses one); asking for it would build the whole
    // Request object the Node adapter otherwise never makes, a tenth of a warm token read's CPU.
    if (c.req.method === 'GET' || c.req.method === 'HEAD' || /\/proxy(\/|$)/.test(c.req.path)) return next();
    return limitBody(c, next);
  });
  app.use('/v1/*', async (c, next) => {
    c.header('cache-control', 'no-store');
    await next();
  });
  // Before authentication: a key past its limit costs no store round trip.
  app.use(
    '/v1/*',
    rateLimit(
      new TokenBuckets({
        ratePerSecond: services.config.rateLimit.perSecond,
        burst: services.config.rateLimit.burst,
        ...options.rateLimit,
      }),
    ),
  );

  // Admin routes: tenant management and each tenant's audit trail.
  app.use('/v1/tenants', requireAdmin(authenticate));
  app.use('/v1/tenants/*', requireAdmin(authenticate));
  mountFamily(app, tenantsFamily);
  mountFamily(app, adminAuditFamily);
  mountFamily(app, adminWebhookFamily);
  mountFamily(app, adminStatsFamily);

  // The stats route answers the admin too (every tenant's counters together).
  app.use('/v1/stats', async (c, next) => {
    const p = await authenticate(c.req.header('authorization'));
    if (p?.kind === 'admin') c.set('principal', p);
    await next();
  });

  // Everything else under /v1 belongs to one tenant.
  const tenantAuth = requireTenant(
    authenticate,
    undefined,
    (path) =>
      allowedMethods(app.routes, path).length > 0 || /^\/v1\/connections\/[^/]+\/proxy(\/|$)/.test(path),
  );
  app.use('/v1/*', async (c, next) => {
    if (c.get('principal')) return next();
    return tenantAuth(c, next);
  });
  mountFamily(app, tenantAuditFamily);
  mountFamily(app, tenantWebhookFamily);
  mountFamily(app, statsFamily);
  mountFamily(app, connectFamily);
  app.route('/', connectionsRoutes);
  for (const family of Object.values(providerRoutes)) mountFamily(app, family);
  app.route('/', proxyRoutes);

  // The browser side of the web flow: no bearer key, protected by signed links, state and cookie.
  app.use('/connect/*', flowPageHeaders);
  app.use('/oauth/*', flowPageHeaders);
  mountFamily(app, oauthFamily);

  app.get('/healthz', (c) => c.json({ ok: true }));
  app.route('/', docsRoutes(options.content, services.config.publicUrl));

  for (const m of options.mount ?? [])
    app.mount(m.path, m.app.fetch as (req: Request) => Response | Promise<Response>);

  app.notFound((c) => {
    const allowed = allowedMethods(app.routes, c.req.path);
    if (allowed.length && !allowed.includes(c.req.method)) {
      const res = problemResponse(
        new PorticoError(
          'invalid_request',
          `${c.req.method} is not allowed here; use ${allowed.join(', ')}.`,
          {
            reason: 'method_not_allowed',
          },
        ),
        c.get('requestId'),
      );
      res.headers.set('allow', allowed.join(', '));
      return res;
    }
    return problemResponse(
      new PorticoError('not_found', `No route for ${c.req.method} ${c.req.path}.`),
      c.get('requestId'),
    );
  });
  app.onError(onError(log));
  return app;
}

const patternCache = new Map<string, RegExp>();
function allowedMethods(routes: Array<{ method: string; path: string }>, path: string): string[] {
  const out = new Set<string>();
  for (const r of routes) {
    if (r.method === 'ALL' || r.path.endsWith('*')) continue;
    let re = patternCache.get(r.path);
    if (!re) {
      re = new RegExp(
        `^${r.path.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z0-9_]+/g, '[^/]+')}$`,
      );
      patternCache.set(r.path, re);
    }
    if (re.test(path)) out.add(r.method);
  }
  return [...out];
}
