import { Hono, type MiddlewareHandler } from 'hono';
import { faultMiddleware } from '../common/faults.js';
import { type HubspotIdentity, hubspotIdentity, hubspotIdentityForHub } from '../common/identity.js';
import type { AccessTokenRecord } from '../common/oauth-store.js';
import { HUBSPOT_BURST_LIMIT, type SandboxState } from '../common/state.js';
import { routeCounter } from '../common/stats.js';
import {
  expiredToken,
  hubspotFaultResponse,
  hubspotJson,
  invalidAuthentication,
  missingScopes,
  rateLimitHeaders,
} from './errors.js';
import { hubdbRoutes } from './hubdb.js';
import { hubspotAuthorize, hubspotOAuthApi } from './oauth.js';

/** Who is calling a HubSpot data route. */
export interface HubspotCaller {
  token: AccessTokenRecord;
  identity: HubspotIdentity;
}

/** Hono environment of HubSpot data routes. */
export type HubspotEnv = { Variables: { caller: HubspotCaller } };

/**
 * Bearer authentication of HubSpot data routes: OAuth access tokens and private-app
 * `pat-…` tokens. Unknown tokens answer 401 INVALID_AUTHENTICATION, expired ones 401
 * EXPIRED_AUTHENTICATION, a token without `requiredScope` 403 MISSING_SCOPES. Answers
 * carry HubSpot's rate-limit headers (counted per portal, never enforced: inject 429s
 * with a fault).
 */
export function hubspotAuth(state: SandboxState, requiredScope?: string): MiddlewareHandler<HubspotEnv> {
  return async (c, next) => {
    state.counters.of('hubspot').dataRequests++;
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const check = state.hubspot.checkAccessToken(match?.[1]);
    if (check.status === 'unknown') return invalidAuthentication();
    if (check.status === 'expired') return expiredToken(check.record.expiresAt ?? 0, state.now());
    const token = check.record;
    if (requiredScope && !token.scopes.includes(requiredScope)) return missingScopes([requiredScope]);
    const identity =
      token.hubId !== undefined ? hubspotIdentityForHub(token.hubId) : hubspotIdentity(token.account);
    c.set('caller', { token, identity });
    const remaining = state.hubspotRateWindow(identity.hubId);
    await next();
    for (const [k, v] of Object.entries(rateLimitHeaders(HUBSPOT_BURST_LIMIT, remaining)))
      c.res.headers.set(k, v);
  };
}

/**
 * The HubSpot simulator: `/oauth/authorize` (consent page) and `/api/*` (the
 * api.hubapi.com surface: OAuth v1, account info, HubDB v3).
 */
export function hubspotApp(state: SandboxState): Hono {
  const app = new Hono();
  app.use('*', routeCounter(state.counters, 'hubspot'));
  app.use(
    '*',
    faultMiddleware(state.faults, 'hubspot', hubspotFaultResponse, () => {
      state.counters.of('hubspot').faultsInjected++;
    }),
  );
  app.route('/oauth', hubspotAuthorize(state));

  const api = new Hono<HubspotEnv>();
  api.route('/', hubspotOAuthApi(state));
  api.use('/account-info/*', hubspotAuth(state));
  api.get('/account-info/v3/details', (c) => {
    const { identity } = c.get('caller');
    return hubspotJson(200, {
      portalId: identity.hubId,
      accountType: 'STANDARD',
      timeZone: 'US/Eastern',
      companyCurrency: 'USD',
      additionalCurrencies: [],
      utcOffset: '-05:00',
      utcOffsetMilliseconds: -18000000,
      uiDomain: 'app.hubspot.com',
      dataHostingLocation: 'na1',
    });
  });
  api.use('/cms/v3/hubdb/*', hubspotAuth(state, 'hubdb'));
  api.route('/cms/v3/hubdb', hubdbRoutes(state));
  app.route('/api', api);
  return app;
}
