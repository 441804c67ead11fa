import type { Services } from '../services.js';

/** Who is calling: an operator (admin key or admin JWT) or one tenant (tenant API key). */
export type Principal =
  | { kind: 'admin'; actor: string }
  | { kind: 'tenant'; tenantId: string; keyId: string; actor: string };

/** The variables every request carries through the Hono app. */
export interface AppEnv {
  Variables: {
    requestId: string;
    principal: Principal;
    services: Services;
  };
}
