import type { Config } from '../config.js';
import { type ProviderName, providerNames, providers } from './registry.js';
import type { ProviderOAuth } from './types.js';

export type { ProviderName } from './registry.js';
export { providerNames, providers } from './registry.js';
export type { Account, Grant, OAuthApp, ProviderDeclaration, ProviderOAuth } from './types.js';
export { InvalidClientError, InvalidGrantError } from './types.js';

/** The OAuth implementation of every declared provider, bound to a configuration's endpoints. */
export function createProviders(config: Config): Record<ProviderName, ProviderOAuth> {
  return Object.fromEntries(
    providerNames.map((p) => [p, providers.get(p).oauth(config.endpoints[p])]),
  ) as Record<ProviderName, ProviderOAuth>;
}
