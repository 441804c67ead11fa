import { Hono } from 'hono';
import { authorizeRoutes, formFields } from '../common/authorize.js';
import { dropboxIdentity, KNOWN_ACCOUNTS } from '../common/identity.js';
import { type SandboxApp, secretsEqual, verifyPkce } from '../common/oauth-store.js';
import { DEFAULT_SCOPES, type SandboxState } from '../common/state.js';
import { authenticate, rpcArgs } from './auth.js';
import { dropboxJson, tokenError } from './errors.js';

/**
 * Dropbox's authorize page: `client_id`, `response_type=code`, `redirect_uri`, `state`,
 * `token_access_type` (only `offline` yields a refresh token), `scope` (default: the
 * app's scopes), `include_granted_scopes`, `code_challenge` + `code_challenge_method`.
 */
export function dropboxAuthorize(state: SandboxState): Hono {
  return authorizeRoutes({
    store: state.dropbox,
    stats: state.counters,
    accounts: () =>
      KNOWN_ACCOUNTS.map((a) => ({ key: a.key, label: `${a.displayName} (${a.key}@example.com)` })),
    parse: (params) => {
      if (params.response_type !== 'code') return 'response_type must be "code".';
      const access = params.token_access_type;
      if (access !== undefined && !['online', 'offline', 'legacy'].includes(access)) {
        return `token_access_type must be "online", "offline" or "legacy", not "${access}".`;
      }
      const include = params.include_granted_scopes;
      if (include !== undefined && include !== 'user' && include !== 'team') {
        return 'include_granted_scopes must be "user" or "team".';
      }
      const scopes = (params.scope ?? '').split(/\s+/).filter(Boolean);
      return {
        scopes: scopes.length > 0 ? scopes : DEFAULT_SCOPES.dropbox,
        optionalScopes: [],
        offline: access === 'offline',
      };
    },
    denyDescription: 'The user chose not to give your app access to their Dropbox account.',
  });
}

/** Client credentials from HTTP Basic, else from the body or query. */
function clientCredentials(
  authorization: string | undefined,
  fields: Record<string, string>,
): { clientId?: string; secret?: string } {
  const basic = /^Basic\s+(\S+)$/i.exec(authorization ?? '');
  if (basic?.[1]) {
    const decoded = Buffer.from(basic[1], 'base64').toString();
    const colon = decoded.indexOf(':');
    if (colon >= 0) {
      return {
        clientId: decodeURIComponent(decoded.slice(0, colon)),
        secret: decodeURIComponent(decoded.slice(colon + 1)),
      };
    }
  }
  return {
    ...(fields.client_id === undefined ? {} : { clientId: fields.client_id }),
    ...(fields.client_secret === undefined ? {} : { secret: fields.client_secret }),
  };
}

const INVALID_CLIENT = () => tokenError('invalid_client', 'Invalid client_id or client_secret');
const NO_AUTH = () => tokenError('invalid_request', 'No auth function available for given request');
const BAD_CODE = () => tokenError('invalid_grant', "code doesn't exist or has expired");
const BAD_REFRESH = () => tokenError('invalid_grant', 'refresh token is invalid or revoked');

/**
 * `POST /oauth2/token` and `POST /2/auth/token/revoke`. The token endpoint takes client
 * credentials by Basic or in the body/query, and PKCE public clients with no secret.
 * A refresh answers only `{access_token, token_type, expires_in}`; revoking kills the
 * grant's refresh token and every access token minted from it.
 */
export function dropboxOAuthApi(state: SandboxState): Hono {
  const app = new Hono();
  const store = state.dropbox;

  app.post('/oauth2/token', async (c) => {
    const fields = { ...c.req.query(), ...(await formFields(c)) };
    const grantType = fields.grant_type;
    state.counters.tokenRequest('dropbox', grantType);
    if (grantType !== 'authorization_code' && grantType !== 'refresh_token') {
      return tokenError(
        'unsupported_grant_type',
        'grant_type must be "authorization_code" or "refresh_token"',
      );
    }
    const { clientId, secret } = clientCredentials(c.req.header('authorization'), fields);
    const client: SandboxApp | undefined = clientId ? store.apps.get(clientId) : undefined;
    if (!client) return INVALID_CLIENT();
    if (secret !== undefined && !secretsEqual(secret, client.clientSecret)) return INVALID_CLIENT();
    const confidential = secret !== undefined;

    if (grantType === 'refresh_token') {
      const grant = store.grantForRefreshToken(fields.refresh_token);
      if (!grant || grant.clientId !== client.clientId) return BAD_REFRESH();
      if (!confidential && !grant.publicClient) return NO_AUTH();
      state.counters.of('dropbox').refreshes++;
      const access = store.issueAccessToken(grant);
      return dropboxJson(200, {
        access_token: access.token,
        token_type: 'bearer',
        expires_in: store.accessTtlSeconds,
      });
    }

    const code = fields.code ? store.codes.get(fields.code) : undefined;
    if (!code || code.used || code.clientId !== client.clientId || code.expiresAt <= state.now())
      return BAD_CODE();
    if (!confidential && !code.pkce) return NO_AUTH();
    if (fields.redirect_uri !== code.redirectUri) return tokenError('invalid_grant', 'redirect_uri mismatch');
    if (code.pkce && !verifyPkce(code.pkce, fields.code_verifier)) {
      return tokenError('invalid_grant', 'invalid code verifier');
    }
    code.used = true;
    const grant = store.createGrant({
      clientId: client.clientId,
      account: code.account,
      scopes: code.scopes,
      offline: code.offline,
      publicClient: !confidential,
    });
    const access = store.issueAccessToken(grant);
    const id = dropboxIdentity(grant.account);
    return dropboxJson(200, {
      access_token: access.token,
      token_type: 'bearer',
      expires_in: store.accessTtlSeconds,
      ...(grant.refreshToken ? { refresh_token: grant.refreshToken } : {}),
      scope: grant.scopes.join(' '),
      uid: id.uid,
      account_id: id.accountId,
    });
  });

  app.post('/2/auth/token/revoke', async (c) => {
    const route = 'auth/token/revoke';
    const caller = authenticate(c, state, route, undefined);
    if (caller instanceof Response) return caller;
    const args = await rpcArgs(c, route, false);
    if (args instanceof Response) return args;
    const grant = caller.token.grantId ? store.grants.get(caller.token.grantId) : undefined;
    if (grant) store.revokeGrant(grant, true);
    else caller.token.revoked = true;
    state.counters.of('dropbox').revokes++;
    return dropboxJson(200, null);
  });

  return app;
}
