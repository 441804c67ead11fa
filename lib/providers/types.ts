import { invalidRequest, ProviderError } from '../errors.js';
import type { RetryPolicy } from './http.js';

/** Where a provider lives: its consent page, its API host and, for some, a separate content host. */
export interface ProviderEndpoints {
  authUrl: string;
  apiUrl: string;
  /** Only for providers that declare a content host (Dropbox's downloads and uploads). */
  contentUrl?: string;
}

/** An OAuth client: the platform's app, or a tenant's own. */
export interface OAuthApp {
  clientId: string;
  clientSecret: string;
}

/** What a token endpoint answered, normalized. Tokens never leave the vault except to the provider. */
export interface Grant {
  accessToken: string;
  /** Absent when the answer carried none (the caller keeps the old one). */
  refreshToken?: string;
  /** ISO time the access token stops working; undefined when it does not expire. */
  expiresAt?: string;
  scopes: string[];
  /** The provider account the grant belongs to, when the token answer says (HubSpot hub_id, Dropbox account_id). */
  accountId?: string;
  /** The whole account, when the provider identified the token while issuing it (HubSpot's introspection). */
  account?: Account;
}

export interface Account {
  id: string;
  name?: string;
  /** HubSpot's data centre (`na1`, `eu1`, …) from token introspection; absent when not reported. */
  hublet?: string;
  /**
   * Dropbox team spaces: the root namespace every call must name in `Dropbox-API-Path-Root`,
   * present only when it differs from the member's home namespace. The connection keeps it.
   */
  rootNamespaceId?: string;
  /** Whether the account sees a team space (then {@link rootNamespaceId} is set). */
  teamSpace?: boolean;
}

/** The token endpoint refused the grant itself (`invalid_grant`): for a refresh, the connection is dead. */
export class InvalidGrantError extends ProviderError {
  override name = 'InvalidGrantError';
  constructor(provider: string, detail: string) {
    super('provider_error', `${provider} refused the grant: ${detail}`, { reason: 'grant_refused' });
  }
}

/** The provider refused our client credentials (a misconfigured app): the operator's problem, not the user's. */
export class InvalidClientError extends ProviderError {
  override name = 'InvalidClientError';
  constructor(provider: string) {
    super(
      'provider_error',
      `${provider} refused the OAuth app's client credentials; check the app configuration.`,
    );
  }
}

export interface AuthorizationRequest {
  app: OAuthApp;
  redirectUri: string;
  /** Exactly the app's required scopes (HubSpot refuses an install whose `scope` differs from the app's). */
  scopes: string[];
  /** Scopes the user may decline; providers without optional scopes ignore them. */
  optionalScopes?: string[];
  state: string;
  codeChallenge?: string;
}

/**
 * Everything provider-specific about OAuth, one implementation per provider folder. Each step is
 * a plain function over the provider's documented wire format (docs/providers.md).
 */
export interface ProviderOAuth {
  readonly name: string;
  readonly displayName: string;
  /** Builds the authorize URL the browser is sent to. */
  authorizationUrl(req: AuthorizationRequest): string;
  exchangeCode(args: {
    app: OAuthApp;
    code: string;
    redirectUri: string;
    codeVerifier?: string;
  }): Promise<Grant>;
  refresh(args: { app: OAuthApp; refreshToken: string }): Promise<Grant>;
  /** The account behind a fresh grant. */
  identify(grant: Grant): Promise<Account>;
  /**
   * Revokes a grant at the provider. Resolves only when the provider confirmed it (or when the
   * provider's own answer proves the grant is dead); anything else throws, so the caller counts
   * it failed and retries.
   */
  revoke(args: { app: OAuthApp; grant: { accessToken?: string; refreshToken?: string } }): Promise<void>;
  /** HubSpot private-app tokens: checks the token and answers its account. */
  verifyPrivateApp?(token: string): Promise<{ account: Account; scopes: string[] }>;
}

/**
 * Everything Portico knows about one provider, declared once in the provider's folder
 * (`lib/providers/<name>/provider.ts`) and read through the registry: configuration, the
 * schemas, the OAuth flows and the proxy never name a provider.
 */
