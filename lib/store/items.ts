import { type ProviderName, providerNames } from '../config.js';
import { sha256Hex } from '../ids.js';
import type { Item } from './db.js';
import { fields } from './fields.js';

/**
 * The kinds of item in the one table (docs/design.md, "Storage") that a cold start reads or
 * writes: each one's key builders, its type, and the one place it is written (`…Item`) and read
 * back (`read…`). The kinds only the connect flow, tenant revocation and the webhook outbox use
 * are in ./oauth-items.ts, ./revocation-items.ts and ./outbox-items.ts, loaded with those
 * services. Attribute names and key shapes are the stored format: changing one strands existing
 * data.
 */

/** A stored item's key. */
export interface Key {
  pk: string;
  sk: string;
}

/** The key of any item, as a query answered it. */
export function keyOf(item: Item): Key {
  const f = fields(item, 'table');
  return { pk: f.string('pk'), sk: f.string('sk') };
}

// ---- tenant (TENANT#<tid> / META) ---------------------------------------------------------

export const tenantPk = (tenantId: string) => `TENANT#${tenantId}`;
export const tenantKey = (tenantId: string): Key => ({ pk: tenantPk(tenantId), sk: 'META' });

export const tenantStatuses = ['active', 'revoking', 'revoked'] as const;
export type TenantStatus = (typeof tenantStatuses)[number];

/** What a tenant's revocation has done so far (kept on the tombstone). */
export type RevocationCounts = { revoked: number; failed: number };

export type TenantRecord = {
  id: string;
  name: string;
  status: TenantStatus;
  returnUrls: string[];
  webhookUrl?: string;
  /** New browser connections stay `pending` until the tenant's backend confirms them (issue 14). */
  requireConfirmation?: boolean;
  createdAt: string;
  updatedAt: string;
  version: number;
  /** The tenant's data key, wrapped by the master key; deleted when the tenant is crypto-shredded. */
  wrappedKey?: Uint8Array;
  /** Sealed under the system key. */
  webhookSecret?: string;
  revocation?: RevocationCounts;
  revokedAt?: string;
};

/** The attributes of a tenant update (`undefined` removes one). */
export type TenantChanges = Partial<Omit<TenantRecord, 'id' | 'createdAt'>> & { gsi2pk?: string };

export function tenantItem(t: TenantRecord): Item {
  return { ...tenantKey(t.id), type: 'tenant', ...t, gsi2pk: 'TENANT', gsi2sk: `${t.createdAt}#${t.id}` };
}

export function readTenant(item: Item): TenantRecord {
  const f = fields(item, 'tenant');
  const revocation = f.optionalObject('revocation');
  const counts = revocation && fields(revocation, 'tenant revocation');
  return {
    id: f.string('id'),
    name: f.string('name'),
    status: f.oneOf('status', tenantStatuses),
    returnUrls: f.optionalStrings('returnUrls') ?? [],
    webhookUrl: f.optionalString('webhookUrl'),
    requireConfirmation: f.optionalBoolean('requireConfirmation'),
    createdAt: f.string('createdAt'),
    updatedAt: f.string('updatedAt'),
    version: f.number('version'),
    wrappedKey: f.optionalBytes('wrappedKey'),
    webhookSecret: f.optionalString('webhookSecret'),
    revocation: counts && { revoked: counts.number('revoked'), failed: counts.number('failed') },
    revokedAt: f.optionalString('revokedAt'),
  };
}

/** The wrapped data key of a tenant item or of the system pseudo-tenant's item. */
export function readWrappedKey(item: Item): Uint8Array | undefined {
  return fields(item, 'tenant').optionalBytes('wrappedKey');
}

/** The system pseudo-tenant's item: only its wrapped data key. */
export function systemKeyItem(tenantId: string, wrappedKey: Uint8Array): Item {
  return { ...tenantKey(tenantId), type: 'system', wrappedKey };
}

// ---- API keys (APIKEY#<sha256(key)> / APIKEY, and the tenant's index TENANT#<tid> / KEY#<id>) --

export const apiKeyKey = (hash: string): Key => ({ pk: `APIKEY#${hash}`, sk: 'APIKEY' });
export const apiKeyRefKey = (tenantId: string, keyId: string): Key => ({
  pk: tenantPk(tenantId),
  sk: `KEY#${keyId}`,
});
export const apiKeyRefPrefix = 'KEY#';

