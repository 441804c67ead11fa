import { providerNames, providers } from '../providers/registry.js';
import { openApiDocument } from './openapi.js';
import { referenceCssHash, renderReference } from './reference.js';
import { adminAuditApi, tenantAuditApi } from './routes/audit.js';
import { connectApi } from './routes/connect.js';
import { connectionsApi } from './routes/connections.js';
import { describedApi } from './routes/described.js';
import { providerRoutes } from './routes/providers.js';
import { adminStatsApi, statsApi } from './routes/stats.js';
import { tenantsApi } from './routes/tenants.js';
import { adminWebhookApi, tenantWebhookApi } from './routes/webhooks.js';
import { ProblemSchema } from './schemas.js';

/**
 * The OpenAPI 3.1 document of the whole API (generated from the same declarations that validate
 * the routes), its rendered reference page, and that page's Content-Security-Policy. Served as
 * build-time content (`lib/ui/content.ts`): `GET /openapi.json` and `GET /docs`.
 */
export function apiReference(): { openapi: Record<string, unknown>; html: string; csp: string } {
  const openapi = openApiDocument(
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
      ...providerNames.map((p) => providerRoutes[p].api),
      describedApi,
    ],
    {
      title: 'Portico API',
      version: '1.0.0',
      description: `Self-hosted OAuth connection gateway for ${displayNames()}. Errors are \`application/problem+json\` with a stable \`code\`. Every keyed route is rate limited per key (\`429 rate_limited\` with \`Retry-After\`; \`RateLimit-Policy\` and \`RateLimit\` on every answer). Tenants with \`requireConfirmation\` keep browser connections \`pending\` until \`POST /v1/connect-sessions/{id}/confirm\`.`,
    },
    ProblemSchema,
  );
  return {
    openapi,
    html: renderReference(openapi),
    csp: `default-src 'none'; style-src ${referenceCssHash}; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
  };
}

/** "HubSpot and Dropbox" (or "A, B and C"), from the registry. */
function displayNames(): string {
  const names = providers.all().map((p) => p.displayName);
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names.at(-1)}` : (names[0] ?? '');
}
