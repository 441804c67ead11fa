import { type ProviderName, providerNames } from '../config.js';
import { sha256Hex } from '../ids.js';
import type { Item } from './db.js';
import { fields } from './fields.js';

/**
 * Every kind of item in the one table (docs/design.md, "Storage"): its key builders, its type,
 * and the one place it is written (`…Item`) and read back (`read…`). Attribute names and key
 * shapes are the stored format: changing one strands existing data.
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

// ---- connect session (SESSION#<sid> / SESSION) ------------------------------------------------

export const sessionKey = (sid: string): Key => ({ pk: `SESSION#${sid}`, sk: 'SESSION' });

export const sessionStatuses = ['pending', 'completed', 'failed'] as const;

export type SessionRecord = {
  id: string;
  tenantId: string;
  provider: ProviderName;
  endUserId: string;
  returnUrl?: string;
  scopes?: string[];
  status: (typeof sessionStatuses)[number];
  /** Epoch milliseconds. */
  expiresAt: number;
  /** Epoch seconds, for DynamoDB's TTL (lazy: every read checks `expiresAt`). */
  ttl: number;
  version: number;
  /** SHA-256 of the single-use state of the latest authorize attempt. */
  stateHash?: string;
  /** SHA-256 of the browser-binding cookie (browser flows). */
  bindingHash?: string;
  /** The PKCE verifier, sealed (record id `session:<sid>`). */
  verifier?: string;
  mode?: 'browser' | 'headless';
  redirectUri?: string;
  appClientId?: string;
  appSource?: 'platform' | 'tenant';
  completedAt?: number;
  connectionId?: string;
  error?: string;
  /** SHA-256 of the single-use code handed to the browser when the flow completed. */
  connectCodeHash?: string;
  /** Epoch milliseconds: the code, and a pending connection, last until then. */
  connectCodeUntil?: number;
  /** Epoch milliseconds: when the tenant's backend confirmed the connection with the code. */
  confirmedAt?: number;
};

/** The attributes of a session update (`undefined` removes one). */
export type SessionChanges = Partial<Omit<SessionRecord, 'id' | 'tenantId' | 'provider'>>;

/**
 * A tenant's sessions in the listing index, ordered by when their `ttl` falls due: the local purge
 * (the embedded store has no TTL) and tenant revocation find them without a scan.
 */
export const sessionIndexPk = (tenantId: string) => `SESSION#${tenantId}`;
const sessionIndexSk = (s: SessionRecord) => `${new Date(s.ttl * 1000).toISOString()}#${s.id}`;

export function sessionItem(s: SessionRecord): Item {
  return {
    ...sessionKey(s.id),
    type: 'session',
    ...s,
    gsi2pk: sessionIndexPk(s.tenantId),
    gsi2sk: sessionIndexSk(s),
  };
}

