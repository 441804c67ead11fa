import { Hono } from 'hono';
import { faultMiddleware } from '../common/faults.js';
import type { SandboxState } from '../common/state.js';
import { routeCounter } from '../common/stats.js';
import { type HubspotEnv, hubspotAuth } from './auth.js';
import { hubspotFaultResponse, hubspotJson } from './errors.js';
import { hubdbRoutes } from './hubdb.js';
import { hubspotAuthorize, hubspotOAuthApi } from './oauth.js';

/**
 * The HubSpot simulator: `/oauth/authorize` (consent page) and `/api/*` (the
 * api.hubapi.com surface: OAuth, account info and HubDB, all 2026-03; v1 OAuth answers 404).
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
  api.get('/account-info/2026-03/details', (c) => {
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
  // Only the date-versioned paths: v3 is unsupported from September 2027, so nothing may depend on it.
  api.use('/cms/hubdb/2026-03/*', hubspotAuth(state, 'hubdb'));
  api.route('/cms/hubdb/2026-03', hubdbRoutes(state));
  app.route('/api', api);
  return app;
}
