import { ProviderError } from '../../errors.js';
import { fetchWithRetry, transientError } from '../http.js';
import { readJson } from '../read.js';
import {
  type Account,
  expiresAtFrom,
  type Grant,
  InvalidClientError,
  InvalidGrantError,
  type OAuthApp,
  type ProviderEndpoints,
  type ProviderOAuth,
  tokenGrants,
  withPkce,
} from '../types.js';
import { teamSpaceRoot } from './namespaces.js';

interface DropboxTokenAnswer {
  access_token?: string;
  refresh_token?: string;
  expires_in?: number;
  scope?: string;
  account_id?: string;
  uid?: string;
  error?: string;
  error_description?: string;
}

/** HTTP Basic client authentication, as Dropbox prefers (RFC 6749 §2.3.1: form-encode, then base64). */
export function basicAuth(app: OAuthApp): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${enc(app.clientId)}:${enc(app.clientSecret)}`).toString('base64')}`;
}

/**
 * Reads a Dropbox token answer. Refresh answers carry no new refresh token (the caller keeps the
 * old one). https://www.dropbox.com/developers/documentation/http/documentation#oauth2-token
 */
export async function processTokenAnswer(res: Response, now = Date.now()): Promise<Grant> {
  const body = (await readJson(res)) as DropboxTokenAnswer | undefined;
  if (res.ok && body?.access_token) {
    return {
      accessToken: body.access_token,
      refreshToken: body.refresh_token,
      expiresAt: expiresAtFrom(body.expires_in, now),
      scopes: typeof body.scope === 'string' ? body.scope.split(/\s+/).filter(Boolean) : [],
      accountId: body.account_id,
    };
  }
  const transient = transientError(res, 'Dropbox');
  if (transient) throw transient;
  if (body?.error === 'invalid_grant') throw new InvalidGrantError('Dropbox', 'invalid_grant');
  if (body?.error === 'invalid_client' || body?.error === 'unauthorized_client' || res.status === 401) {
    throw new InvalidClientError('Dropbox');
  }
  throw new ProviderError('provider_error', `Dropbox's token endpoint answered ${res.status}.`);
}

export function dropboxOAuth(endpoints: ProviderEndpoints): ProviderOAuth {
  const post = async (app: OAuthApp, params: Record<string, string | undefined>) => {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(params)) if (v !== undefined) body.set(k, v);
    const { response } = await fetchWithRetry(`${endpoints.apiUrl}/oauth2/token`, {
      method: 'POST',
      headers: {
        authorization: basicAuth(app),
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: body.toString(),
    });
    return processTokenAnswer(response);
  };
  return {
    name: 'dropbox',
    displayName: 'Dropbox',
    authorizationUrl({ app, redirectUri, scopes, state, codeChallenge }) {
      const url = new URL(endpoints.authUrl);
      url.searchParams.set('client_id', app.clientId);
      url.searchParams.set('response_type', 'code');
      url.searchParams.set('redirect_uri', redirectUri);
      url.searchParams.set('state', state);
      // Without offline access Dropbox issues no refresh token.
      url.searchParams.set('token_access_type', 'offline');
      if (scopes.length) url.searchParams.set('scope', scopes.join(' '));
      return withPkce(url, codeChallenge);
    },
    ...tokenGrants(post),
    /** The account, and its team space's root namespace when that is not the member's home one. */
    async identify(grant): Promise<Account> {
      const { response } = await fetchWithRetry(`${endpoints.apiUrl}/2/users/get_current_account`, {
        method: 'POST',
        headers: { authorization: `Bearer ${grant.accessToken}` },
      });
      const body = (await readJson(response)) as
        | { account_id?: string; name?: { display_name?: string }; email?: string; root_info?: unknown }
        | undefined;
      if (response.ok && body?.account_id) {
        const root = teamSpaceRoot(body.root_info);
        return {
          id: body.account_id,
          ...(body.name?.display_name ? { name: body.name.display_name } : {}),
          ...(root ? { rootNamespaceId: root, teamSpace: true } : {}),
        };
      }
      if (grant.accountId) return { id: grant.accountId };
      throw (
        transientError(response, 'Dropbox') ??
        new ProviderError('provider_error', `Dropbox's get_current_account answered ${response.status}.`)
      );
    },
    async revoke({ app, grant }) {
      let accessToken = grant.accessToken;
      // Revocation needs a working access token; an expired one is refreshed first.
      for (let attempt = 0; attempt < 2; attempt++) {
        if (!accessToken && grant.refreshToken) {
          try {
            accessToken = (await this.refresh({ app, refreshToken: grant.refreshToken })).accessToken;
          } catch (err) {
            if (err instanceof InvalidGrantError) return; // already revoked
            throw err;
          }
        }
        if (!accessToken) return;
        const { response } = await fetchWithRetry(`${endpoints.apiUrl}/2/auth/token/revoke`, {
          method: 'POST',
          headers: { authorization: `Bearer ${accessToken}` },
        });
        await response.body?.cancel().catch(() => {});
        if (response.ok) return;
        if (response.status === 401) {
          accessToken = undefined;
          if (!grant.refreshToken) return;
          continue;
        }
        throw (
          transientError(response, 'Dropbox') ??
          new ProviderError('provider_error', `Dropbox answered ${response.status} to the revocation.`)
        );
      }
    },
  };
}
