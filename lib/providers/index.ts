import type { Config } from '../config.js';
import { once } from '../once.js';
import { type ProviderName, providerNames, providers } from './registry.js';
import type { ProviderOAuth } from './types.js';

export type { ProviderName } from './registry.js';
export { providerNames, providers } from './registry.js';
export type { Account, Grant, OAuthApp, ProviderDeclaration, ProviderOAuth } from './types.js';
export { InvalidClientError, InvalidGrantError } from './types.js';

/**
 * A provider's OAuth implementation, bound to the configuration's endpoints; built (and its
 * module loaded) on its first use, then shared.
 */
export type OAuthClients = (provider: ProviderName) => Promise<ProviderOAuth>;

/** The {@link OAuthClients} of every declared provider, bound to a configuration's endpoints. */
export function createProviders(config: Config): OAuthClients {
  const clients = new Map(
    providerNames.map((p) => [p, once(() => providers.get(p).oauth(config.endpoints[p]))]),
  );
  return (provider) => {
    const client = clients.get(provider);
    if (!client) return Promise.reject(new TypeError(`unknown provider ${provider}`));
    return client();
  };
}
