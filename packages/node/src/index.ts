/**
 * `@portico/node`: Portico's backend SDK. Its types come from Portico's OpenAPI document, generated
 * when the package is built (packages/node/build.ts); it needs nothing but `fetch` (Node 20+, Lambda).
 */
export {
  type AccessToken,
  type AuditEvent,
  type AvroPage,
  type Connection,
  type ConnectSession,
  type CreatedTenant,
  type DropboxEntry,
  type HubdbRow,
  type HubdbTable,
  Portico,
  PorticoAdmin,
  type PorticoAdminOptions,
  type PorticoOptions,
  type Problem,
  type RowFilters,
  type Tenant,
} from './client.js';
export { PorticoError } from './errors.js';
export type { components, operations, paths, webhooks } from './generated/openapi.js';
export type { CallOptions, ClientOptions } from './transport.js';
export { verifyWebhook, type WebhookEvent } from './webhooks.js';