export interface ProviderDeclaration<Name extends string = string, Client = unknown> {
  /** The provider's name in Portico's API (`provider` fields, paths). */
  readonly name: Name;
  readonly displayName: string;
  /** Prefix of its environment variables: `<PREFIX>_CLIENT_ID`, `_CLIENT_SECRET`, `_SCOPES`, `_AUTH_URL`, `_API_URL`. */
  readonly envPrefix: string;
  /** The production endpoints; `contentUrl` exactly when the provider has a content host. */
  readonly endpoints: ProviderEndpoints;
  /** Scopes the platform app asks for when `<PREFIX>_SCOPES` is unset. */
  readonly defaultScopes: readonly string[];
  /** A code exchange that yields no refresh token is a failed connection (the grant could not outlive its access token). */
  readonly requiresRefreshToken: boolean;
  /** Whether the proxy's `/proxy/content/…` path goes to a separate content host (`endpoints.contentUrl`). */
  readonly contentHost: boolean;
  /** Whether non-OAuth tokens (private apps) can be imported; then `oauth().verifyPrivateApp` exists. */
  readonly privateApps: boolean;
  /** Whether the provider has optional scopes (`<PREFIX>_OPTIONAL_SCOPES`, HubSpot's `optional_scope`). */
  readonly optionalScopes: boolean;
  /** Optional scopes the platform app asks for when `<PREFIX>_OPTIONAL_SCOPES` is unset. */
  readonly defaultOptionalScopes: readonly string[];
  /**
   * Whether a 429 is a limit no retry within a request's budget clears (HubSpot's DAILY): then
   * it is answered at once. Absent: every 429 is worth retrying.
   */
  readonly lastingRateLimit?: (response: Response) => Promise<boolean>;
  /**
   * The OAuth implementation bound to (possibly overridden) endpoints; `retry` overrides the
   * provider calls' retry policy. Its module loads with the first call: a token read that needs
   * no refresh (most of them) runs none of it, so the API function's cold start does not load it.
   */
  oauth(endpoints: ProviderEndpoints, options?: { retry?: RetryPolicy }): Promise<ProviderOAuth>;
  /**
   * The provider's data client for one access token; its module loads with the first call (the
   * API function's cold start serves no data route).
   */
  client(endpoints: ProviderEndpoints, token: string): Promise<Client>;
}

export function expiresAtFrom(expiresIn: unknown, now = Date.now()): string | undefined {
  const n = typeof expiresIn === 'string' ? Number(expiresIn) : expiresIn;
  return typeof n === 'number' && Number.isFinite(n) && n > 0
    ? new Date(now + n * 1000).toISOString()
    : undefined;
}

type TokenPost = (app: OAuthApp, params: Record<string, string | undefined>) => Promise<Grant>;

/**
 * The authorization-code and refresh-token grants (RFC 6749 §4.1.3 and §6), the same for every
 * provider once its token request (`post`: client authentication, endpoint) is given. A code the
 * provider refuses is the caller's mistake (400), not a dead connection.
 */
export function tokenGrants(post: TokenPost): Pick<ProviderOAuth, 'exchangeCode' | 'refresh'> {
  return {
    async exchangeCode({ app, code, redirectUri, codeVerifier }) {
      try {
        return await post(app, {
          grant_type: 'authorization_code',
          code,
          redirect_uri: redirectUri,
          code_verifier: codeVerifier,
        });
      } catch (err) {
        if (err instanceof InvalidGrantError) {
          throw invalidRequest('The authorization code is invalid, expired or already used.');
        }
        throw err;
      }
    },
    refresh({ app, refreshToken }) {
      return post(app, { grant_type: 'refresh_token', refresh_token: refreshToken });
    },
  };
}

/** Adds a PKCE S256 challenge (RFC 7636) to an authorize URL. */
export function withPkce(url: URL, codeChallenge: string | undefined): string {
  if (codeChallenge) {
    url.searchParams.set('code_challenge', codeChallenge);
    url.searchParams.set('code_challenge_method', 'S256');
  }
  return url.toString();
}
