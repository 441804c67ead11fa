import type { Audit } from '../audit/index.js';
import type { ProviderName } from '../config.js';
import { conflict, invalidRequest, notFound } from '../errors.js';
import { isId, newId, newSecret, sha256Hex } from '../ids.js';
import { type Condition, ConditionFailed, type Db, decodeCursor, encodeCursor } from '../store/db.js';
import {
  apiKeyItem,
  apiKeyKey,
  apiKeyRefItem,
  apiKeyRefKey,
  apiKeyRefPrefix,
  readApiKeyHash,
  readApiKeyRef,
  readTenant,
  readTenantApp,
  type TenantChanges,
  type TenantRecord,
  tenantAppItem,
  tenantAppKey,
  tenantAppPrefix,
  tenantItem,
  tenantPk,
} from '../store/items.js';
import type { Vault } from '../vault/index.js';
import type { KeyChecks } from './key-checks.js';
import { type Tenant, type TenantApp, toTenant } from './model.js';
import { ensureSystemKey, systemTenant } from './system.js';

/** The reads and the one write of `Tenants` (lib/tenants/index.ts) the admin methods build on. */
export interface TenantReads {
  getItem(tenantId: string): Promise<TenantRecord | undefined>;
  require(tenantId: string): Promise<Tenant>;
  requireActive(tenantId: string): Promise<Tenant>;
  updateTenant(tenantId: string, changes: TenantChanges, condition?: Condition): Promise<TenantRecord>;
}

/** What the admin methods use of `Tenants`: its store, vault, audit trail, clock and key checks. */
export interface TenantAdminDeps {
  db: Db;
  vault: Vault;
  audit: Audit;
  now: () => Date;
  keyChecks: KeyChecks;
}

/**
 * The writes and lists of tenants, their API keys, their own OAuth apps and webhook secrets: the
 * admin API's and the demo's. `Tenants` loads this module on the first such call and
 * answers through it, so a cold start (which authenticates keys and reads tenants) does not
 * compile them. Every write is audited here, once, whoever calls it.
 */
export class TenantAdmin {
  private readonly db: Db;
  private readonly vault: Vault;
  private readonly audit: Audit;
  private readonly now: () => Date;
  private readonly keyChecks: KeyChecks;

  constructor(
    private readonly tenants: TenantReads,
    deps: TenantAdminDeps,
  ) {
    this.db = deps.db;
    this.vault = deps.vault;
    this.audit = deps.audit;
    this.now = deps.now;
    this.keyChecks = deps.keyChecks;
  }

  /** Runs a write, then records it in the tenant's audit trail (a failed write records nothing). */
  private async audited<T>(
    tenantId: string,
    actor: string,
    action: string,
    write: () => Promise<T>,
  ): Promise<T> {
    const result = await write();
    await this.audit.record({ actor, action, tenantId, outcome: 'success' });
    return result;
  }

  /** A new tenant with its own data key, its first API key and its webhook secret (each shown once). */
  async create(
    input: { name: string; returnUrls?: string[]; webhookUrl?: string; requireConfirmation?: boolean },
    actor: string,
  ): Promise<{ tenant: Tenant; apiKey: string; apiKeyId: string; webhookSecret: string }> {
    const id = newId('ten');
    return this.audited(id, actor, 'tenant.created', async () => {
      const at = this.now().toISOString();
      const record: TenantRecord = {
        id,
        name: input.name,
        status: 'active',
        returnUrls: input.returnUrls ?? [],
        webhookUrl: input.webhookUrl,
        ...(input.requireConfirmation ? { requireConfirmation: true } : {}),
        createdAt: at,
        updatedAt: at,
        wrappedKey: await this.vault.createTenantKey(id),
        version: 1,
      };
      const webhookSecret = newWebhookSecret();
      // The tenant item must exist (holding the wrapped key) before anything is sealed under it.
      await this.db.put(tenantItem(record), { ifNotExists: true });
      await this.tenants.updateTenant(id, { webhookSecret: await this.sealWebhookSecret(id, webhookSecret) });
      const { id: apiKeyId, apiKey } = await this.addApiKey(id);
      return { tenant: toTenant(record), apiKey, apiKeyId, webhookSecret };
    });
  }

