import type { Hono } from 'hono';
import type { ProviderName } from '../../providers/registry.js';
import type { AppEnv } from '../context.js';
import type { Api } from '../openapi.js';
import { dropboxApi, dropboxRoutes } from './dropbox.js';
import { hubspotApi, hubspotRoutes } from './hubdb.js';

/**
 * Each provider's data routes and their API description, keyed by the registry's names: a
 * provider declared without an entry here fails the type check.
 */
export const providerRoutes: Record<ProviderName, { routes: Hono<AppEnv>; api: Api }> = {
  hubspot: { routes: hubspotRoutes, api: hubspotApi },
  dropbox: { routes: dropboxRoutes, api: dropboxApi },
};
