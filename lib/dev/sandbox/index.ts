import { Hono } from 'hono';
import { controlRoutes } from './common/control.js';
import { type SandboxOptions, SandboxState } from './common/state.js';
import { dropboxApp } from './dropbox/index.js';
import { hubspotApp } from './hubspot/index.js';

export type { Fault, FaultSpec } from './common/faults.js';
export { dropboxIdentity, hubspotIdentity, KNOWN_ACCOUNTS } from './common/identity.js';
export type { SandboxApp } from './common/oauth-store.js';
export type { MintedGrant, SandboxOptions } from './common/state.js';
export { DEFAULT_DROPBOX_APP, DEFAULT_HUBSPOT_APP, DEFAULT_SCOPES, SandboxState } from './common/state.js';
export type { ProviderStats, SandboxStats } from './common/stats.js';
export { avroFixtures } from './dropbox/avro-fixtures.js';
export { BIG_AVRO_SCHEMA, bigAvroLayout } from './dropbox/big-avro.js';

/**
 * Creates the built-in HubSpot and Dropbox simulators: one Hono app, in memory, that
 * follows the providers' wire formats (docs/providers.md) for local development and
 * tests. Mount it with `app.route('/sandbox', sandbox.app)` (keeps the full URL, so the
 * absolute links it builds are right) or serve it alone.
 *
 * | prefix | provider host it stands for |
 * | --- | --- |
 * | `/hubspot/oauth/authorize` | app.hubspot.com/oauth/authorize (`HUBSPOT_AUTH_URL`) |
 * | `/hubspot/api` | api.hubapi.com (`HUBSPOT_API_URL`) |
 * | `/dropbox/oauth2/authorize` | www.dropbox.com/oauth2/authorize (`DROPBOX_AUTH_URL`) |
 * | `/dropbox/api` | api.dropboxapi.com (`DROPBOX_API_URL`) |
 * | `/dropbox/content` | content.dropboxapi.com (`DROPBOX_CONTENT_URL`) |
 * | `/_control` | test controls: stats, faults, token expiry, apps, minting |
 *
 * In-process controls on {@link SandboxState} besides those: `resetDropboxCursors()` (listing
 * cursors answer `reset`) and `changeDropboxFile(path, bytes)` (a new revision).
 *
 * Fidelity. Confirmed by HubSpot's 2026-03 OpenAPI specs: the OAuth token, introspect and
 * revoke paths and form fields; `hub_id`/`scopes` optional in token answers; the introspection
 * fields (`hub_domain`, `signed_access_token.hublet`); the HubDB and account-info paths; the two
 * rows answers (STREAMING with `paging.next.after`, RANDOM_ACCESS with an integer
 * `paging.next.offset`). From Dropbox's API spec and docs: `root_info`, `Dropbox-API-Path-Root`,
 * `is_downloadable`, 409 `unsupported_file` and `reset`. Guesses: the revoke success status (200
 * `{}`) and its answer for unknown tokens, which HubDB tables page by offset (here `inventory`),
 * the 400 for a token in a URL, the hublet `na1` for every portal, team-space membership (accounts
 * named `team…`) and the exact 422 `invalid_root` body. v1 OAuth paths answer 404, as HubSpot's
 * will after 2027-02-16; HubDB and account-info answer only on 2026-03 paths.
 *
 * Never deployed: nothing here is hardened for untrusted traffic beyond what the
 * simulated providers themselves check.
 */
export function createSandbox(options?: SandboxOptions): { app: Hono; state: SandboxState } {
  const state = new SandboxState(options);
  const app = new Hono();
  app.route('/_control', controlRoutes(state));
  app.route('/hubspot', hubspotApp(state));
  app.route('/dropbox', dropboxApp(state));
  return { app, state };
}