  async list(limit: number, cursor?: string): Promise<{ tenants: Tenant[]; nextCursor?: string }> {
    const start = decodeCursor(cursor, (pk) => pk === undefined || typeof pk === 'string');
    if (start === null || (start && start.gsi2pk !== 'TENANT'))
      throw invalidRequest('The cursor is not valid.');
    const page = await this.db.query({
      index: 'list',
      pkName: 'gsi2pk',
      pk: 'TENANT',
      limit,
      startKey: start,
    });
    return {
      tenants: page.items.map((i) => toTenant(readTenant(i))),
      nextCursor: encodeCursor(page.lastKey),
    };
  }

  /** Changes an active tenant; a concurrent change or a revoked tenant is a `conflict`. */
  async patch(
    tenantId: string,
    input: {
      name?: string;
      returnUrls?: string[];
      webhookUrl?: string | null;
      requireConfirmation?: boolean;
    },
    actor: string,
  ): Promise<Tenant> {
    const current = await this.tenants.getItem(tenantId);
    if (!current) throw notFound('Tenant');
    if (current.status !== 'active') throw conflict('The tenant is revoked.');
    return this.audited(tenantId, actor, 'tenant.updated', async () => {
      const set: TenantChanges = { updatedAt: this.now().toISOString(), version: current.version + 1 };
      if (input.name !== undefined) set.name = input.name;
      if (input.returnUrls !== undefined) set.returnUrls = input.returnUrls;
      if (input.webhookUrl !== undefined) set.webhookUrl = input.webhookUrl ?? undefined;
      if (input.requireConfirmation !== undefined) set.requireConfirmation = input.requireConfirmation;
      try {
        return toTenant(
          await this.tenants.updateTenant(tenantId, set, {
            expression: '#v = :v AND #s = :active',
            names: { '#v': 'version', '#s': 'status' },
            values: { ':v': current.version, ':active': 'active' },
          }),
        );
      } catch (err) {
        if (err instanceof ConditionFailed) throw conflict('The tenant changed meanwhile; retry.');
        throw err;
      }
    });
  }

  /** A new API key for an active tenant: returned once, stored as a hash. */
  async createApiKey(tenantId: string, actor: string): Promise<{ id: string; apiKey: string }> {
    await this.tenants.requireActive(tenantId);
    return this.audited(tenantId, actor, 'api_key.created', () => this.addApiKey(tenantId));
  }

  private async addApiKey(tenantId: string): Promise<{ id: string; apiKey: string }> {
    const id = newId('key');
    const apiKey = newSecret('ptk');
    const hash = sha256Hex(apiKey);
    const createdAt = this.now().toISOString();
    // The tenant's own index of its keys first, so revocation always finds every lookup item.
    await this.db.put(apiKeyRefItem({ tenantId, id, hash, createdAt }));
    await this.db.put(apiKeyItem(hash, { tenantId, keyId: id, createdAt }));
    return { id, apiKey };
  }

