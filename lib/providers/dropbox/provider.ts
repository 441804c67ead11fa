import type { ProviderDeclaration } from '../types.js';
import type { dropbox as dropboxClient } from './api.js';

/**
 * Dropbox: OAuth with offline access; files on a separate content host.
 * https://www.dropbox.com/developers/documentation/http/documentation
 */
export const dropbox = {
  name: 'dropbox',
  displayName: 'Dropbox',
  envPrefix: 'DROPBOX',
  endpoints: {
    authUrl: 'https://www.dropbox.com/oauth2/authorize',
    apiUrl: 'https://api.dropboxapi.com',
    contentUrl: 'https://content.dropboxapi.com',
  },
  defaultScopes: ['account_info.read', 'files.metadata.read', 'files.content.read'],
  // Without offline access Dropbox issues no refresh token, and the connection would die in four hours.
  requiresRefreshToken: true,
  contentHost: true,
  privateApps: false,
  optionalScopes: false,
  defaultOptionalScopes: [],
  oauth: async (endpoints) => (await import('./oauth.js')).dropboxOAuth(endpoints),
  client: async (endpoints, token, options?: Parameters<typeof dropboxClient>[3]) =>
    (await import('./api.js')).dropbox(
      endpoints.apiUrl,
      endpoints.contentUrl ?? endpoints.apiUrl,
      token,
      options,
    ),
} as const satisfies ProviderDeclaration<'dropbox', ReturnType<typeof dropboxClient>>;
