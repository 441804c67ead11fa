import type { ProviderName } from '../config.js';
import type { Grant, OAuthApp } from '../providers/index.js';
import type { ConnectionError, ConnectionRecord, ConnectionStatus } from '../store/items.js';

/** A connection as the API shows it: never a token. */
export interface Connection {
  id: string;
  provider: ProviderName;
  endUserId: string;
  authScheme: 'oauth2' | 'private_app';
  /** `pending`: made through a browser flow, awaiting `POST /v1/connect-sessions/:id/confirm`; never served. */
  status: ConnectionStatus;
  account: { id: string; name?: string; hublet?: string; teamSpace?: boolean };
  scopes: string[];
  expiresAt: string | null;
  createdAt: string;
  updatedAt: string;
  /** When the access token was last refreshed (an import that was checked by refreshing counts). */
  lastRefreshedAt: string | null;
  /** When a token read or a data call last used it (coarse: written at most once a minute). */
  lastUsedAt: string | null;
  /** The last refresh failure, `null` once a refresh succeeds. */
  lastError: ConnectionError | null;
  /** Consecutive failed refreshes. */
  refreshFailures: number;
}

/** What is sealed in a connection item (AAD: tenant + connection id). */
export interface SealedCredentials {
  accessToken?: string;
  refreshToken?: string;
  /** HubSpot private-app token. */
  token?: string;
  /** The app that issued the grant; a tenant app's secret travels with its grants, so they keep refreshing after the app is replaced. */
  app?: { source: 'platform' | 'tenant'; clientId: string; clientSecret?: string };
}

/** An access token as `GET /v1/connections/:id/token` answers it. */
export interface AccessToken {
  accessToken: string;
  tokenType: 'bearer';
  expiresAt: string | null;
}

/** The app a stored grant refreshes and revokes with (its issuing app, see `lib/tenants/apps.ts`). */
export type GrantApp = (provider: ProviderName, credentials: SealedCredentials) => OAuthApp;

/** Tokens expiring within this window are refreshed before use (docs/api.md). */
export const refreshWindowMs = 5 * 60_000;
/** `lastUsedAt` is written at most this often per connection (a token read is otherwise write-free). */
export const lastUsedGranularityMs = 60_000;
/** Consecutive transient refresh failures after which `connection.refresh_failed` is sent. */
export const refreshFailedAfter = 3;
/** The sweep refreshes tokens this long before they expire. */
export const sweepLeadMs = 10 * 60_000;

/** The API's view of a stored connection. */
export function toConnection(c: ConnectionRecord): Connection {
  return {
    id: c.id,
    provider: c.provider,
    endUserId: c.endUserId,
    authScheme: c.authScheme,
    status: c.status,
    account: {
      id: c.accountId,
      ...(c.accountName ? { name: c.accountName } : {}),
      ...(c.hublet ? { hublet: c.hublet } : {}),
      ...(c.rootNamespaceId ? { teamSpace: true } : {}),
    },
    scopes: c.scopes ?? [],
    expiresAt: c.expiresAt ?? null,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
    lastRefreshedAt: c.lastRefreshedAt ?? null,
    lastUsedAt: c.lastUsedAt ?? null,
    lastError: c.lastError ?? null,
    refreshFailures: c.refreshFailures ?? 0,
  };
}

/**
 * What to seal for a fresh OAuth grant: its tokens and the app that issued it (a tenant app's
 * secret included, so the grant keeps refreshing after the tenant replaces its app).
 */
export function oauthCredentials(
  grant: Pick<Grant, 'accessToken' | 'refreshToken'>,
  app: OAuthApp,
  source: 'platform' | 'tenant',
): SealedCredentials {
  return {
    accessToken: grant.accessToken,
    refreshToken: grant.refreshToken,
    app: {
      source,
      clientId: app.clientId,
      ...(source === 'tenant' ? { clientSecret: app.clientSecret } : {}),
    },
  };
}

/** A stored token as the API answers it. */
export const bearer = (accessToken: string, expiresAt: string | undefined): AccessToken => ({
  accessToken,
  tokenType: 'bearer',
  expiresAt: expiresAt ?? null,
});