  /** The tenant's API keys: their ids and creation times only (a key itself is never kept). */
  async listApiKeys(tenantId: string): Promise<Array<{ id: string; createdAt: string }>> {
    await this.tenants.require(tenantId);
    const out: Array<{ id: string; createdAt: string }> = [];
    for await (const item of this.db.queryAll({ pk: tenantPk(tenantId), skPrefix: apiKeyRefPrefix })) {
      const ref = readApiKeyRef(item);
      out.push({ id: ref.id, createdAt: ref.createdAt });
    }
    return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  /** The tenant's own OAuth apps, without their secrets. */
  async listApps(tenantId: string): Promise<TenantApp[]> {
    await this.tenants.require(tenantId);
    const out: TenantApp[] = [];
    for await (const item of this.db.queryAll({ pk: tenantPk(tenantId), skPrefix: tenantAppPrefix })) {
      const app = readTenantApp(item);
      out.push({
        provider: app.provider,
        clientId: app.clientId,
        ...(app.scopes ? { scopes: app.scopes } : {}),
        updatedAt: app.updatedAt,
      });
    }
    return out;
  }

  /** Deletes a key of the tenant: it stops working at once. */
  async deleteApiKey(tenantId: string, keyId: string, actor: string): Promise<void> {
    await this.tenants.require(tenantId);
    if (!isId(keyId, 'key')) throw notFound('API key');
    const refKey = apiKeyRefKey(tenantId, keyId);
    const ref = await this.db.get(refKey.pk, refKey.sk);
    if (!ref) throw notFound('API key');
    await this.audited(tenantId, actor, 'api_key.deleted', async () => {
      const hash = readApiKeyHash(ref);
      const lookup = apiKeyKey(hash);
      await this.db.delete(lookup.pk, lookup.sk);
      this.keyChecks.forget(hash);
      await this.db.delete(refKey.pk, refKey.sk);
    });
  }

  /** Sets an active tenant's own OAuth app for a provider; the client secret is sealed. */
  async setApp(
    tenantId: string,
    provider: ProviderName,
    input: { clientId: string; clientSecret: string; scopes?: string[]; optionalScopes?: string[] },
    actor: string,
  ): Promise<TenantApp> {
    await this.tenants.requireActive(tenantId);
    return this.audited(tenantId, actor, `app.${provider}.set`, async () => {
      const updatedAt = this.now().toISOString();
      const clientSecret = await this.vault.seal(tenantId, `app:${provider}`, input.clientSecret);
      await this.db.put(
        tenantAppItem(tenantId, {
          provider,
          clientId: input.clientId,
          clientSecret,
          scopes: input.scopes,
          optionalScopes: input.optionalScopes,
          updatedAt,
        }),
      );
      return {
        provider,
        clientId: input.clientId,
        ...(input.scopes ? { scopes: input.scopes } : {}),
        ...(input.optionalScopes ? { optionalScopes: input.optionalScopes } : {}),
        updatedAt,
      };
    });
  }

  /** Removes the tenant's own app (its new grants use the platform's); `not_found` when it has none. */
  async deleteApp(tenantId: string, provider: ProviderName, actor: string): Promise<void> {
    await this.tenants.require(tenantId);
    const { pk, sk } = tenantAppKey(tenantId, provider);
    await this.audited(tenantId, actor, `app.${provider}.deleted`, async () => {
      if ((await this.db.delete(pk, sk)) === undefined) throw notFound('App');
    });
  }

  /** Webhook secrets are sealed under the system key, so the tenant's last event can still be signed after revocation. */
  private async sealWebhookSecret(tenantId: string, secret: string): Promise<string> {
    await ensureSystemKey(this.db, this.vault);
    return this.vault.seal(systemTenant, `webhook-secret:${tenantId}`, secret);
  }

  /** A new webhook signing secret; the old one stops signing at once. */
  async rotateWebhookSecret(tenantId: string, actor: string): Promise<string> {
    await this.tenants.requireActive(tenantId);
    return this.audited(tenantId, actor, 'webhook_secret.rotated', async () => {
      const secret = newWebhookSecret();
      await this.tenants.updateTenant(tenantId, {
        webhookSecret: await this.sealWebhookSecret(tenantId, secret),
        updatedAt: this.now().toISOString(),
      });
      return secret;
    });
  }
}

/** Standard Webhooks secrets: `whsec_` + base64 of 32 random bytes. */
function newWebhookSecret(): string {
  return `whsec_${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64')}`;
}
