import type { Config, ProviderName } from '../config.js';
import type { GrantApp, SealedCredentials } from '../connections/index.js';
import { PorticoError, unprocessable } from '../errors.js';
import type { OAuthApp } from '../providers/index.js';

/** The app new grants of a tenant and provider are made with, and the scopes they ask for. */
export interface ResolvedApp {
  app: OAuthApp;
  source: 'platform' | 'tenant';
  scopes: string[];
  /** Scopes the user may decline, asked for beside `scopes` where the provider has them. */
  optionalScopes: string[];
}

/** Where a tenant's own app is read (`Tenants.getApp`). */
export interface TenantAppSource {
  getApp(
    tenantId: string,
    provider: ProviderName,
  ): Promise<
    { clientId: string; clientSecret: string; scopes?: string[]; optionalScopes?: string[] } | undefined
  >;
}

/**
 * The app to use for a tenant's new grants: its own app if set, else the platform's. Answers
 * `invalid_request` (422) when neither is configured, so a flow fails before the user's browser
 * is sent anywhere.
 */
export async function resolveApp(
  deps: { tenants: TenantAppSource; config: Config },
  tenantId: string,
  provider: ProviderName,
): Promise<ResolvedApp> {
  const own = await deps.tenants.getApp(tenantId, provider);
  if (own) {
    // A tenant app that names its scopes names all of them; one that names none asks for the platform's.
    const platformScopes = own.scopes === undefined;
    return {
      app: { clientId: own.clientId, clientSecret: own.clientSecret },
      source: 'tenant',
      scopes: own.scopes ?? deps.config.apps[provider].scopes,
      optionalScopes: own.optionalScopes ?? (platformScopes ? deps.config.apps[provider].optionalScopes : []),
    };
  }
  const platform = deps.config.apps[provider];
  if (!platform.clientId || !platform.clientSecret) {
    throw unprocessable(`No ${provider} app is configured for this tenant or the platform.`);
  }
  return {
    app: { clientId: platform.clientId, clientSecret: platform.clientSecret },
    source: 'platform',
    scopes: platform.scopes,
    optionalScopes: platform.optionalScopes,
  };
}

/**
 * The app that issued a stored grant, which it refreshes and is revoked with: the tenant app
 * sealed with the grant, else the platform's; `undefined` when the platform app is not configured.
 */
export function issuingApp(
  config: Config,
  provider: ProviderName,
  creds: SealedCredentials,
): OAuthApp | undefined {
  if (creds.app?.source === 'tenant' && creds.app.clientSecret) {
    return { clientId: creds.app.clientId, clientSecret: creds.app.clientSecret };
  }
  const platform = config.apps[provider];
  if (!platform.clientId || !platform.clientSecret) return undefined;
  return { clientId: platform.clientId, clientSecret: platform.clientSecret };
}

/** {@link issuingApp} for the connections, where a missing platform app is a `provider_error`. */
export function grantApp(config: Config): GrantApp {
  return (provider, creds) => {
    const app = issuingApp(config, provider, creds);
    if (!app) throw new PorticoError('provider_error', `The platform ${provider} app is not configured.`);
    return app;
  };
}
