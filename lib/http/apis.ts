import { type ProviderName, providerNames, providers } from '../providers/registry.js';
import { webhookHeaders, webhookSpecs } from './events.js';
import type { Api } from './openapi.js';
import { openApiDocument } from './openapi.js';
import { adminAuditApi, tenantAuditApi } from './routes/audit.js';
import { connectApi } from './routes/connect.js';
import { connectionsApi } from './routes/connections.js';
import { describedApi } from './routes/described.js';
import { dropboxApi } from './routes/dropbox.js';
import { hubspotApi } from './routes/hubdb.js';
import { adminStatsApi, statsApi } from './routes/stats.js';
import { tenantsApi } from './routes/tenants.js';
import { adminWebhookApi, tenantWebhookApi } from './routes/webhooks.js';
import { ProblemSchema } from './schemas.js';
import { sdkSample } from './sdk-samples.js';

/** Each provider's data routes as documented (a provider without an entry fails the type check). */
const providerApis: Record<ProviderName, Api> = { hubspot: hubspotApi, dropbox: dropboxApi };

/** Where `npm start` listens by default; `GET /openapi.json` names the deployment's `PUBLIC_URL` instead. */
export const defaultServer = 'http://localhost:8787';

/**
 * The OpenAPI 3.1 document of the whole API, generated from the same declarations that validate
 * the routes. Served as build-time content (`lib/http/ui/content.ts`): `GET /openapi.json`, and
 * rendered on `GET /docs`.
 */
export function apiDocument(): Record<string, unknown> {
  return openApiDocument(
    [
      tenantsApi,
      adminAuditApi,
      tenantAuditApi,
      adminWebhookApi,
      tenantWebhookApi,
      adminStatsApi,
      statsApi,
      connectApi,
      connectionsApi,
      ...providerNames.map((p) => providerApis[p]),
      describedApi,
    ],
    {
      info: {
        title: 'Portico API',
        version: '1.0.0',
        description: `Self-hosted OAuth connection gateway for ${displayNames()}. Errors are \`application/problem+json\` with a stable \`code\`. Every keyed route is rate limited per key (\`429 rate_limited\` with \`Retry-After\`; \`RateLimit-Policy\` and \`RateLimit\` on every answer). Tenants with \`requireConfirmation\` keep browser connections \`pending\` until \`POST /v1/connect-sessions/{id}/confirm\`. The typed backend SDK is \`@portico/node\` (packages/node).`,
      },
      server: defaultServer,
      tags: [
        { name: 'Admin', description: 'Tenants, their keys and OAuth apps (the admin key or an admin JWT).' },
        { name: 'Audit', description: 'Every admin action and credential change, without secrets.' },
        {
          name: 'Connect',
          description: 'Connecting an end user: connect sessions, headless exchange, import.',
        },
        { name: 'Connections', description: "A tenant's connections and their fresh access tokens." },
        { name: 'HubDB', description: 'HubSpot HubDB tables and rows of a HubSpot connection.' },
        {
          name: 'Dropbox',
          description: 'Files of a Dropbox connection, and Avro data files decoded to rows.',
        },
        { name: 'Proxy', description: "The provider's own API with the connection's credentials." },
        {
          name: 'Browser flow',
          description: "The pages the end user's browser passes through (no bearer key).",
        },
        { name: 'Stats', description: 'Counts of refreshes, failures and data calls over time.' },
        { name: 'Service', description: 'Health, the browser SDK and the admin console.' },
        {
          name: 'Webhooks',
          description:
            "Events POSTed to the tenant's `webhookUrl`, signed per Standard Webhooks with the tenant's secret; at least once, retried with backoff. The deliveries are listed and retried here.",
        },
      ],
      problem: ProblemSchema(),
      webhooks: webhookSpecs,
      webhookHeaders,
      sdkSample,
    },
  );
}

/** "HubSpot and Dropbox" (or "A, B and C"), from the registry. */
function displayNames(): string {
  const names = providers.all().map((p) => p.displayName);
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : (names[0] ?? '');
}
