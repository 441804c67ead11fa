import type { ProviderName } from '../config.js';
import type { TenantRecord } from '../store/items.js';

/** A tenant as the API shows it: never its keys or secrets. */
export type Tenant = Pick<
  TenantRecord,
  'id' | 'name' | 'status' | 'returnUrls' | 'webhookUrl' | 'createdAt' | 'updatedAt'
> & { requireConfirmation: boolean };

export interface TenantApp {
  provider: ProviderName;
  clientId: string;
  scopes?: string[];
  optionalScopes?: string[];
  updatedAt: string;
}

/** A stored tenant as the API shows it. */
export function toTenant(t: TenantRecord): Tenant {
  return {
    id: t.id,
    name: t.name,
    status: t.status,
    returnUrls: t.returnUrls,
    ...(t.webhookUrl ? { webhookUrl: t.webhookUrl } : {}),
    requireConfirmation: t.requireConfirmation ?? false,
    createdAt: t.createdAt,
    updatedAt: t.updatedAt,
  };
}
