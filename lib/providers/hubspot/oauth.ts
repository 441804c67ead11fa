import { invalidRequest, ProviderError, unprocessable } from '../../errors.js';
import { fetchWithRetry, type RetryPolicy, transientError } from '../http.js';
import { readJson } from '../read.js';
import {
  type Account,
  type AuthorizationRequest,
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

/** HubSpot's date-versioned OAuth API; v1 stops answering on 2027-02-16 (docs/providers.md). */
const OAUTH = '/oauth/2026-03';

/** What introspection says about an access token (the 2026-03 `PublicAccessTokenInfoResponse`). */
interface Introspection {
  active?: boolean;
  hub_id?: number;
  hub_domain?: string;
  scopes?: string[];
  signed_access_token?: { hublet?: string };
}

/**
 * Builds the authorize URL: exactly the configured required scopes in `scope` (HubSpot refuses
 * an install whose `scope` differs from the app's) and the rest in `optional_scope`.
 * https://developers.hubspot.com/docs/api/oauth-quickstart-guide
 */
export function authorizationUrl(authUrl: string, req: AuthorizationRequest): string {
  const url = new URL(authUrl);
  url.searchParams.set('client_id', req.app.clientId);
  url.searchParams.set('redirect_uri', req.redirectUri);
  url.searchParams.set('scope', req.scopes.join(' '));
  const optional = (req.optionalScopes ?? []).filter((s) => !req.scopes.includes(s));
  if (optional.length) url.searchParams.set('optional_scope', optional.join(' '));
  url.searchParams.set('state', req.state);
  return withPkce(url, req.codeChallenge);
}

/**
 * Reads an introspection answer into the account it names: the id from `hub_id`, the name from
 * `hub_domain` (account-info's `uiDomain` is the login host, the same for everyone) and the
 * hublet. An inactive token answers `undefined`.
 */
export function processIntrospection(body: unknown): { account: Account; scopes?: string[] } | undefined {
  const info = body as Introspection | undefined;
  if (!info?.active || info.hub_id === undefined) return undefined;
  const hublet = info.signed_access_token?.hublet;
  return {
    account: {
      id: String(info.hub_id),
      ...(typeof info.hub_domain === 'string' && info.hub_domain ? { name: info.hub_domain } : {}),
      ...(typeof hublet === 'string' && /^[a-z]{2,4}\d{1,3}$/.test(hublet) ? { hublet } : {}),
    },
    ...(Array.isArray(info.scopes) ? { scopes: info.scopes.map(String) } : {}),
  };
}

/**
 * HubSpot OAuth on the 2026-03 API: token exchange and refresh, introspection (who the token
 * belongs to and what it was granted, since `hub_id` and `scopes` are optional in token answers)
 * and revocation, all form posts with the app's credentials in the body, no token in a URL.
 */
export function hubspotOAuth(
  endpoints: ProviderEndpoints,
  options: { retry?: RetryPolicy } = {},
): ProviderOAuth {
  const formPost = (path: string, body: URLSearchParams, policy: RetryPolicy = {}) =>
    fetchWithRetry(
      `${endpoints.apiUrl}${OAUTH}${path}`,
      {
        method: 'POST',
        headers: { 'content-type': form, accept: 'application/json' },
        body: body.toString(),
      },
      { ...options.retry, ...policy },
    );

  const introspect = async (app: OAuthApp, accessToken: string) => {
    const { response } = await formPost(
      '/token/introspect',
      tokenRequestBody(app, { token: accessToken, token_type_hint: 'access_token' }),
    );
    const body = await readJson(response);
    if (response.ok) return processIntrospection(body);
    throw (
      transientError(response, 'HubSpot') ??
      new ProviderError('provider_error', `HubSpot's token introspection answered ${response.status}.`)
    );
  };

  const post = async (app: OAuthApp, params: Record<string, string | undefined>): Promise<Grant> => {
    const { response } = await formPost('/token', tokenRequestBody(app, params));
    const grant = await processTokenAnswer(response);
    // Best effort: a refresh must not fail because introspection did; identify() falls back to account-info.
    const info = await introspect(app, grant.accessToken).catch(() => undefined);
    if (!info) return grant;
    return {
      ...grant,
      accountId: grant.accountId ?? info.account.id,
      account: info.account,
      scopes: info.scopes ?? grant.scopes,
    };
  };

  return {
    name: 'hubspot',
    displayName: 'HubSpot',
    authorizationUrl: (req) => authorizationUrl(endpoints.authUrl, req),
    ...tokenGrants(post),
    async identify(grant): Promise<Account> {
      if (grant.account) return grant.account;
      // Introspection failed at the exchange: the id from the token answer, else from account-info.
      if (grant.accountId) return { id: grant.accountId };
      return accountDetails(endpoints.apiUrl, grant.accessToken);
    },
    async revoke({ app, grant }) {
      if (!grant.refreshToken) return;
      const { response } = await formPost(
        '/token/revoke',
        tokenRequestBody(app, { token: grant.refreshToken, token_type_hint: 'refresh_token' }),
      );
      await response.body?.cancel().catch(() => {});
      // Only a 2xx is a revocation: a 404 may be a dead path, not a dead token (the v1 sunset).
      if (response.ok) return;
      throw (
        transientError(response, 'HubSpot') ??
        new ProviderError('provider_error', `HubSpot answered ${response.status} to the revocation.`)
      );
    },
    async verifyPrivateApp(token) {
      if (!privateTokenPattern.test(token)) {
        throw invalidRequest(
          'That is not a HubSpot private-app token (pat-na1-…, pat-eu1-…) or service key.',
        );
      }
      const details = await accountDetails(endpoints.apiUrl, token);
      return { account: details, scopes: [] };
    },
  };
}

/**
 * Private-app tokens (`pat-na1-…`, `pat-eu1-…`) and service keys, both sent as Bearer. The
 * service-key format is not documented, so only the characters are checked here: account-info
 * decides whether the token is real.
 */
export const privateTokenPattern = /^[A-Za-z0-9][A-Za-z0-9._~+/=-]{15,511}$/;

/** `GET /account-info/2026-03/details`: the portal id of whatever token is given. */
async function accountDetails(api: string, token: string): Promise<Account> {
  const { response } = await fetchWithRetry(`${api}/account-info/2026-03/details`, {
    headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
  });
  const body = (await readJson(response)) as { portalId?: number; dataHostingLocation?: string } | undefined;
  if (response.status === 401 || response.status === 403) {
    throw unprocessable('HubSpot refused the token.');
  }
  const transient = transientError(response, 'HubSpot');
  if (transient) throw transient;
  if (!response.ok || body?.portalId === undefined) {
    throw new ProviderError('provider_error', `HubSpot's account-info answered ${response.status}.`);
  }
  const hublet = body.dataHostingLocation;
  return {
    id: String(body.portalId),
    ...(typeof hublet === 'string' && /^[a-z]{2,4}\d{1,3}$/.test(hublet) ? { hublet } : {}),
  };
}
