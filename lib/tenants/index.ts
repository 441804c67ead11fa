import type { ProviderName } from '../config.js';
import { conflict, invalidRequest, notFound } from '../errors.js';
import { isId, newId, newSecret, sha256Hex } from '../ids.js';
import { ConditionFailed, type Db, decodeCursor, encodeCursor, type Item } from '../store/db.js';
import type { Vault } from '../vault/index.js';
import { ensureSystemKey, systemTenant } from './system.js';

export interface Tenant {
  id: string;
  name: string;
  status: 'active' | 'revoked';
  returnUrls: string[];
  webhookUrl?: string;
  createdAt: string;
  updatedAt: string;
}

export interface TenantApp {
  provider: ProviderName;
  clientId: string;
  scopes?: string[];
  updatedAt: string;
}

export const tenantPk = (tenantId: string) => `TENANT#${tenantId}`;
const apiKeyPk = (hash: string) => `APIKEY#${hash}`;

export interface TenantsDeps {
  db: Db;
  vault: Vault;
  now?: () => Date;
}

function toTenant(item: Item): Tenant {
  return {
    id: item.id as string,
    name: item.name as string,
    status: item.status as Tenant['status'],
    returnUrls: (item.returnUrls as string[] | undefined) ?? [],
    ...(item.webhookUrl ? { webhookUrl: item.webhookUrl as string } : {}),
    createdAt: item.createdAt as string,
    updatedAt: item.updatedAt as string,
  };
}

/**
 * Tenants, their API keys and their own OAuth apps. API keys are shown once and stored only as
 * a SHA-256 hash (a 256-bit random key needs no slow hash); one GetItem authenticates a request.
 */
export class Tenants {
  private readonly db: Db;
  private readonly vault: Vault;
  private readonly now: () => Date;

  constructor(deps: TenantsDeps) {
    this.db = deps.db;
    this.vault = deps.vault;
    this.now = deps.now ?? (() => new Date());
  }

  async create(input: { name: string; returnUrls?: string[]; webhookUrl?: string }): Promise<{
    tenant: Tenant;
    apiKey: string;
    apiKeyId: string;
    webhookSecret: string;
  }> {
    const id = newId('ten');
    const at = this.now().toISOString();
    const wrappedKey = await this.vault.createTenantKey(id);
    const webhookSecret = newWebhookSecret();
    const item: Item = {
      pk: tenantPk(id),
      sk: 'META',
      type: 'tenant',
      id,
      name: input.name,
      status: 'active',
      returnUrls: input.returnUrls ?? [],
      webhookUrl: input.webhookUrl,
      createdAt: at,
      updatedAt: at,
      wrappedKey,
      version: 1,
      gsi2pk: 'TENANT',
      gsi2sk: `${at}#${id}`,
    };
    // The tenant item must exist (holding the wrapped key) before anything is sealed under it.
    await this.db.put(item, { ifNotExists: true });
    await this.db.update(tenantPk(id), 'META', {
      webhookSecret: await this.sealWebhookSecret(id, webhookSecret),
    });
    const { id: apiKeyId, apiKey } = await this.createApiKey(id);
    return { tenant: toTenant(item), apiKey, apiKeyId, webhookSecret };
  }

  /** The tenant, or `undefined` for a malformed or unknown id. */
  async get(tenantId: string): Promise<Tenant | undefined> {
    const item = await this.getItem(tenantId);
    return item ? toTenant(item) : undefined;
  }

  async getItem(tenantId: string): Promise<Item | undefined> {
    if (!isId(tenantId, 'ten')) return undefined;
    return this.db.get(tenantPk(tenantId), 'META');
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
    return { tenants: page.items.map(toTenant), nextCursor: encodeCursor(page.lastKey) };
  }

  async patch(
    tenantId: string,
    input: { name?: string; returnUrls?: string[]; webhookUrl?: string | null },
  ): Promise<Tenant> {
    const current = await this.getItem(tenantId);
    if (!current) throw notFound('Tenant');
    if (current.status !== 'active') throw conflict('The tenant is revoked.');
    const set: Item = { updatedAt: this.now().toISOString(), version: (current.version as number) + 1 };
    if (input.name !== undefined) set.name = input.name;
    if (input.returnUrls !== undefined) set.returnUrls = input.returnUrls;
    if (input.webhookUrl !== undefined) set.webhookUrl = input.webhookUrl ?? undefined;
    try {
      const item = await this.db.update(tenantPk(tenantId), 'META', set, {
        expression: '#v = :v AND #s = :active',
        names: { '#v': 'version', '#s': 'status' },
        values: { ':v': current.version, ':active': 'active' },
      });
      return toTenant(item);
    } catch (err) {
      if (err instanceof ConditionFailed) throw conflict('The tenant changed meanwhile; retry.');
      throw err;
    }
  }

