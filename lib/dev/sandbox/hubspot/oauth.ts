import { createHash } from 'node:crypto';
import { type Context, Hono } from 'hono';
import { authorizeRoutes, formFields } from '../common/authorize.js';
import { hubspotIdentity, KNOWN_ACCOUNTS } from '../common/identity.js';
import { type AccessTokenRecord, type Grant, secretsEqual, verifyPkce } from '../common/oauth-store.js';
import type { SandboxState } from '../common/state.js';
import { expiredToken, hubspotJson, notFound, tokenError } from './errors.js';

/** HubSpot's authorize page: `client_id`, `redirect_uri`, `scope` (space separated), `optional_scope`, `state`. */
export function hubspotAuthorize(state: SandboxState): Hono {
  return authorizeRoutes({
    store: state.hubspot,
    stats: state.counters,
    accounts: () =>
      KNOWN_ACCOUNTS.map((a) => ({ key: a.key, label: `${a.displayName} (Hub ID ${a.hubId})` })),
    parse: (params) => {
      const split = (s: string | undefined) => (s ?? '').split(/[\s,]+/).filter(Boolean);
      const scopes = split(params.scope);
      if (scopes.length === 0) return 'scope is required (space-separated, e.g. "oauth hubdb").';
      const optionalScopes = split(params.optional_scope).filter((s) => !scopes.includes(s));
      return { scopes, optionalScopes, offline: true };
    },
    denyDescription: 'The user denied access to the app.',
  });
}

/** A stable numeric app id per client id, as HubSpot reports `app_id`. */
function appId(clientId: string): number {
  return 100000 + (createHash('sha256').update(clientId).digest().readUInt32BE(0) % 900000);
}

function tokenAnswer(state: SandboxState, grant: Grant, access: AccessTokenRecord): Response {
  const id = hubspotIdentity(grant.account);
  return hubspotJson(200, {
    token_type: 'bearer',
    refresh_token: grant.refreshToken,
    access_token: access.token,
    expires_in: state.hubspot.accessTtlSeconds,
    hub_id: id.hubId,
    scopes: grant.scopes,
    user_id: id.userId,
  });
}

/**
 * HubSpot's OAuth v1 API: token exchange and refresh (form body, client id and secret in
 * the body), token introspection, and refresh-token revocation (204; access tokens stay
 * valid until they expire). Refresh tokens do not rotate: the answer repeats the same one.
 */
export function hubspotOAuthApi(state: SandboxState): Hono {
  const app = new Hono();
  const store = state.hubspot;

  const exchange = async (c: Context): Promise<Response> => {
    const form = await formFields(c);
    const grantType = form.grant_type;
    state.counters.tokenRequest('hubspot', grantType);
    if (grantType !== 'authorization_code' && grantType !== 'refresh_token')
      return tokenError('BAD_GRANT_TYPE');
    const client = form.client_id ? store.apps.get(form.client_id) : undefined;
    if (!client) return tokenError('BAD_CLIENT_ID');
    if (!form.client_secret || !secretsEqual(form.client_secret, client.clientSecret)) {
      return tokenError('BAD_CLIENT_SECRET');
    }

    if (grantType === 'refresh_token') {
      const grant = store.grantForRefreshToken(form.refresh_token);
      if (!grant || grant.clientId !== client.clientId) return tokenError('BAD_REFRESH_TOKEN');
      state.counters.of('hubspot').refreshes++;
      return tokenAnswer(state, grant, store.issueAccessToken(grant));
    }

    const code = form.code ? store.codes.get(form.code) : undefined;
    if (!code || code.used || code.clientId !== client.clientId) return tokenError('BAD_AUTH_CODE');
    if (code.expiresAt <= state.now()) return tokenError('EXPIRED_AUTH_CODE');
    if (form.redirect_uri !== code.redirectUri) return tokenError('BAD_REDIRECT_URI');
    if (code.pkce && !verifyPkce(code.pkce, form.code_verifier)) {
      return tokenError('BAD_AUTH_CODE', 'code_verifier does not match the code_challenge');
    }
    code.used = true;
    const grant = store.createGrant({
      clientId: client.clientId,
      account: code.account,
      scopes: code.scopes,
      offline: true,
      publicClient: false,
    });
    return tokenAnswer(state, grant, store.issueAccessToken(grant));
  };
  app.post('/oauth/v1/token', exchange);
  // v1 is deprecated for 2027; the same exchange also answers at its successors' paths.
  app.post('/oauth/v3/token', exchange);
  app.post('/oauth/2026-03/token', exchange);

  app.get('/oauth/v1/access-tokens/:token', (c) => {
    const check = store.checkAccessToken(c.req.param('token'));
    if (check.status === 'unknown') return notFound('Access token not found');
    if (check.status === 'expired') return expiredToken(check.record.expiresAt ?? 0, state.now());
    const r = check.record;
    const id = hubspotIdentity(r.account);
    return hubspotJson(200, {
      token: r.token,
      user: id.email,
      hub_domain: id.hubDomain,
      scopes: r.scopes,
      scope_to_scope_group_pks: [],
      trial_scopes: [],
      trial_scope_to_scope_group_pks: [],
      hub_id: r.hubId ?? id.hubId,
      app_id: appId(r.clientId ?? ''),
      expires_in: store.secondsLeft(r),
      user_id: id.userId,
      token_type: 'access',
    });
  });

  app.get('/oauth/v1/refresh-tokens/:token', (c) => {
    const grant = store.grantForRefreshToken(c.req.param('token'));
    if (!grant) return notFound('Refresh token not found');
    const id = hubspotIdentity(grant.account);
    return hubspotJson(200, {
      token: grant.refreshToken,
      user: id.email,
      hub_domain: id.hubDomain,
      scopes: grant.scopes,
      hub_id: id.hubId,
      client_id: grant.clientId,
      user_id: id.userId,
      token_type: 'refresh',
    });
  });

  app.delete('/oauth/v1/refresh-tokens/:token', (c) => {
    const grant = store.grantForRefreshToken(c.req.param('token'));
    if (!grant) return notFound('Refresh token not found');
    store.revokeGrant(grant, false);
    state.counters.of('hubspot').revokes++;
    return c.body(null, 204);
  });

  return app;
}
