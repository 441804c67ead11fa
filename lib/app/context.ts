import type { Audit } from '../audit/index.js';
import type { Config, ProviderName } from '../config.js';
import type { Connections } from '../connections/index.js';
import type { Logger } from '../log.js';
import type { ConnectFlows } from '../oauth/index.js';
import type { ProviderOAuth } from '../providers/index.js';
import type { Db } from '../store/db.js';
import type { Tenants } from '../tenants/index.js';
import type { Vault } from '../vault/index.js';
import type { Outbox } from '../webhooks/index.js';

/** Who is calling: an operator (admin key or admin JWT) or one tenant (tenant API key). */
export type Principal =
  | { kind: 'admin'; actor: string }
  | { kind: 'tenant'; tenantId: string; keyId: string; actor: string };

/** Everything the routes need, built once per process (Lambda container or local server). */
export interface Services {
  config: Config;
  db: Db;
  vault: Vault;
  tenants: Tenants;
  audit: Audit;
  providers: Record<ProviderName, ProviderOAuth>;
  connections: Connections;
  flows: ConnectFlows;
  outbox: Outbox;
  log: Logger;
}

export interface AppEnv {
  Variables: {
    requestId: string;
    principal: Principal;
    services: Services;
  };
}