export type ApiKeyRecord = { tenantId: string; keyId: string; createdAt: string };
/** The tenant's own index entry of one of its keys, so revocation finds every lookup item. */
export type ApiKeyRefRecord = { tenantId: string; id: string; hash: string; createdAt: string };

export function apiKeyItem(hash: string, k: ApiKeyRecord): Item {
  return { ...apiKeyKey(hash), type: 'apikey', ...k };
}

export function readApiKey(item: Item): ApiKeyRecord {
  const f = fields(item, 'API key');
  return { tenantId: f.string('tenantId'), keyId: f.string('keyId'), createdAt: f.string('createdAt') };
}

export function apiKeyRefItem(r: ApiKeyRefRecord): Item {
  return {
    ...apiKeyRefKey(r.tenantId, r.id),
    type: 'apikey-ref',
    id: r.id,
    hash: r.hash,
    createdAt: r.createdAt,
  };
}

export function readApiKeyRef(item: Item): Omit<ApiKeyRefRecord, 'tenantId'> {
  const f = fields(item, 'API key reference');
  return { id: f.string('id'), hash: f.string('hash'), createdAt: f.string('createdAt') };
}

export function readApiKeyHash(item: Item): string {
  return fields(item, 'API key reference').string('hash');
}

// ---- tenant app (TENANT#<tid> / APP#<provider>) -----------------------------------------------

export const tenantAppPrefix = 'APP#';
export const tenantAppKey = (tenantId: string, provider: string): Key => ({
  pk: tenantPk(tenantId),
  sk: `${tenantAppPrefix}${provider}`,
});

export type TenantAppRecord = {
  provider: ProviderName;
  clientId: string;
  /** Sealed under the tenant key (record id `app:<provider>`). */
  clientSecret: string;
  scopes?: string[];
  /** Scopes the user may decline (HubSpot's `optional_scope`). */
  optionalScopes?: string[];
  updatedAt: string;
};

export function tenantAppItem(tenantId: string, a: TenantAppRecord): Item {
  return { ...tenantAppKey(tenantId, a.provider), type: 'app', ...a };
}

export function readTenantApp(item: Item): TenantAppRecord {
  const f = fields(item, 'tenant app');
  return {
    provider: f.oneOf('provider', providerNames),
    clientId: f.string('clientId'),
    clientSecret: f.string('clientSecret'),
    scopes: f.optionalStrings('scopes'),
    optionalScopes: f.optionalStrings('optionalScopes'),
    updatedAt: f.string('updatedAt'),
  };
}

// ---- connection (TENANT#<tid> / CONN#<cid>, and its account index CONNKEY#…) -------------------

export const connPrefix = 'CONN#';
export const connSk = (id: string) => `${connPrefix}${id}`;
export const connKey = (tenantId: string, id: string): Key => ({ pk: tenantPk(tenantId), sk: connSk(id) });
/** One end user's connection to one provider account: found again when they connect again. */
export const connKeySk = (provider: string, accountId: string, endUserHash: string) =>
  `CONNKEY#${provider}#${accountId}#${endUserHash}`;

/** The due-refresh index (`due`): `DUE#<shard>` / `<due ISO>#<tenant>#<connection>`. */
export const dueIndexPk = (shard: number) => `DUE#${shard}`;
export const dueIndexSk = (dueAt: string, tenantId: string, id: string) => `${dueAt}#${tenantId}#${id}`;

/** The tenant and connection a due-index entry points at, or `undefined` for a foreign one. */
export function readDueEntry(item: Item): { tenantId: string; id: string } | undefined {
  const [, tenantId, id] = String(item.gsi1sk).split('#');
  return tenantId && id ? { tenantId, id } : undefined;
}

export const connectionStatuses = ['active', 'needs_reauth', 'pending'] as const;
export type ConnectionStatus = (typeof connectionStatuses)[number];

/** The last refresh failure of a connection (cleared by a successful refresh). */
export type ConnectionError = { code: string; detail: string; at: string };

