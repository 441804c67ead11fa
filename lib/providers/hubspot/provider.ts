import type { ProviderDeclaration } from '../types.js';
import type { hubdb } from './api.js';
import { isDailyLimit } from './limits.js';

/**
 * HubSpot: OAuth public apps and private-app tokens; HubDB as the data API.
 * https://developers.hubspot.com/docs/api/oauth-quickstart-guide
 */
export const hubspot = {
  name: 'hubspot',
  displayName: 'HubSpot',
  envPrefix: 'HUBSPOT',
  endpoints: { authUrl: 'https://app.hubspot.com/oauth/authorize', apiUrl: 'https://api.hubapi.com' },
  // Required scopes must equal the app's configured ones; the owners scope is optional so an install never fails on it.
  defaultScopes: ['oauth', 'hubdb'],
  // HubSpot always issues a refresh token with a code.
  requiresRefreshToken: false,
  contentHost: false,
  privateApps: true,
  optionalScopes: true,
  defaultOptionalScopes: ['crm.objects.owners.read'],
  lastingRateLimit: isDailyLimit,
  oauth: async (endpoints, options) => (await import('./oauth.js')).hubspotOAuth(endpoints, options),
  client: async (endpoints, token) => (await import('./api.js')).hubdb(endpoints.apiUrl, token),
} as const satisfies ProviderDeclaration<'hubspot', ReturnType<typeof hubdb>>;
