import type { ProviderName } from '../config.js';
import type { Item } from '../store/db.js';

/** A connection as the API shows it: never a token. */
export interface Connection {
  id: string;
  provider: ProviderName;
  endUserId: string;
  authScheme: 'oauth2' | 'private_app';
  status: 'active' | 'needs_reauth';
  account: { id: string; name?: string };
  scopes: string[];
  expiresAt: string | null;
  createdAt: string;
  updatedAt: string;
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

export const connSk = (id: string) => `CONN#${id}`;
export const connKeySk = (provider: string, accountId: string, endUserHash: string) =>
  `CONNKEY#${provider}#${accountId}#${endUserHash}`;

export function toConnection(item: Item): Connection {
  return {
    id: item.id as string,
    provider: item.provider as ProviderName,
    endUserId: item.endUserId as string,
    authScheme: item.authScheme as Connection['authScheme'],
    status: item.status as Connection['status'],
    account: {
      id: item.accountId as string,
      ...(item.accountName ? { name: item.accountName as string } : {}),
    },
    scopes: (item.scopes as string[] | undefined) ?? [],
    expiresAt: (item.expiresAt as string | undefined) ?? null,
    createdAt: item.createdAt as string,
    updatedAt: item.updatedAt as string,
  };
}
