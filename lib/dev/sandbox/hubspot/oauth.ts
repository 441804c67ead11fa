import { createHash } from 'node:crypto';
import { type Context, Hono } from 'hono';
import { authorizeRoutes, formFields } from '../common/authorize.js';
import { hubspotIdentity, hubspotIdentityForHub, KNOWN_ACCOUNTS } from '../common/identity.js';
import { type AccessTokenRecord, type Grant, secretsEqual, uuid, verifyPkce } from '../common/oauth-store.js';
import type { SandboxState } from '../common/state.js';
import { hubspotJson, tokenError } from './errors.js';

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

/**
 * The token answer. `hub_id` and `scopes` are optional in HubSpot's 2026-03 spec: the sandbox
 * sends them with a code exchange but never with a refresh, so a client has to introspect.
 */
function tokenAnswer(
  state: SandboxState,
  grant: Grant,
  access: AccessTokenRecord,
  refresh: boolean,
): Response {
  const id = hubspotIdentity(grant.account);
  return hubspotJson(200, {
    token_type: 'bearer',
    token_use: 'access_token',
    refresh_token: grant.refreshToken,
    access_token: access.token,
    expires_in: state.hubspot.accessTtlSeconds,
    ...(refresh ? {} : { hub_id: id.hubId, scopes: grant.scopes }),
    user_id: id.userId,
  });
}

/**
 * HubSpot's OAuth 2026-03 API (`oauth-2026-03.json`): token exchange and refresh, introspection
 * and revocation, each a form post with the app's credentials in the body; a token is never
 * accepted in a URL. Refresh tokens do not rotate: the answer repeats the same one. The v1 paths
 * are gone (404), as they are at HubSpot after 2027-02-16.
 *
 * Fidelity: paths, form fields and the token/introspection answer fields are confirmed by the
 * spec. Guesses: the revoke success status (spec lists only `default`; 200 with an empty object
 * here), an unknown token revoked answering 200 like RFC 7009, introspection answering 401 for bad
 * client credentials, the hublet `na1` for every sandbox portal.
 */
export function hubspotOAuthApi(state: SandboxState): Hono {
  const app = new Hono();
  const store = state.hubspot;

  /** The app posting the form, or HubSpot's error for missing or wrong credentials. */
  const clientOf = (form: Record<string, string>) => {
    const client = form.client_id ? store.apps.get(form.client_id) : undefined;
    if (!client) return tokenError('BAD_CLIENT_ID');
    if (!form.client_secret || !secretsEqual(form.client_secret, client.clientSecret)) {
      return tokenError('BAD_CLIENT_SECRET');
    }
    return client;
  };

  /** Tokens travel in form bodies only: one in the query string is refused before anything else. */
  const tokenInUrl = (c: Context) =>
    ['token', 'refresh_token', 'access_token', 'code'].some((k) => c.req.query(k) !== undefined)
      ? hubspotJson(400, {
          status: 'error',
          message: 'Tokens must be sent in the form body, not the URL.',
          correlationId: uuid(),
          category: 'VALIDATION_ERROR',
        })
      : undefined;

  const exchange = async (c: Context): Promise<Response> => {
    const refused = tokenInUrl(c);
    if (refused) return refused;
    const form = await formFields(c);
    const grantType = form.grant_type;
    state.counters.tokenRequest('hubspot', grantType);
    if (grantType !== 'authorization_code' && grantType !== 'refresh_token')
      return tokenError('BAD_GRANT_TYPE');
    const client = clientOf(form);
    if (client instanceof Response) return client;

    if (grantType === 'refresh_token') {
      const grant = store.grantForRefreshToken(form.refresh_token);
      if (!grant || grant.clientId !== client.clientId) return tokenError('BAD_REFRESH_TOKEN');
      state.counters.of('hubspot').refreshes++;
      return tokenAnswer(state, grant, store.issueAccessToken(grant), true);
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
    return tokenAnswer(state, grant, store.issueAccessToken(grant), false);
  };
  app.post('/oauth/2026-03/token', exchange);
  // `/oauth/v3/token` is the spec's alias of the same operation.
  app.post('/oauth/v3/token', exchange);

  app.post('/oauth/2026-03/token/introspect', async (c) => {
    const refused = tokenInUrl(c);
    if (refused) return refused;
    const form = await formFields(c);
    const client = clientOf(form);
    if (client instanceof Response) return client;
    if (form.token_type_hint === 'refresh_token') {
      const grant = store.grantForRefreshToken(form.token);
      if (!grant) return hubspotJson(200, { active: false });
      const id = hubspotIdentity(grant.account);
      return hubspotJson(200, {
        active: true,
        token: grant.refreshToken,
        token_use: 'refresh_token',
        token_type: 'refresh',
        hub_id: id.hubId,
        hub_domain: id.hubDomain,
        user_id: id.userId,
        client_id: grant.clientId,
        app_id: appId(grant.clientId),
        scopes: grant.scopes,
      });
    }
    const check = store.checkAccessToken(form.token);
    if (check.status !== 'ok' || check.record.kind !== 'oauth') return hubspotJson(200, { active: false });
    const r = check.record;
    const id = r.hubId !== undefined ? hubspotIdentityForHub(r.hubId) : hubspotIdentity(r.account);
    return hubspotJson(200, {
      active: true,
      token: r.token,
      token_use: 'access_token',
      token_type: 'access',
      user: id.email,
      hub_domain: id.hubDomain,
      hub_id: id.hubId,
      user_id: id.userId,
      client_id: r.clientId ?? '',
      app_id: appId(r.clientId ?? ''),
      is_private_distribution: false,
      scopes: r.scopes,
      expires_in: store.secondsLeft(r),
      signed_access_token: {
        hubId: id.hubId,
        userId: id.userId,
        appId: appId(r.clientId ?? ''),
        hublet: 'na1',
        expiresAt: r.expiresAt ?? 0,
        scopes: '',
        isUserLevel: false,
        isServiceAccount: false,
        isPrivateDistribution: false,
      },
    });
  });

  app.post('/oauth/2026-03/token/revoke', async (c) => {
    const refused = tokenInUrl(c);
    if (refused) return refused;
    const form = await formFields(c);
    const client = clientOf(form);
    if (client instanceof Response) return client;
    if (!form.token) return tokenError('BAD_REFRESH_TOKEN', 'token is required');
    const grant = store.grantForRefreshToken(form.token);
    if (grant && grant.clientId === client.clientId) {
      store.revokeGrant(grant, false);
      state.counters.of('hubspot').revokes++;
    }
    return hubspotJson(200, {});
  });

  return app;
}
