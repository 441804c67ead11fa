import type { Audit } from '../audit/index.js';
import type { ProviderName } from '../config.js';
import { codeOf, PorticoError } from '../errors.js';
import type { Logger } from '../log.js';
import { type Metrics, noMetrics } from '../metrics.js';
import { once } from '../once.js';
import type { OAuthClients } from '../providers/index.js';
import { noStats } from '../stats/index.js';
import type { Db } from '../store/db.js';
import type { ConnectionRecord } from '../store/items.js';
import type { Vault } from '../vault/index.js';
import { RecentConnections } from './cache.js';
import { type EventSink, noEvents } from './events.js';
import type { GrantWrites } from './grants.js';
import type { AccessToken, Connection, GrantApp } from './model.js';
import { TokenRefresher } from './refresh.js';
import { type ConnectionFilter, type ConnectionStats, ConnectionStore, type NewGrant } from './store.js';

export { TokenRejected } from '../errors.js';
export type { EventSink, EventType } from './events.js';
export type { AccessToken, Connection, GrantApp, SealedCredentials } from './model.js';
export { oauthCredentials, refreshWindowMs, sweepLeadMs, toConnection } from './model.js';
export type { ConnectionFilter, ConnectionStats, NewGrant } from './store.js';
export { type SweepDeps, type SweepResult, sweepDueConnections } from './sweep.js';

export interface ConnectionsDeps {
  db: Db;
  vault: Vault;
  audit: Audit;
  providers: OAuthClients;
  /** The app a stored grant refreshes and revokes with (`grantApp` of `lib/tenants/apps.ts`). */
  grantApp: GrantApp;
  log: Logger;
  events?: EventSink;
  /** Counters and connection counts (lib/stats); default: none kept. */
  stats?: ConnectionStats;
  /** Token reads, data calls, provider latency and errors, refreshes (lib/metrics.ts); default none. */
  metrics?: Metrics;
  now?: () => number;
  /** How long a refresh lease is held before others may take over. Default 30 s. */
  leaseMs?: number;
  /** How long hot read paths may reuse a connection item this process read. Default 1 s; 0 = never. */
  itemCacheMs?: number;
  /** Waits between looks at another process's refresh lease (tests may pass a fake). */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Connections: storing grants sealed per tenant (`store.ts`), reading them back fresh through a
 * short read cache (`cache.ts`), and refreshing them exactly once however many callers and
 * processes ask at the same time (`refresh.ts`).
 */
export class Connections {
  readonly events: EventSink;
  private readonly cache: RecentConnections;
  private readonly store: ConnectionStore;
  // The grant writes (saveGrant, confirm, discard), loaded by the first of them: only the connect
  // flows and imports write grants, and the routes a cold start serves do neither.
  private readonly grants: () => Promise<GrantWrites>;
  private readonly refresher: TokenRefresher;
  private readonly stats: ConnectionStats;
  private readonly metrics: Metrics;

  constructor(deps: ConnectionsDeps) {
    const now = deps.now ?? Date.now;
    this.events = deps.events ?? noEvents;
    this.cache = new RecentConnections(deps.itemCacheMs ?? 1000, now);
    this.stats = deps.stats ?? noStats;
    this.metrics = deps.metrics ?? noMetrics;
    const shared = {
      audit: deps.audit,
      events: this.events,
      providers: deps.providers,
      grantApp: deps.grantApp,
      stats: deps.stats ?? noStats,
      metrics: deps.metrics ?? noMetrics,
    };
    const storeDeps = { ...shared, db: deps.db, vault: deps.vault, cache: this.cache, now };
    this.store = new ConnectionStore(storeDeps);
    this.grants = once(async () => new (await import('./grants.js')).GrantWrites(this.store, storeDeps));
    this.refresher = new TokenRefresher({
      ...shared,
      store: this.store,
      cache: this.cache,
      log: deps.log,
      now,
      leaseMs: deps.leaseMs ?? 30_000,
      sleep: deps.sleep,
    });
  }

  /** Stores a fresh grant; the same end user and provider account again updates that one connection. */
  saveGrant(input: NewGrant): Promise<{ connection: Connection; created: boolean }> {
    return this.grants().then((g) => g.saveGrant(input));
  }

  /** The stored connection of this tenant (a strongly consistent read); `not_found` otherwise. */
  getItem(tenantId: string, id: string): Promise<ConnectionRecord> {
    return this.store.getItem(tenantId, id);
  }

