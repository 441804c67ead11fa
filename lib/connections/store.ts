import { createHash } from 'node:crypto';
import type { Audit } from '../audit/index.js';
import type { ProviderName } from '../config.js';
import { invalidRequest, notFound, VaultError } from '../errors.js';
import { isId } from '../ids.js';
import type { Metrics } from '../metrics.js';
import type { Account, OAuthClients } from '../providers/index.js';
import type { Stats } from '../stats/index.js';
import { type Condition, type Db, decodeCursor, encodeCursor, type QueryOptions } from '../store/db.js';
import {
  type ConnectionChanges,
  type ConnectionRecord,
  type ConnectionStatus,
  connByEndUserPk,
  connByProviderPk,
  connByStatusPk,
  connectionFilterKeys,
  connKey,
  connPrefix,
  dueIndexPk,
  dueIndexSk,
  readConnection,
  tenantPk,
} from '../store/items.js';
import { dueShards, filterIndexAttributes, keys } from '../store/table.js';
import type { Vault } from '../vault/index.js';
import type { RecentConnections } from './cache.js';
import type { EventSink, EventType } from './events.js';
import {
  type Connection,
  type GrantApp,
  lastUsedGranularityMs,
  type SealedCredentials,
  sweepLeadMs,
  toConnection,
} from './model.js';

export interface ConnectionStoreDeps {
  db: Db;
  vault: Vault;
  audit: Audit;
  events: EventSink;
  providers: OAuthClients;
  grantApp: GrantApp;
  cache: RecentConnections;
  stats: ConnectionStats;
  metrics: Metrics;
  now: () => number;
}

/** What connections tell the stats (lib/stats): counters, and moves between provider/status counts. */
export type ConnectionStats = Pick<Stats, 'count' | 'connectionMoved'>;

/** The filters of a connection list; each combination is answered from one index (see {@link ConnectionStore.list}). */
export interface ConnectionFilter {
  provider?: ProviderName;
  endUserId?: string;
  status?: ConnectionStatus;
  limit: number;
  cursor?: string;
}

/** A fresh grant to store for an end user. */
export interface NewGrant {
  tenantId: string;
  provider: ProviderName;
  endUserId: string;
  account: Account;
  authScheme: 'oauth2' | 'private_app';
  credentials: SealedCredentials;
  scopes: string[];
  expiresAt?: string;
  /** When the grant was last refreshed (an import is checked by refreshing it). */
  refreshedAt?: string;
  actor: string;
  /**
   * Epoch milliseconds: store a new connection `pending` until then (a tenant that requires
   * confirmation). A pending connection has no due-index keys (the sweep never refreshes it),
   * is never served, and is void after this time.
   */
  pendingUntil?: number;
}

/**
 * Saving, reading, listing and deleting connections, each sealed under its tenant's key. Every
 * write that can race is conditional on the item's `version`; every write of this process drops
 * its copy from the read cache; every change is audited and emitted as an event.
 */
export class ConnectionStore {
  /** Connections whose `lastUsedAt` this process is writing now. */
  private readonly touching = new Set<string>();
  constructor(private readonly deps: ConnectionStoreDeps) {}

  /** A pending connection past its confirmation time: as if it did not exist. */
  voided(c: ConnectionRecord): boolean {
    return c.status === 'pending' && (c.pendingUntil ?? 0) < this.deps.now();
  }

  /** The stored connection, or `undefined` when there is none. Always a strongly consistent read. */
  async find(tenantId: string, id: string): Promise<ConnectionRecord | undefined> {
    const { pk, sk } = connKey(tenantId, id);
    const item = await this.deps.db.get(pk, sk);
    return item ? readConnection(item) : undefined;
  }

  /** The stored connection of this tenant; `not_found` for a malformed, unknown or foreign id. */
  async getItem(tenantId: string, id: string): Promise<ConnectionRecord> {
    if (!isId(id, 'conn')) throw notFound('Connection');
    const found = await this.find(tenantId, id);
    if (!found || this.voided(found)) throw notFound('Connection');
    return found;
  }

  async get(tenantId: string, id: string): Promise<Connection> {
    return toConnection(await this.getItem(tenantId, id));
  }

