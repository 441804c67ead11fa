/**
 * The services only some routes and the workers use, as one module that lib/services.ts loads on
 * their first use: the connect flows, tenant revocation and the webhook outbox. A cold start of
 * the API function neither reads nor compiles them. One module rather than one each, for the
 * reason lib/http/routes/lazy.ts gives.
 */
export { ConnectFlows, SigningKey } from './oauth/index.js';
export { Revocations, revocationJobVault } from './tenants/revoke.js';
export { Outbox } from './webhooks/index.js';
