import { ProviderError, unprocessable } from '../../errors.js';
import { fetchWithRetry, readJson, transientError } from '../http.js';
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

interface HubSpotTokenAnswer {
  access_token?: string;
  refresh_token?: string;
  expires_in?: number;
  hub_id?: number;
  scopes?: string[];
  token_type?: string;
}

interface HubSpotError {
  status?: string;
  message?: string;
  error?: string;
  error_description?: string;
}

const form = 'application/x-www-form-urlencoded;charset=utf-8';
const deadGrantStatuses = new Set([
  'BAD_REFRESH_TOKEN',
  'BAD_AUTH_CODE',
  'EXPIRED_AUTH_CODE',
  'BAD_GRANT_TYPE_CODE',
]);

/** Builds the body of a HubSpot token request: client id and secret go in the form body. */
export function tokenRequestBody(app: OAuthApp, params: Record<string, string | undefined>): URLSearchParams {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) body.set(k, v);
  body.set('client_id', app.clientId);
  body.set('client_secret', app.clientSecret);
  return body;
}

/**
 * Reads a HubSpot token answer. `invalid_grant` (HubSpot `BAD_REFRESH_TOKEN`, `BAD_AUTH_CODE`,
 * `EXPIRED_AUTH_CODE`) becomes {@link InvalidGrantError}; a refused client {@link InvalidClientError}.
 * https://developers.hubspot.com/docs/api/oauth/tokens
 */
export async function processTokenAnswer(res: Response, now = Date.now()): Promise<Grant> {
  const body = (await readJson(res)) as (HubSpotTokenAnswer & HubSpotError) | undefined;
  if (res.ok && body?.access_token) {
    return {
      accessToken: body.access_token,
      refreshToken: body.refresh_token,
      expiresAt: expiresAtFrom(body.expires_in, now),
      scopes: Array.isArray(body.scopes) ? body.scopes.map(String) : [],
      accountId: body.hub_id !== undefined ? String(body.hub_id) : undefined,
    };
  }
  const transient = transientError(res, 'HubSpot');
  if (transient) throw transient;
  if (body?.error === 'invalid_grant' || deadGrantStatuses.has(body?.status ?? '')) {
    throw new InvalidGrantError('HubSpot', safeMessage(body?.status ?? body?.error));
  }
  if (
    body?.error === 'invalid_client' ||
    body?.status === 'BAD_CLIENT_ID' ||
    body?.status === 'BAD_CLIENT_SECRET' ||
    res.status === 401
  ) {
    throw new InvalidClientError('HubSpot');
  }
  throw new ProviderError(
    'provider_error',
    `HubSpot's token endpoint answered ${res.status} ${safeMessage(body?.status)}.`,
  );
}

/** Provider error identifiers only (never free text that might echo a token). */
function safeMessage(value: string | undefined): string {
  return value && /^[A-Za-z0-9_.-]{1,64}$/.test(value) ? value : 'error';
}

export function hubspotOAuth(endpoints: ProviderEndpoints): ProviderOAuth {
  const post = async (app: OAuthApp, params: Record<string, string | undefined>) => {
    const { response } = await fetchWithRetry(`${endpoints.apiUrl}/oauth/v1/token`, {
      method: 'POST',
      headers: { 'content-type': form, accept: 'application/json' },
      body: tokenRequestBody(app, params).toString(),
    });
    return processTokenAnswer(response);
  };
  return {
    name: 'hubspot',
    displayName: 'HubSpot',
    authorizationUrl({ app, redirectUri, scopes, state, codeChallenge }) {
      const url = new URL(endpoints.authUrl);
      url.searchParams.set('client_id', app.clientId);
      url.searchParams.set('redirect_uri', redirectUri);
      url.searchParams.set('scope', withOauth(scopes).join(' '));
      url.searchParams.set('state', state);
      return withPkce(url, codeChallenge);
    },
    ...tokenGrants(post),
    async identify(grant): Promise<Account> {
      if (grant.accountId) {
        const name = await accountName(endpoints.apiUrl, grant.accessToken).catch(() => undefined);
        return { id: grant.accountId, ...(name ? { name } : {}) };
      }
      const details = await accountDetails(endpoints.apiUrl, grant.accessToken);
      return { id: details.id, ...(details.name ? { name: details.name } : {}) };
    },
    async revoke({ grant }) {
      if (!grant.refreshToken) return;
      const { response } = await fetchWithRetry(
        `${endpoints.apiUrl}/oauth/v1/refresh-tokens/${encodeURIComponent(grant.refreshToken)}`,
        {
          method: 'DELETE',
        },
      );
      await response.body?.cancel().catch(() => {});
      // 404/400: HubSpot no longer knows the token — it is as revoked as it gets.
      if (response.ok || response.status === 404 || response.status === 400) return;
      throw (
        transientError(response, 'HubSpot') ??
        new ProviderError('provider_error', `HubSpot answered ${response.status} to the revocation.`)
      );
    },
    async verifyPrivateApp(token) {
      const details = await accountDetails(endpoints.apiUrl, token);
      return { account: details, scopes: [] };
    },
  };
}

function withOauth(scopes: string[]): string[] {
  return scopes.includes('oauth') ? scopes : ['oauth', ...scopes];
}

/** `GET /account-info/v3/details`: the portal id (and its UI domain as a name). */
async function accountDetails(api: string, token: string): Promise<Account> {
  const { response } = await fetchWithRetry(`${api}/account-info/v3/details`, {
    headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
  });
  const body = (await readJson(response)) as { portalId?: number; uiDomain?: string } | undefined;
  if (response.status === 401 || response.status === 403) {
    throw unprocessable('HubSpot refused the token.');
  }
  const transient = transientError(response, 'HubSpot');
  if (transient) throw transient;
  if (!response.ok || body?.portalId === undefined) {
    throw new ProviderError('provider_error', `HubSpot's account-info answered ${response.status}.`);
  }
  return { id: String(body.portalId), ...(body.uiDomain ? { name: body.uiDomain } : {}) };
}

/** The hub's domain, from the access-token metadata route (best effort, for display). */
async function accountName(api: string, accessToken: string): Promise<string | undefined> {
  const { response } = await fetchWithRetry(
    `${api}/oauth/v1/access-tokens/${encodeURIComponent(accessToken)}`,
    { headers: { accept: 'application/json' } },
    { attempts: 1, timeoutMs: 5000 },
  );
  const body = (await readJson(response)) as { hub_domain?: string } | undefined;
  return response.ok && typeof body?.hub_domain === 'string' ? body.hub_domain : undefined;
}
