import type { ProviderName } from '../../providers/registry.js';
import { dropboxFamily, hubspotFamily, type RouteFamily } from './families.js';

/**
 * Each provider's data routes, keyed by the registry's names (a provider declared without an
 * entry here fails the type check), loaded on their first request (./families.ts).
 */
export const providerRoutes: Record<ProviderName, RouteFamily> = {
  hubspot: hubspotFamily,
  dropbox: dropboxFamily,
};