  /**
   * A page of the tenant's connections, newest first where an index answers it. Each filter
   * reads only what it answers: `endUserId` (with or without `provider`, `status`) the end
   * user's index partition, `provider` (with or without `status`) the provider's, `status` the
   * status's; no filter reads the tenant's partition. The one combination no index orders,
   * `endUserId` + `status` without `provider`, filters within that end user's few connections.
   * A cursor of another tenant, or of another filter, is refused.
   */
  async list(
    tenantId: string,
    filter: ConnectionFilter,
  ): Promise<{ connections: Connection[]; nextCursor?: string }> {
    const pk = tenantPk(tenantId);
    let start = decodeCursor(filter.cursor, (p) => p === pk);
    if (start === null) throw invalidRequest('The cursor is not valid.');
    const query = connectionQuery(tenantId, filter);
    const out: Connection[] = [];
    // A filter expression applies after DynamoDB's page limit, so read on until the page is full.
    for (let round = 0; round < 50; round++) {
      const page = await this.deps.db.query({ ...query, limit: filter.limit - out.length, startKey: start });
      for (const item of page.items) {
        const c = readConnection(item);
        if (this.voided(c)) continue;
        out.push(toConnection(c));
      }
      start = page.lastKey;
      if (!start || out.length >= filter.limit || !query.filter) break;
    }
    return { connections: out, nextCursor: encodeCursor(start ?? undefined) };
  }

  /** Seals credentials for one connection (AAD: tenant + connection id). */
  seal(tenantId: string, id: string, creds: SealedCredentials): Promise<string> {
    return this.deps.vault.seal(tenantId, id, JSON.stringify(creds));
  }

  /** Opens the connection's sealed credentials (throws `VaultError` when they no longer open). */
  async openCredentials(c: ConnectionRecord): Promise<SealedCredentials> {
    const plain = await this.deps.vault.openString(c.tenantId, c.id, c.credentials);
    return JSON.parse(plain) as SealedCredentials;
  }

  /** Writes `changes` to a stored connection (under `condition`), drops the cached copy, answers the new one. */
  async update(
    c: ConnectionRecord,
    changes: ConnectionChanges,
    condition?: Condition,
  ): Promise<ConnectionRecord> {
    const { pk, sk } = connKey(c.tenantId, c.id);
    const moved = changes.status !== undefined && changes.status !== c.status;
    // A new status moves the connection in the filter indexes and in the counts.
    const set = moved ? { ...changes, ...connectionFilterKeys({ ...c, status: changes.status! }) } : changes;
    const updated = readConnection(await this.deps.db.update(pk, sk, set, condition));
    this.deps.cache.forget(c.tenantId, c.id);
    if (moved)
      await this.deps.stats
        .connectionMoved(c.tenantId, `${c.provider}.${c.status}`, `${c.provider}.${updated.status}`)
        .catch(() => undefined);
    return updated;
  }

  /**
   * Records that a token read or data call used the connection: at most one write a minute per
   * connection, whichever process wins (a conditional write), and never a failure of the call.
   */
  async touch(c: ConnectionRecord): Promise<void> {
    const now = this.deps.now();
    const cutoff = new Date(now - lastUsedGranularityMs).toISOString();
    if (c.lastUsedAt && c.lastUsedAt > cutoff) return;
    // One write at a time per connection in this process; across processes the condition decides.
    const key = `${c.tenantId}/${c.id}`;
    if (this.touching.has(key)) return;
    this.touching.add(key);
    const { pk, sk } = connKey(c.tenantId, c.id);
    try {
      await this.deps.db.update(
        pk,
        sk,
        { lastUsedAt: new Date(now).toISOString() },
        {
          expression: 'attribute_exists(pk) AND (attribute_not_exists(#lu) OR #lu < :cutoff)',
          names: { '#lu': 'lastUsedAt' },
          values: { ':cutoff': cutoff },
        },
      );
      this.deps.cache.forget(c.tenantId, c.id);
    } catch {
      // Another process wrote it this minute, or the store is busy: lastUsedAt is coarse by design.
    } finally {
      this.touching.delete(key);
    }
  }

