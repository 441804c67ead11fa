import type { Config, ProviderName } from '../config.js';
import { type Connection, type Connections, oauthCredentials } from '../connections/index.js';
import { conflict, invalidRequest, unprocessable } from '../errors.js';
import type { Grant, OAuthClients } from '../providers/index.js';
import { InvalidGrantError } from '../providers/index.js';
import { resolveApp, type Tenants } from '../tenants/index.js';

export interface ImportDeps {
  tenants: Tenants;
  connections: Connections;
  providers: OAuthClients;
  config: Config;
}

/** A grant obtained elsewhere: an OAuth refresh token, or a HubSpot private-app token. */
export interface ImportedGrant {
  provider: ProviderName;
  endUserId: string;
  credentials:
    | { type: 'oauth2'; refreshToken: string; accessToken?: string; expiresAt?: string }
    | { type: 'private_app'; token: string };
}

/**
 * Imports a grant obtained elsewhere, checked against the provider before anything is stored: a
 * refresh token is refreshed once (a refused one is a 422), a private-app token is verified.
 */
export async function importConnection(
  deps: ImportDeps,
  tenantId: string,
  input: ImportedGrant,
  actor: string,
): Promise<Connection> {
  await deps.tenants.requireActive(tenantId);
  const p = await deps.providers(input.provider);
  const base = { tenantId, provider: input.provider, endUserId: input.endUserId, actor };
  if (input.credentials.type === 'private_app') {
    if (!p.verifyPrivateApp) throw invalidRequest(`${p.displayName} has no private-app tokens.`);
    const { account, scopes } = await p.verifyPrivateApp(input.credentials.token);
    const { connection } = await deps.connections.saveGrant({
      ...base,
      account,
      authScheme: 'private_app',
      credentials: { token: input.credentials.token },
      scopes,
    });
    if ((await deps.tenants.get(tenantId))?.status !== 'active') {
      await deps.connections.discard(tenantId, connection.id, actor);
      throw conflict('The tenant is revoked.');
    }
    return connection;
  }
  const { app, source } = await resolveApp(deps, tenantId, input.provider);
  let grant: Grant;
  try {
    // Refreshing proves the refresh token works (and gives a fresh access token).
    grant = await p.refresh({ app, refreshToken: input.credentials.refreshToken });
  } catch (err) {
    if (err instanceof InvalidGrantError) throw unprocessable(`${p.displayName} refused the refresh token.`);
    throw err;
  }
  const account = await p.identify(grant);
  const { connection } = await deps.connections.saveGrant({
    ...base,
    account,
    authScheme: 'oauth2',
    credentials: oauthCredentials(
      { accessToken: grant.accessToken, refreshToken: grant.refreshToken ?? input.credentials.refreshToken },
      app,
      source,
    ),
    scopes: grant.scopes,
    expiresAt: grant.expiresAt,
    refreshedAt: new Date().toISOString(),
  });
  // A revocation that began meanwhile must not miss this grant (docs/design.md, "Vault").
  if ((await deps.tenants.get(tenantId))?.status !== 'active') {
    await deps.connections.discard(tenantId, connection.id, actor);
    await p.revoke({ app, grant }).catch(() => undefined);
    throw conflict('The tenant is revoked.');
  }
  return connection;
}
