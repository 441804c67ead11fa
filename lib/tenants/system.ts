import { ConditionFailed, type Db } from '../store/db.js';
import { systemKeyItem, tenantKey } from '../store/items.js';
import type { Vault } from '../vault/index.js';

/**
 * The pseudo-tenant whose data key seals service-wide secrets: the connect-link signing key and
 * the tenants' webhook signing secrets (which must outlive a tenant's crypto-shredding long
 * enough to sign its `tenant.revoked` event).
 */
export const systemTenant = 'system';

const ensured = new WeakMap<Db, Promise<void>>();

/** Creates the system data key once (a conditional put; a process that loses the race uses the winner's). */
export function ensureSystemKey(db: Db, vault: Vault): Promise<void> {
  let p = ensured.get(db);
  if (!p) {
    p = (async () => {
      const { pk, sk } = tenantKey(systemTenant);
      if (await db.get(pk, sk)) return;
      const wrappedKey = await vault.createTenantKey(systemTenant);
      try {
        await db.put(systemKeyItem(systemTenant, wrappedKey), { ifNotExists: true });
      } catch (err) {
        if (!(err instanceof ConditionFailed)) throw err;
        vault.forget(systemTenant);
      }
    })();
    p.catch(() => ensured.delete(db));
    ensured.set(db, p);
  }
  return p;
}
