import { PorticoError } from '../errors.js';
import { newId, sha256Hex } from '../ids.js';
import { ConditionFailed } from '../store/db.js';
import {
  type ConnectionChanges,
  type ConnectionRecord,
  connectionIndexItem,
  connectionItem,
  connKey,
  connKeySk,
  readConnectionIndex,
  tenantPk,
} from '../store/items.js';
import { type Connection, toConnection } from './model.js';
import {
  type ConnectionStore,
  type ConnectionStoreDeps,
  dueIndex,
  type NewGrant,
  sameVersion,
} from './store.js';

/** What makes a connection pending until `until`: its due-index keys are set aside, a TTL set. */
function pendingFields(until: number, due: Pick<ConnectionChanges, 'gsi1pk' | 'gsi1sk'>): ConnectionChanges {
  return {
    status: 'pending',
    pendingUntil: until,
    pendingGsi1pk: due.gsi1pk,
    pendingGsi1sk: due.gsi1sk,
    gsi1pk: undefined,
    gsi1sk: undefined,
    ttl: Math.ceil(until / 1000) + 3600,
  };
}

const notPending: ConnectionChanges = {
  pendingUntil: undefined,
  pendingGsi1pk: undefined,
  pendingGsi1sk: undefined,
  ttl: undefined,
};

/**
 * The connection store's grant writes: a new or renewed grant from a connect flow or an import,
 * a pending connection's confirmation, and the discard of one stored as its tenant's revocation
 * began. {@link ConnectionStore} loads this module on the first of them and answers through it.
 */
export class GrantWrites {
  constructor(
    private readonly store: ConnectionStore,
    private readonly deps: ConnectionStoreDeps,
  ) {}

  /**
   * Stores a fresh grant. Connecting the same end user to the same provider account again
   * updates that one connection (and brings it back to `active`) instead of adding a second.
   */
  async saveGrant(input: NewGrant): Promise<{ connection: Connection; created: boolean }> {
    const { db } = this.deps;
    const { tenantId, provider, account } = input;
    const pk = tenantPk(tenantId);
    const keySk = connKeySk(provider, account.id, sha256Hex(input.endUserId));
    const at = new Date(this.deps.now()).toISOString();

    for (let attempt = 0; attempt < 3; attempt++) {
      const ref = await db.get(pk, keySk);
      if (ref) {
        const id = readConnectionIndex(ref);
        const current = await this.store.find(tenantId, id);
        if (current) {
          const sealed = await this.store.seal(tenantId, id, input.credentials);
          const due = dueIndex(tenantId, id, input.expiresAt, input.credentials);
          // A pending connection stays pending when connected again: only a confirmation activates it.
          const stillPending = current.status === 'pending' && input.pendingUntil !== undefined;
          try {
            const updated = await this.store.update(
              current,
              {
                credentials: sealed,
                status: 'active',
                authScheme: input.authScheme,
                scopes: input.scopes,
                expiresAt: input.expiresAt,
                accountName: account.name,
                hublet: account.hublet,
                rootNamespaceId: account.rootNamespaceId,
                updatedAt: at,
                lastRefreshedAt: input.refreshedAt ?? current.lastRefreshedAt,
                lastError: undefined,
                refreshFailures: 0,
                version: current.version + 1,
                leaseOwner: undefined,
                leaseUntil: undefined,
                ...due,
                ...(stillPending ? pendingFields(input.pendingUntil ?? 0, due) : notPending),
              },
              sameVersion(current),
            );
            const connection = toConnection(updated);
            await this.store.changed(
              tenantId,
              'connection.updated',
              connection,
              input.actor,
              'connection.reconnected',
            );
            return { connection, created: false };
          } catch (err) {
            if (err instanceof ConditionFailed) continue;
            throw err;
          }
        }
        // A dangling index item (its connection was deleted half-way): replace it.
        await db.delete(pk, keySk);
      }
      const id = newId('conn');
      try {
        await db.put(connectionIndexItem(tenantId, keySk, id), { ifNotExists: true });
      } catch (err) {
        if (err instanceof ConditionFailed) continue; // another callback for the same account won
        throw err;
      }
      const sealed = await this.store.seal(tenantId, id, input.credentials);
      const record: ConnectionRecord = {
        id,
        tenantId,
        provider,
        endUserId: input.endUserId,
        authScheme: input.authScheme,
        status: 'active',
        accountId: account.id,
        accountName: account.name,
        hublet: account.hublet,
        rootNamespaceId: account.rootNamespaceId,
        scopes: input.scopes,
        expiresAt: input.expiresAt,
        credentials: sealed,
        keySk,
        createdAt: at,
        updatedAt: at,
        version: 1,
        lastRefreshedAt: input.refreshedAt,
        refreshFailures: 0,
        ...dueIndex(tenantId, id, input.expiresAt, input.credentials),
      };
      if (input.pendingUntil !== undefined) {
        Object.assign(record, pendingFields(input.pendingUntil, record));
      }
      await db.put(connectionItem(record));
      await this.deps.stats.connectionMoved(tenantId, undefined, `${provider}.active`);
      const connection = toConnection(record);
      await this.store.changed(tenantId, 'connection.created', connection, input.actor, 'connection.created');
      return { connection, created: true };
    }
    throw new PorticoError('conflict', 'The connection changed concurrently; try again.');
  }

  /**
   * Deletes a connection stored a moment ago for a tenant whose revocation began meanwhile; the
   * caller revokes its grant from what it holds in memory. Nothing of it stays stored.
   */
  async discard(tenantId: string, id: string, actor: string): Promise<void> {
    const c = await this.store.find(tenantId, id);
    this.deps.cache.forget(tenantId, id);
    if (!c) return;
    const { pk, sk } = connKey(tenantId, id);
    await this.deps.db.delete(pk, sk);
    if (c.keySk) await this.deps.db.delete(pk, c.keySk);
    await this.deps.audit.record({
      actor,
      action: 'connection.discarded',
      tenantId,
      connectionId: id,
      outcome: 'success',
      detail: 'stored after the tenant revocation began: revoked and deleted',
    });
  }

  /**
   * Activates a pending connection (its tenant's backend confirmed it): it takes its due-index
   * keys, so the sweep keeps it fresh from now on. An already active one is answered as it is.
   */
  async confirm(tenantId: string, id: string, actor: string): Promise<Connection> {
    const c = await this.store.getItem(tenantId, id);
    if (c.status !== 'pending') return toConnection(c);
    try {
      const updated = await this.store.update(
        c,
        {
          status: 'active',
          gsi1pk: c.pendingGsi1pk,
          gsi1sk: c.pendingGsi1sk,
          ...notPending,
          updatedAt: new Date(this.deps.now()).toISOString(),
          version: c.version + 1,
        },
        sameVersion(c),
      );
      const connection = toConnection(updated);
      await this.store.changed(tenantId, 'connection.updated', connection, actor, 'connection.confirmed');
      return connection;
    } catch (err) {
      if (err instanceof ConditionFailed)
        throw new PorticoError('conflict', 'The connection changed meanwhile; retry.');
      throw err;
    }
  }
}
