import type { Audit } from '../audit/index.js';
import type { ProviderName } from '../config.js';
import { conflict, notFound } from '../errors.js';
import { isId, sha256Hex } from '../ids.js';
import { once } from '../once.js';
import { type Condition, ConditionFailed, type Db } from '../store/db.js';
import {
  apiKeyKey,
  readApiKey,
  readTenant,
  readTenantApp,
  type TenantChanges,
  type TenantRecord,
  tenantAppKey,
  tenantKey,
} from '../store/items.js';
import type { Vault } from '../vault/index.js';
import type { TenantAdmin } from './admin.js';
import { KeyChecks } from './key-checks.js';
import { type Tenant, toTenant } from './model.js';
import { systemTenant } from './system.js';

export { grantApp, issuingApp, type ResolvedApp, resolveApp } from './apps.js';

export type { Tenant, TenantApp } from './model.js';
// Types only: the revocation job's code loads on demand (lib/on-demand.ts imports ./revoke.js), and
// a value exported here would bring it into every cold start with the rest of this module.
export type { RevocationAnswer, RevocationProgress, Revocations, RevocationsDeps } from './revoke.js';

export interface TenantsDeps {
  db: Db;
  vault: Vault;
  /** Every write of a tenant, its keys and its apps is recorded here, with the actor who made it. */
  audit: Audit;
  now?: () => Date;
  /**
   * How long this process may reuse a successful API-key check (`CONNECTION_CACHE_MS`). Keys
   * deleted through this process stop at once; deleted elsewhere, within this time. Default 0:
   * every request reads the key's item.
   */
  keyCacheMs?: number;
}

/**
 * Tenants, their API keys and their own OAuth apps. API keys are shown once and stored only as
 * a SHA-256 hash (a 256-bit random key needs no slow hash); one GetItem authenticates a request.
 * Every write is audited here, once, whoever calls it (the admin API, the demo).
 */
export class Tenants {
  private readonly db: Db;
  private readonly vault: Vault;
  private readonly keyChecks: KeyChecks;

  // The admin methods' module, loaded by the first of them (see lib/tenants/admin.ts).
  private readonly admin: () => Promise<TenantAdmin>;

  constructor(deps: TenantsDeps) {
    this.db = deps.db;
    this.vault = deps.vault;
    const now = deps.now ?? (() => new Date());
    this.keyChecks = new KeyChecks(deps.keyCacheMs ?? 0, () => now().getTime());
    const admin = { db: deps.db, vault: deps.vault, audit: deps.audit, now, keyChecks: this.keyChecks };
    this.admin = once(async () => new (await import('./admin.js')).TenantAdmin(this, admin));
  }

  /** A new tenant with its own data key, its first API key and its webhook secret (each shown once). */
  create(...a: Parameters<TenantAdmin['create']>): ReturnType<TenantAdmin['create']> {
    return this.admin().then((t) => t.create(...a));
  }

  list(...a: Parameters<TenantAdmin['list']>): ReturnType<TenantAdmin['list']> {
    return this.admin().then((t) => t.list(...a));
  }

  /** Changes an active tenant; a concurrent change or a revoked tenant is a `conflict`. */
  patch(...a: Parameters<TenantAdmin['patch']>): ReturnType<TenantAdmin['patch']> {
    return this.admin().then((t) => t.patch(...a));
  }

  /** A new API key for an active tenant: returned once, stored as a hash. */
  createApiKey(...a: Parameters<TenantAdmin['createApiKey']>): ReturnType<TenantAdmin['createApiKey']> {
    return this.admin().then((t) => t.createApiKey(...a));
  }

  /** The tenant's API keys: their ids and creation times only (a key itself is never kept). */
  listApiKeys(...a: Parameters<TenantAdmin['listApiKeys']>): ReturnType<TenantAdmin['listApiKeys']> {
    return this.admin().then((t) => t.listApiKeys(...a));
  }

  /** Deletes a key of the tenant: it stops working at once. */
  deleteApiKey(...a: Parameters<TenantAdmin['deleteApiKey']>): ReturnType<TenantAdmin['deleteApiKey']> {
    return this.admin().then((t) => t.deleteApiKey(...a));
  }

  /** The tenant's own OAuth apps, without their secrets. */
  listApps(...a: Parameters<TenantAdmin['listApps']>): ReturnType<TenantAdmin['listApps']> {
    return this.admin().then((t) => t.listApps(...a));
  }

  /** Sets an active tenant's own OAuth app for a provider; the client secret is sealed. */
  setApp(...a: Parameters<TenantAdmin['setApp']>): ReturnType<TenantAdmin['setApp']> {
    return this.admin().then((t) => t.setApp(...a));
  }

