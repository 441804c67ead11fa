import type { Config, ProviderName } from '../config.js';
import { dropboxOAuth } from './dropbox/oauth.js';
import { hubspotOAuth } from './hubspot/oauth.js';
import type { ProviderOAuth } from './types.js';

export type { Account, Grant, OAuthApp, ProviderOAuth } from './types.js';
export { InvalidClientError, InvalidGrantError } from './types.js';

/** The provider implementations for a configuration's endpoints. */
export function createProviders(config: Config): Record<ProviderName, ProviderOAuth> {
  return { hubspot: hubspotOAuth(config.endpoints.hubspot), dropbox: dropboxOAuth(config.endpoints.dropbox) };
}