  /**
   * The item for hot read paths: a copy this process read in the last `itemCacheMs` (default 1 s),
   * else a fresh read (shared by the callers that ask while it is under way). Writes of this
   * process drop the copy; another process's writes show within that second. Never used for a token within its refresh window (the refresh path
   * always reads the store), so a cached copy never hides a refresh.
   */
  getItemForUse(tenantId: string, id: string): Promise<ConnectionRecord> {
    return this.cache.read(tenantId, id, async () => servable(await this.store.getItem(tenantId, id)));
  }

  get(tenantId: string, id: string): Promise<Connection> {
    return this.store.get(tenantId, id);
  }

  /**
   * Records the root namespace a Dropbox team-space member's calls must name, after the provider
   * re-read it (a refused root). `undefined` removes it. No version bump: it races nothing.
   */
  async setRootNamespace(tenantId: string, id: string, rootNamespaceId: string | undefined): Promise<void> {
    const current = await this.store.getItem(tenantId, id);
    if (current.rootNamespaceId === rootNamespaceId) return;
    await this.store.update(current, { rootNamespaceId });
  }

  /** A page of the tenant's connections, each filter answered from an index (see `ConnectionStore.list`). */
  list(
    tenantId: string,
    filter: ConnectionFilter,
  ): Promise<{ connections: Connection[]; nextCursor?: string }> {
    return this.store.list(tenantId, filter);
  }

  /**
   * A usable access token: the stored one while it has more than 5 minutes left, else a
   * refreshed one (single-flight). `force` refreshes now, unless someone else refreshed since.
   */
  async accessToken(
    tenantId: string,
    id: string,
    options: { force?: boolean; item?: ConnectionRecord } = {},
  ): Promise<AccessToken> {
    const c = servable(options.item ?? (await this.getItemForUse(tenantId, id)));
    if (options.force) return this.refresher.accessToken(c, options);
    // A token read by the tenant: counted, and it marks the connection used.
    this.stats.count(tenantId, 'tokenReads');
    this.metrics.count({ TokenReads: 1 });
    const [token] = await Promise.all([this.refresher.accessToken(c, options), this.store.touch(c)]);
    return token;
  }

  /** Refreshes now (POST /refresh) and answers the connection. */
  async refresh(tenantId: string, id: string): Promise<Connection> {
    await this.accessToken(tenantId, id, { force: true });
    return this.get(tenantId, id);
  }

  /**
   * Runs `fn` with a fresh access token. When the provider answers 401 (`fn` throws
   * `TokenRejected`), refreshes once and retries; a route for one provider refuses another's.
   */
  async withToken<T>(
    tenantId: string,
    id: string,
    fn: (token: string, connection: ConnectionRecord) => Promise<T>,
    options: { provider?: ProviderName; item?: ConnectionRecord } = {},
  ): Promise<T> {
    const c = servable(options.item ?? (await this.getItemForUse(tenantId, id)));
    this.stats.count(tenantId, 'dataCalls');
    this.metrics.count({ DataCalls: 1 });
    const touched = this.store.touch(c);
    // Provider latency: each call of `fn` is one provider round trip (a retry after a 401 is a second).
    const timed = async (token: string, connection: ConnectionRecord) => {
      const started = performance.now();
      try {
        return await fn(token, connection);
      } finally {
        this.metrics.timing?.('ProviderLatency', [performance.now() - started]);
      }
    };
    try {
      return await this.refresher.withToken(c, timed, options.provider);
    } catch (err) {
      const code = codeOf(err);
      if (code === 'provider_error' || code === 'provider_unavailable') {
        this.stats.count(tenantId, 'providerErrors');
        this.metrics.count({ ProviderErrors: 1 });
      }
      throw err;
    } finally {
      await touched;
    }
  }

  /** Activates a pending connection once its tenant's backend confirmed it (see `ConnectFlows.confirm`). */
  confirm(tenantId: string, id: string, actor: string): Promise<Connection> {
    return this.grants().then((g) => g.confirm(tenantId, id, actor));
  }

  /** Deletes a connection just stored for a tenant revoked meanwhile (the caller revokes its grant). */
  discard(tenantId: string, id: string, actor: string): Promise<void> {
    return this.grants().then((g) => g.discard(tenantId, id, actor));
  }

  /** Revokes the grant at the provider, then deletes the connection. */
  delete(tenantId: string, id: string, actor: string): Promise<void> {
    return this.store.delete(tenantId, id, actor);
  }
}

/**
 * A pending connection is never served: no token, no provider call, until the tenant's backend
 * confirms it (issue 14, connect-link phishing).
 */
function servable(c: ConnectionRecord): ConnectionRecord {
  if (c.status === 'pending') {
    throw new PorticoError(
      'conflict',
      'The connection awaits confirmation: POST /v1/connect-sessions/{id}/confirm with the connectCode.',
    );
  }
  return c;
}