  /** Removes the tenant's own app (its new grants use the platform's); `not_found` when it has none. */
  deleteApp(...a: Parameters<TenantAdmin['deleteApp']>): ReturnType<TenantAdmin['deleteApp']> {
    return this.admin().then((t) => t.deleteApp(...a));
  }

  /** A new webhook signing secret; the old one stops signing at once. */
  rotateWebhookSecret(
    ...a: Parameters<TenantAdmin['rotateWebhookSecret']>
  ): ReturnType<TenantAdmin['rotateWebhookSecret']> {
    return this.admin().then((t) => t.rotateWebhookSecret(...a));
  }

  /** The tenant, or `undefined` for a malformed or unknown id. */
  async get(tenantId: string): Promise<Tenant | undefined> {
    const record = await this.getItem(tenantId);
    return record ? toTenant(record) : undefined;
  }

  /** The stored tenant (with its revocation state), or `undefined` for a malformed or unknown id. */
  async getItem(tenantId: string): Promise<TenantRecord | undefined> {
    if (!isId(tenantId, 'ten')) return undefined;
    const { pk, sk } = tenantKey(tenantId);
    const item = await this.db.get(pk, sk);
    return item ? readTenant(item) : undefined;
  }

  async require(tenantId: string): Promise<Tenant> {
    const t = await this.get(tenantId);
    if (!t) throw notFound('Tenant');
    return t;
  }

  async requireActive(tenantId: string): Promise<Tenant> {
    const t = await this.require(tenantId);
    if (t.status !== 'active') throw conflict('The tenant is revoked.');
    return t;
  }

  /** Writes tenant attributes (under an optional condition); answers the stored tenant. */
  async updateTenant(tenantId: string, changes: TenantChanges, condition?: Condition): Promise<TenantRecord> {
    const { pk, sk } = tenantKey(tenantId);
    // A tenant leaving `active` (revocation) has its keys deleted next: none may be reused meanwhile.
    if (changes.status !== undefined && changes.status !== 'active') this.keyChecks.stopTenant(tenantId);
    return readTenant(await this.db.update(pk, sk, changes, condition));
  }

  /**
   * The tenant and key a bearer key belongs to, or `undefined`. A strongly consistent GetItem,
   * whose success this process reuses for `keyCacheMs` (`CONNECTION_CACHE_MS`): a new key works
   * at once (failures are never reused), a key deleted or a tenant revoked through this process
   * stops at once, and through another process within `keyCacheMs`. Concurrent checks of one
   * key share one read.
   */
  async authenticate(apiKey: string): Promise<{ tenantId: string; keyId: string } | undefined> {
    if (!apiKey.startsWith('ptk_') || apiKey.length > 200) return undefined;
    const hash = sha256Hex(apiKey);
    return this.keyChecks.check(hash, async () => {
      const { pk, sk } = apiKeyKey(hash);
      const item = await this.db.get(pk, sk);
      return item ? readApiKey(item) : undefined;
    });
  }

  /** The tenant's own app with its secret opened, or `undefined` (the platform app applies). */
  async getApp(
    tenantId: string,
    provider: ProviderName,
  ): Promise<
    { clientId: string; clientSecret: string; scopes?: string[]; optionalScopes?: string[] } | undefined
  > {
    const { pk, sk } = tenantAppKey(tenantId, provider);
    const item = await this.db.get(pk, sk);
    if (!item) return undefined;
    const app = readTenantApp(item);
    return {
      clientId: app.clientId,
      clientSecret: await this.vault.openString(tenantId, `app:${provider}`, app.clientSecret),
      scopes: app.scopes,
      optionalScopes: app.optionalScopes,
    };
  }

  /** The tenant's webhook signing secret (`whsec_…`). */
  async webhookSecret(tenantId: string): Promise<string | undefined> {
    const sealed = (await this.getItem(tenantId))?.webhookSecret;
    if (!sealed) return undefined;
    return this.vault.openString(systemTenant, `webhook-secret:${tenantId}`, sealed);
  }

  /**
   * Deletes a revoked tenant's webhook secret from its tombstone, once its last event
   * (`tenant.revoked`) was delivered or dead-lettered: after that nothing of the tenant is
   * decryptable. An active tenant's secret is never touched.
   */
  async forgetWebhookSecret(tenantId: string): Promise<void> {
    try {
      await this.updateTenant(
        tenantId,
        { webhookSecret: undefined },
        { expression: '#s = :revoked', names: { '#s': 'status' }, values: { ':revoked': 'revoked' } },
      );
    } catch (err) {
      if (!(err instanceof ConditionFailed)) throw err;
    }
  }
}