  /** Revokes the grant at the provider, then deletes the connection. */
  async delete(tenantId: string, id: string, actor: string): Promise<void> {
    const c = await this.getItem(tenantId, id);
    let revoked = true;
    if (c.authScheme === 'oauth2') {
      let creds: SealedCredentials | undefined;
      try {
        creds = await this.openCredentials(c);
      } catch (err) {
        // Credentials that no longer open (tampered, moved) cannot be revoked at the provider;
        // the connection is deleted all the same, and the audit trail says so.
        if (!(err instanceof VaultError)) throw err;
        revoked = false;
      }
      if (creds) {
        const expired = c.expiresAt && Date.parse(c.expiresAt) <= this.deps.now();
        await (await this.deps.providers(c.provider)).revoke({
          app: this.deps.grantApp(c.provider, creds),
          grant: { accessToken: expired ? undefined : creds.accessToken, refreshToken: creds.refreshToken },
        });
      }
    }
    this.deps.cache.forget(tenantId, id);
    const { pk, sk } = connKey(tenantId, id);
    const gone = await this.deps.db.delete(pk, sk);
    if (c.keySk) await this.deps.db.delete(pk, c.keySk);
    if (gone) await this.deps.stats.connectionMoved(tenantId, `${c.provider}.${c.status}`, undefined);
    await this.deps.audit.record({
      actor,
      action: 'connection.deleted',
      tenantId,
      connectionId: id,
      outcome: revoked ? 'success' : 'failure',
      ...(revoked ? {} : { detail: 'credentials unreadable: not revoked at the provider' }),
    });
    await this.deps.events.emit(tenantId, 'connection.deleted', { connection: toConnection(c) });
  }

  /** Audits a change and emits its event (the grant writes, lib/connections/grants.ts, too). */
  async changed(tenantId: string, type: EventType, connection: Connection, actor: string, action: string) {
    await this.deps.audit.record({
      actor,
      action,
      tenantId,
      connectionId: connection.id,
      outcome: 'success',
    });
    await this.deps.events.emit(tenantId, type, { connection });
  }
}

/** The condition of an update that must not overwrite a change made since `c` was read. */
export function sameVersion(c: ConnectionRecord): Condition {
  return { expression: '#v = :v', names: { '#v': 'version' }, values: { ':v': c.version } };
}

/** The index query (and, for the one unordered combination, the filter) answering a connection list. */
function connectionQuery(tenantId: string, f: ConnectionFilter): QueryOptions {
  const [byProvider, byStatus, byEndUser] = keys.filterIndexes;
  const [pa, sa, ua] = filterIndexAttributes;
  if (f.endUserId !== undefined) {
    const base = {
      index: byEndUser,
      pkName: ua[0],
      pk: connByEndUserPk(tenantId, f.endUserId),
      skName: ua[1],
    };
    if (f.provider)
      return { ...base, skPrefix: `${f.provider}#${f.status ? `${f.status}#` : ''}`, reverse: true };
    if (f.status)
      return {
        ...base,
        reverse: true,
        filter: { expression: '#st = :st', names: { '#st': 'status' }, values: { ':st': f.status } },
      };
    return { ...base, reverse: true };
  }
  if (f.provider)
    return {
      index: byProvider,
      pkName: pa[0],
      pk: connByProviderPk(tenantId, f.provider),
      ...(f.status ? { skName: pa[1], skPrefix: `${f.status}#` } : {}),
      reverse: true,
    };
  if (f.status)
    return { index: byStatus, pkName: sa[0], pk: connByStatusPk(tenantId, f.status), reverse: true };
  return { pk: tenantPk(tenantId), skPrefix: connPrefix };
}

/** The due-refresh index attributes for a token expiring at `expiresAt` (none without a refresh token). */
export function dueIndex(
  tenantId: string,
  id: string,
  expiresAt: string | undefined,
  creds: SealedCredentials,
): Pick<ConnectionChanges, 'gsi1pk' | 'gsi1sk'> {
  if (!expiresAt || !creds.refreshToken) return { gsi1pk: undefined, gsi1sk: undefined };
  const due = new Date(Date.parse(expiresAt) - sweepLeadMs).toISOString();
  const shard = createHash('sha256').update(id).digest()[0] % dueShards;
  return { gsi1pk: dueIndexPk(shard), gsi1sk: dueIndexSk(due, tenantId, id) };
}
