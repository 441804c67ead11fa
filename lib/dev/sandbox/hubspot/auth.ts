import type { MiddlewareHandler } from 'hono';
import { type HubspotIdentity, hubspotIdentity, hubspotIdentityForHub } from '../common/identity.js';
import type { AccessTokenRecord } from '../common/oauth-store.js';
import { HUBSPOT_BURST_LIMIT, type SandboxState } from '../common/state.js';
import { expiredToken, invalidAuthentication, missingScopes, rateLimitHeaders } from './errors.js';

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