export type ConnectionRecord = {
  id: string;
  tenantId: string;
  provider: ProviderName;
  endUserId: string;
  authScheme: 'oauth2' | 'private_app';
  status: ConnectionStatus;
  accountId: string;
  accountName?: string;
  /** HubSpot's data centre of the account (`na1`, `eu1`, …), as introspection reported it. */
  hublet?: string;
  /** Dropbox team spaces: the root namespace every call names in `Dropbox-API-Path-Root`. */
  rootNamespaceId?: string;
  scopes?: string[];
  /** When the current access token expires (ISO-8601). */
  expiresAt?: string;
  /** The sealed credentials (AAD: tenant + connection id). */
  credentials: string;
  /** The sort key of its account index item. */
  keySk?: string;
  createdAt: string;
  updatedAt: string;
  version: number;
  leaseOwner?: string;
  /** Epoch milliseconds. */
  leaseUntil?: number;
  gsi1pk?: string;
  gsi1sk?: string;
  /** Tenant revocation: provider revocations tried and failed so far, the last error, the next try (epoch ms). */
  revokeAttempts?: number;
  revokeError?: string;
  revokeRetryAt?: number;
  /** When the access token was last refreshed (ISO-8601). */
  lastRefreshedAt?: string;
  /** When a token or data call last used the connection (ISO-8601, written at most once a minute). */
  lastUsedAt?: string;
  lastError?: ConnectionError;
  /** Consecutive failed refreshes (0 after a success). */
  refreshFailures?: number;
  /** Pending only: epoch milliseconds after which the unconfirmed connection is void. */
  pendingUntil?: number;
  /** Pending only: the due-index keys it takes once confirmed (the sweep never sees it before). */
  pendingGsi1pk?: string;
  pendingGsi1sk?: string;
  /** Pending only: epoch seconds, for DynamoDB's TTL to delete it unconfirmed. */
  ttl?: number;
};

/** The attributes of a connection update (`undefined` removes one). */
export type ConnectionChanges = Partial<
  Omit<ConnectionRecord, 'id' | 'tenantId' | 'provider' | 'endUserId' | 'createdAt'>
>;

export function connectionItem(c: ConnectionRecord): Item {
  return { ...connKey(c.tenantId, c.id), type: 'connection', ...c, ...connectionFilterKeys(c) };
}

/**
 * A connection's entries in the filter indexes (lib/store/table.ts): by provider (then status),
 * by status, by end user (then provider and status). Written with every change of its status.
 */
export function connectionFilterKeys(
  c: Pick<ConnectionRecord, 'tenantId' | 'id' | 'provider' | 'status' | 'endUserId' | 'createdAt'>,
): Record<'gsi3pk' | 'gsi3sk' | 'gsi4pk' | 'gsi4sk' | 'gsi5pk' | 'gsi5sk', string> {
  const tail = `${c.createdAt}#${c.id}`;
  return {
    gsi3pk: connByProviderPk(c.tenantId, c.provider),
    gsi3sk: `${c.status}#${tail}`,
    gsi4pk: connByStatusPk(c.tenantId, c.status),
    gsi4sk: tail,
    gsi5pk: connByEndUserPk(c.tenantId, c.endUserId),
    gsi5sk: `${c.provider}#${c.status}#${tail}`,
  };
}
export const connByProviderPk = (tenantId: string, provider: string) => `CONNP#${tenantId}#${provider}`;
export const connByStatusPk = (tenantId: string, status: string) => `CONNS#${tenantId}#${status}`;
export const connByEndUserPk = (tenantId: string, endUserId: string) =>
  `CONNU#${tenantId}#${sha256Hex(endUserId)}`;

/** True for a connection item among a tenant partition's other items. */
export const isConnectionItem = (item: Item) => item.type === 'connection';

export function readConnection(item: Item): ConnectionRecord {
  const f = fields(item, 'connection');
  return {
    id: f.string('id'),
    tenantId: f.string('tenantId'),
    provider: f.oneOf('provider', providerNames),
    endUserId: f.string('endUserId'),
    authScheme: f.oneOf('authScheme', ['oauth2', 'private_app'] as const),
    status: f.oneOf('status', connectionStatuses),
    accountId: f.string('accountId'),
    accountName: f.optionalString('accountName'),
    hublet: f.optionalString('hublet'),
    rootNamespaceId: f.optionalString('rootNamespaceId'),
    scopes: f.optionalStrings('scopes'),
    expiresAt: f.optionalString('expiresAt'),
    credentials: f.string('credentials'),
    keySk: f.optionalString('keySk'),
    createdAt: f.string('createdAt'),
    updatedAt: f.string('updatedAt'),
    version: f.number('version'),
    leaseOwner: f.optionalString('leaseOwner'),
    leaseUntil: f.optionalNumber('leaseUntil'),
    gsi1pk: f.optionalString('gsi1pk'),
    gsi1sk: f.optionalString('gsi1sk'),
    revokeAttempts: f.optionalNumber('revokeAttempts'),
    revokeError: f.optionalString('revokeError'),
    revokeRetryAt: f.optionalNumber('revokeRetryAt'),
    lastRefreshedAt: f.optionalString('lastRefreshedAt'),
    lastUsedAt: f.optionalString('lastUsedAt'),
    lastError: readConnectionError(f.optionalObject('lastError')),
    refreshFailures: f.optionalNumber('refreshFailures'),
    pendingUntil: f.optionalNumber('pendingUntil'),
    pendingGsi1pk: f.optionalString('pendingGsi1pk'),
    pendingGsi1sk: f.optionalString('pendingGsi1sk'),
    ttl: f.optionalNumber('ttl'),
  };
}