  /** A new API key for the tenant: returned once, stored as a hash. */
  async createApiKey(tenantId: string): Promise<{ id: string; apiKey: string }> {
    const id = newId('key');
    const apiKey = newSecret('ptk');
    const hash = sha256Hex(apiKey);
    const at = this.now().toISOString();
    // The tenant's own index of its keys first, so revocation always finds every lookup item.
    await this.db.put({
      pk: tenantPk(tenantId),
      sk: `KEY#${id}`,
      type: 'apikey-ref',
      id,
      hash,
      createdAt: at,
    });
    await this.db.put({
      pk: apiKeyPk(hash),
      sk: 'APIKEY',
      type: 'apikey',
      tenantId,
      keyId: id,
      createdAt: at,
    });
    return { id, apiKey };
  }

  async deleteApiKey(tenantId: string, keyId: string): Promise<void> {
    if (!isId(keyId, 'key')) throw notFound('API key');
    const ref = await this.db.get(tenantPk(tenantId), `KEY#${keyId}`);
    if (!ref) throw notFound('API key');
    await this.db.delete(apiKeyPk(ref.hash as string), 'APIKEY');
    await this.db.delete(tenantPk(tenantId), `KEY#${keyId}`);
  }

  /**
   * The tenant and key a bearer key belongs to, or `undefined`. One strongly consistent GetItem:
   * a key deleted a moment ago in another process must not work, nor a new one fail.
   */
  async authenticate(apiKey: string): Promise<{ tenantId: string; keyId: string } | undefined> {
    if (!apiKey.startsWith('ptk_') || apiKey.length > 200) return undefined;
    const item = await this.db.get(apiKeyPk(sha256Hex(apiKey)), 'APIKEY');
    return item ? { tenantId: item.tenantId as string, keyId: item.keyId as string } : undefined;
  }

  /** Sets the tenant's own OAuth app for a provider; the client secret is sealed. */
  async setApp(
    tenantId: string,
    provider: ProviderName,
    input: { clientId: string; clientSecret: string; scopes?: string[] },
  ): Promise<TenantApp> {
    const recordId = `app:${provider}`;
    const at = this.now().toISOString();
    const sealed = await this.vault.seal(tenantId, recordId, input.clientSecret);
    await this.db.put({
      pk: tenantPk(tenantId),
      sk: `APP#${provider}`,
      type: 'app',
      provider,
      clientId: input.clientId,
      clientSecret: sealed,
      scopes: input.scopes,
      updatedAt: at,
    });
    return {
      provider,
      clientId: input.clientId,
      ...(input.scopes ? { scopes: input.scopes } : {}),
      updatedAt: at,
    };
  }

  async deleteApp(tenantId: string, provider: ProviderName): Promise<boolean> {
    const old = await this.db.delete(tenantPk(tenantId), `APP#${provider}`);
    return old !== undefined;
  }

  /** The tenant's own app with its secret opened, or `undefined` (the platform app applies). */
  async getApp(
    tenantId: string,
    provider: ProviderName,
  ): Promise<{ clientId: string; clientSecret: string; scopes?: string[] } | undefined> {
    const item = await this.db.get(tenantPk(tenantId), `APP#${provider}`);
    if (!item) return undefined;
    return {
      clientId: item.clientId as string,
      clientSecret: await this.vault.openString(tenantId, `app:${provider}`, item.clientSecret as string),
      scopes: item.scopes as string[] | undefined,
    };
  }

  /** Webhook secrets are sealed under the system key, so the tenant's last event can still be signed after revocation. */
  private async sealWebhookSecret(tenantId: string, secret: string): Promise<string> {
    await ensureSystemKey(this.db, this.vault);
    return this.vault.seal(systemTenant, `webhook-secret:${tenantId}`, secret);
  }

  /** The tenant's webhook signing secret (`whsec_…`). */
  async webhookSecret(tenantId: string): Promise<string | undefined> {
    const item = await this.getItem(tenantId);
    if (!item?.webhookSecret) return undefined;
    return this.vault.openString(systemTenant, `webhook-secret:${tenantId}`, item.webhookSecret as string);
  }

  /** A new webhook signing secret; the old one stops signing at once. */
  async rotateWebhookSecret(tenantId: string): Promise<string> {
    await this.requireActive(tenantId);
    const secret = newWebhookSecret();
    await this.db.update(tenantPk(tenantId), 'META', {
      webhookSecret: await this.sealWebhookSecret(tenantId, secret),
      updatedAt: this.now().toISOString(),
    });
    return secret;
  }
}

/** Standard Webhooks secrets: `whsec_` + base64 of 32 random bytes. */
function newWebhookSecret(): string {
  return `whsec_${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64')}`;
}
