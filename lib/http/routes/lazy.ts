/**
 * The route modules a cold start does not load, as one module: loaded together on the first
 * request one of them serves (./families.ts). One chunk rather than one each: code splitting puts
 * what a lazy module shares with the code loaded at init into chunks of their own, one for each
 * set of modules sharing it, and each chunk is one more file a cold start resolves and compiles.
 */
export { adminAuditApi, tenantAuditApi } from './audit.js';
export { connectApi } from './connect.js';
export { dropboxApi } from './dropbox.js';
export { hubspotApi } from './hubdb.js';
export { oauthApi } from './oauth.js';
export { adminStatsApi, statsApi } from './stats.js';
export { tenantsApi } from './tenants.js';
export { adminWebhookApi, tenantWebhookApi } from './webhooks.js';