function readConnectionError(item: Item | undefined): ConnectionError | undefined {
  if (!item) return undefined;
  const f = fields(item, 'connection error');
  return { code: f.string('code'), detail: f.string('detail'), at: f.string('at') };
}

export function connectionIndexItem(tenantId: string, keySk: string, connectionId: string): Item {
  return { pk: tenantPk(tenantId), sk: keySk, type: 'connkey', connectionId };
}

export function readConnectionIndex(item: Item): string {
  return fields(item, 'connection index').string('connectionId');
}

// ---- audit event (AUDIT#<tid> / <at>#<id>) --------------------------------------------------

export const auditPk = (tenantId: string) => `AUDIT#${tenantId}`;

export type AuditRecord = {
  id: string;
  at: string;
  actor: string;
  action: string;
  tenantId: string;
  connectionId?: string;
  outcome: 'success' | 'failure';
  detail?: string;
};

export const auditSk = (at: string, id: string) => `${at}#${id}`;
export const auditByConnectionPk = (tenantId: string, connectionId: string) =>
  `AUDITC#${tenantId}#${connectionId}`;
export const auditByActionPk = (tenantId: string, action: string) => `AUDITA#${tenantId}#${action}`;
export const auditByOutcomePk = (tenantId: string, outcome: string) => `AUDITO#${tenantId}#${outcome}`;

/** An audit event, with its entries in the filter indexes (by connection when it has one, action, outcome). */
export function auditItem(e: AuditRecord, ttl: number): Item {
  const sk = auditSk(e.at, e.id);
  return {
    pk: auditPk(e.tenantId),
    sk,
    type: 'audit',
    ...e,
    ttl,
    ...(e.connectionId ? { gsi3pk: auditByConnectionPk(e.tenantId, e.connectionId), gsi3sk: sk } : {}),
    gsi4pk: auditByActionPk(e.tenantId, e.action),
    gsi4sk: sk,
    gsi5pk: auditByOutcomePk(e.tenantId, e.outcome),
    gsi5sk: sk,
  };
}

export function readAudit(item: Item): AuditRecord {
  const f = fields(item, 'audit event');
  return {
    id: f.string('id'),
    at: f.string('at'),
    actor: f.string('actor'),
    action: f.string('action'),
    tenantId: f.string('tenantId'),
    connectionId: f.optionalString('connectionId'),
    outcome: f.oneOf('outcome', ['success', 'failure'] as const),
    detail: f.optionalString('detail'),
  };
}

// ---- stats counters (STATS#<tid or ALL> / H#<hour> | D#<day>, and / CONNECTIONS) ---------------

export const statsPk = (scope: string) => `STATS#${scope}`;
/** The scope of the counters of every tenant together. */
export const allTenantsScope = 'ALL';
export const statsBucketSk = (bucket: 'hour' | 'day', start: string) =>
  `${bucket === 'hour' ? 'H' : 'D'}#${start}`;
export const connectionCountsSk = 'CONNECTIONS';

export const counterNames = [
  'refreshes',
  'refreshFailures',
  'tokenReads',
  'dataCalls',
  'providerErrors',
] as const;
export type CounterName = (typeof counterNames)[number];

/** One bucket's counters (absent ones are zero). */
export function readCounters(item: Item): Record<CounterName, number> {
  const f = fields(item, 'stats bucket');
  const out = {} as Record<CounterName, number>;
  for (const name of counterNames) out[name] = f.optionalNumber(name) ?? 0;
  return out;
}

/** Connection counts by `<provider>.<status>` attribute. */
export function readConnectionCounts(item: Item | undefined): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const [k, v] of Object.entries(item ?? {})) {
    const m = /^(\w+)\.(\w+)$/.exec(k);
    if (!m || typeof v !== 'number') continue;
    out[m[1]] ??= {};
    out[m[1]][m[2]] = Math.max(0, v);
  }
  return out;
}