export function readSession(item: Item): SessionRecord {
  const f = fields(item, 'connect session');
  return {
    id: f.string('id'),
    tenantId: f.string('tenantId'),
    provider: f.oneOf('provider', providerNames),
    endUserId: f.string('endUserId'),
    returnUrl: f.optionalString('returnUrl'),
    scopes: f.optionalStrings('scopes'),
    status: f.oneOf('status', sessionStatuses),
    expiresAt: f.number('expiresAt'),
    ttl: f.number('ttl'),
    version: f.number('version'),
    stateHash: f.optionalString('stateHash'),
    bindingHash: f.optionalString('bindingHash'),
    verifier: f.optionalString('verifier'),
    mode: f.optionalOneOf('mode', ['browser', 'headless'] as const),
    redirectUri: f.optionalString('redirectUri'),
    appClientId: f.optionalString('appClientId'),
    appSource: f.optionalOneOf('appSource', ['platform', 'tenant'] as const),
    completedAt: f.optionalNumber('completedAt'),
    connectionId: f.optionalString('connectionId'),
    error: f.optionalString('error'),
    connectCodeHash: f.optionalString('connectCodeHash'),
    connectCodeUntil: f.optionalNumber('connectCodeUntil'),
    confirmedAt: f.optionalNumber('confirmedAt'),
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

// ---- tenant revocation job (TENANT#<tid> / REVOCATION; failures TENANT#<tid> / REVOKE_FAILED#<cid>) --

export const revocationKey = (tenantId: string): Key => ({ pk: tenantPk(tenantId), sk: 'REVOCATION' });
/** The `list` index partition of the jobs still running, so any worker finds them. */
export const runningRevocationsPk = 'REVOKING';
export const revokeFailedPrefix = 'REVOKE_FAILED#';
export const revokeFailedKey = (tenantId: string, connectionId: string): Key => ({
  pk: tenantPk(tenantId),
  sk: `${revokeFailedPrefix}${connectionId}`,
});
/** A connect session's entry in its tenant's partition, so revocation finds and deletes it. */
export const sessionRefPrefix = 'SESSION#';
export const sessionRefKey = (tenantId: string, sid: string): Key => ({
  pk: tenantPk(tenantId),
  sk: `${sessionRefPrefix}${sid}`,
});

/**
 * A revocation's durable state: every worker can continue it from here. Counts only move in the
 * same conditional write that moves the cursor past the page they count, so a worker killed at
 * any point neither loses nor double-counts a grant.
 */
export type RevocationJobRecord = {
  tenantId: string;
  actor: string;
  /** `running`: grants left; `sweeping`: every grant accounted, one last look pending; `done`: key destroyed. */
  status: 'running' | 'sweeping' | 'done';
  /** ISO-8601, as the API shows it; `startedMs` is the same instant in epoch ms. */
  startedAt: string;
  startedMs: number;
  total: number;
  revoked: number;
  failed: number;
  /** Grants whose last attempt failed and that wait for a retry. */
  retrying: number;
  /** The sort key of the last connection of the partition the current round is past. */
  cursor?: string;
  round: number;
  roundStartedMs: number;
  /** Earliest retry due among the grants the current round passed over or parked (epoch ms). */
  nextRetryAt?: number;
  /** No worker needs to look before this (epoch ms). */
  nextRunAt: number;
  /** The last round must start after this: every process's cached key and refresh lease has expired. */
  sweepAfter: number;
  /** Grants still failing at this point (epoch ms) are given up. */
  giveUpAt: number;
  /** The tenant's wrapped data key, moved here from the tenant item: only the job opens with it. */
  wrappedKey?: Uint8Array;
  /** Outcomes of the page counted last, applied to its items right after (JSON; idempotent). */
  batch?: string;
  leaseOwner?: string;
  leaseUntil?: number;
  version: number;
  finishedAt?: string;
};

export type RevocationJobChanges = Partial<Omit<RevocationJobRecord, 'tenantId'>> & {
  gsi2pk?: string;
  gsi2sk?: string;
};

export function revocationJobItem(j: RevocationJobRecord): Item {
  return {
    ...revocationKey(j.tenantId),
    type: 'revocation',
    ...j,
    ...(j.status !== 'done' ? { gsi2pk: runningRevocationsPk, gsi2sk: `${j.startedAt}#${j.tenantId}` } : {}),
  };
}

export function readRevocationJob(item: Item): RevocationJobRecord {
  const f = fields(item, 'revocation job');
  return {
    tenantId: f.string('tenantId'),
    actor: f.string('actor'),
    status: f.oneOf('status', ['running', 'sweeping', 'done'] as const),
    startedAt: f.string('startedAt'),
    startedMs: f.number('startedMs'),
    total: f.number('total'),
    revoked: f.number('revoked'),
    failed: f.number('failed'),
    retrying: f.number('retrying'),
    cursor: f.optionalString('cursor'),
    round: f.number('round'),
    roundStartedMs: f.number('roundStartedMs'),
    nextRetryAt: f.optionalNumber('nextRetryAt'),
    nextRunAt: f.number('nextRunAt'),
    sweepAfter: f.number('sweepAfter'),
    giveUpAt: f.number('giveUpAt'),
    wrappedKey: f.optionalBytes('wrappedKey'),
    batch: f.optionalString('batch'),
    leaseOwner: f.optionalString('leaseOwner'),
    leaseUntil: f.optionalNumber('leaseUntil'),
    version: f.number('version'),
    finishedAt: f.optionalString('finishedAt'),
  };
}

/** A grant whose provider revocation finally failed: what the failures list shows, no secret. */
export type RevocationFailureRecord = {
  connectionId: string;
  provider: ProviderName;
  endUserId: string;
  attempts: number;
  lastError: string;
};

export function revocationFailureItem(tenantId: string, r: RevocationFailureRecord): Item {
  return { ...revokeFailedKey(tenantId, r.connectionId), type: 'revocation-failure', ...r };
}

export function readRevocationFailure(item: Item): RevocationFailureRecord {
  const f = fields(item, 'revocation failure');
  return {
    connectionId: f.string('connectionId'),
    provider: f.oneOf('provider', providerNames),
    endUserId: f.string('endUserId'),
    attempts: f.number('attempts'),
    lastError: f.string('lastError'),
  };
}

export function sessionRefItem(tenantId: string, sid: string, ttl: number): Item {
  return { ...sessionRefKey(tenantId, sid), type: 'session-ref', ttl };
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

// ---- outbox event (pending: OUTBOX#<shard> / <due ms, padded>#<id>; failed: OUTBOX_DEAD#<tid> / <id>;
//      delivered: OUTBOX_DONE#<tid> / <id>) -------------------------------------------------

export const outboxPk = (shard: number) => `OUTBOX#${shard}`;
export const deadOutboxPk = (tenantId: string) => `OUTBOX_DEAD#${tenantId}`;
export const deliveredOutboxPk = (tenantId: string) => `OUTBOX_DONE#${tenantId}`;
/** Sort keys order by due time: milliseconds padded to 15 digits. */
export const outboxSk = (dueMs: number, id: string) => `${outboxDue(dueMs)}#${id}`;
export const outboxDue = (ms: number) => String(ms).padStart(15, '0');

export const deliveryStatuses = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof deliveryStatuses)[number];

export const deliveriesByStatusPk = (tenantId: string, status: DeliveryStatus) =>
  `DELIVS#${tenantId}#${status}`;
export const deliveriesPk = (tenantId: string) => `DELIV#${tenantId}`;
export const deliveriesByEventPk = (tenantId: string, event: string) => `DELIVE#${tenantId}#${event}`;

export type OutboxRecord = {
  id: string;
  tenantId: string;
  eventType: string;
  /** The JSON body, exactly as signed and sent. */
  payload: string;
  attempts: number;
  /** Epoch milliseconds the delivery window (a day of retries) started: creation, or the last re-queue. */
  firstAt: number;
  /** Epoch milliseconds until which one drainer holds this attempt. */
  claimedUntil?: number;
  status?: DeliveryStatus;
  /** When the event was made (ISO-8601); older items lack it and show `firstAt`. */
  createdAt?: string;
  /** The receiver's HTTP status of the last attempt (absent when it could not be reached). */
  lastStatus?: number;
  lastAttemptAt?: string;
  /** Why the last attempt failed, in a word (`timeout`, `refused_url`, `http_500`, …). */
  lastError?: string;
  /** Epoch seconds (delivered events are kept 30 days). */
  ttl?: number;
};

/** An outbox event as stored: where it is (its key says when it is due) and what it is. */
export type StoredOutboxEvent = Key & OutboxRecord;

/** An outbox event, with its entries in the filter indexes (by status, all of the tenant's, by event). */
export function outboxItem(e: StoredOutboxEvent): Item {
  const status = e.status ?? 'pending';
  const created = e.createdAt ?? new Date(e.firstAt).toISOString();
  const sk = `${created}#${e.id}`;
  return {
    type: 'webhook',
    ...e,
    status,
    createdAt: created,
    gsi3pk: deliveriesByStatusPk(e.tenantId, status),
    gsi3sk: sk,
    gsi4pk: deliveriesPk(e.tenantId),
    gsi4sk: sk,
    gsi5pk: deliveriesByEventPk(e.tenantId, e.eventType),
    gsi5sk: sk,
  };
}

export function readOutbox(item: Item): StoredOutboxEvent {
  const f = fields(item, 'outbox event');
  return {
    ...keyOf(item),
    id: f.string('id'),
    tenantId: f.string('tenantId'),
    eventType: f.string('eventType'),
    payload: f.string('payload'),
    attempts: f.number('attempts'),
    firstAt: f.number('firstAt'),
    claimedUntil: f.optionalNumber('claimedUntil'),
    status: f.optionalOneOf('status', deliveryStatuses),
    createdAt: f.optionalString('createdAt'),
    lastStatus: f.optionalNumber('lastStatus'),
    lastAttemptAt: f.optionalString('lastAttemptAt'),
    lastError: f.optionalString('lastError'),
    ttl: f.optionalNumber('ttl'),
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

// ---- the connect-link signing key (SYSTEM / SIGNING_KEY) ------------------------------------

export const signingKeyKey: Key = { pk: 'SYSTEM', sk: 'SIGNING_KEY' };

/** The signing key, sealed under the system tenant's key (record id `signing-key`). */
export function signingKeyItem(sealed: string): Item {
  return { ...signingKeyKey, sealed };
}

export function readSigningKey(item: Item): string {
  return fields(item, 'signing key').string('sealed');
}
