import { createHash } from 'node:crypto';
import type { Audit } from '../audit/index.js';
import type { ProviderName } from '../config.js';
import { invalidRequest, notFound, PorticoError, VaultError } from '../errors.js';
import { isId, newId, sha256Hex } from '../ids.js';
import type { Account, ProviderOAuth } from '../providers/index.js';
import { type Condition, ConditionFailed, type Db, decodeCursor, encodeCursor } from '../store/db.js';
import {
  type ConnectionChanges,
  type ConnectionRecord,
  connectionIndexItem,
  connectionItem,
  connKey,
  connKeySk,
  connPrefix,
  dueIndexPk,
  dueIndexSk,
  readConnection,
  readConnectionIndex,
  tenantPk,
} from '../store/items.js';
import { dueShards } from '../store/table.js';
import type { Vault } from '../vault/index.js';
import type { RecentConnections } from './cache.js';
import type { EventSink, EventType } from './events.js';
import {
  type Connection,
  type GrantApp,
  type SealedCredentials,
  sweepLeadMs,
  toConnection,
} from './model.js';

export interface ConnectionStoreDeps {
  db: Db;
  vault: Vault;
  audit: Audit;
  events: EventSink;
  providers: Record<ProviderName, ProviderOAuth>;
  grantApp: GrantApp;
  cache: RecentConnections;
  now: () => number;
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
  actor: string;
}

/**
 * Saving, reading, listing and deleting connections, each sealed under its tenant's key. Every
 * write that can race is conditional on the item's `version`; every write of this process drops
 * its copy from the read cache; every change is audited and emitted as an event.
 */
export class ConnectionStore {
  constructor(private readonly deps: ConnectionStoreDeps) {}

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
        const current = await this.find(tenantId, id);
        if (current) {
          const sealed = await this.seal(tenantId, id, input.credentials);
          try {
            const updated = await this.update(
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
                version: current.version + 1,
                leaseOwner: undefined,
                leaseUntil: undefined,
                ...dueIndex(tenantId, id, input.expiresAt, input.credentials),
              },
              sameVersion(current),
            );
            const connection = toConnection(updated);
            await this.changed(
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
      const sealed = await this.seal(tenantId, id, input.credentials);
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
        ...dueIndex(tenantId, id, input.expiresAt, input.credentials),
      };
      await db.put(connectionItem(record));
      const connection = toConnection(record);
      await this.changed(tenantId, 'connection.created', connection, input.actor, 'connection.created');
      return { connection, created: true };
    }
    throw new PorticoError('conflict', 'The connection changed concurrently; try again.');
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
    if (!found) throw notFound('Connection');
    return found;
  }

  async get(tenantId: string, id: string): Promise<Connection> {
    return toConnection(await this.getItem(tenantId, id));
  }

  /** A page of the tenant's connections; a cursor of another tenant's partition is refused. */
  async list(
    tenantId: string,
    filter: { provider?: ProviderName; endUserId?: string; limit: number; cursor?: string },
  ): Promise<{ connections: Connection[]; nextCursor?: string }> {
    const pk = tenantPk(tenantId);
    let start = decodeCursor(filter.cursor, (p) => p === pk);
    if (start === null) throw invalidRequest('The cursor is not valid.');
    const out: Connection[] = [];
    // Filters apply after DynamoDB's page limit, so read on until the page is full.
    for (let round = 0; round < 50; round++) {
      const page = await this.deps.db.query({
        pk,
        skPrefix: connPrefix,
        limit: filter.limit - out.length,
        startKey: start,
      });
      for (const item of page.items) {
        const c = readConnection(item);
        if (filter.provider && c.provider !== filter.provider) continue;
        if (filter.endUserId !== undefined && c.endUserId !== filter.endUserId) continue;
        out.push(toConnection(c));
      }
      start = page.lastKey;
      if (!start || out.length >= filter.limit) break;
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
    const updated = readConnection(await this.deps.db.update(pk, sk, changes, condition));
    this.deps.cache.forget(c.tenantId, c.id);
    return updated;
  }

  /**
   * Deletes a connection stored a moment ago for a tenant whose revocation began meanwhile; the
   * caller revokes its grant from what it holds in memory. Nothing of it stays stored.
   */
  async discard(tenantId: string, id: string, actor: string): Promise<void> {
    const c = await this.find(tenantId, id);
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
        await this.deps.providers[c.provider].revoke({
          app: this.deps.grantApp(c.provider, creds),
          grant: { accessToken: expired ? undefined : creds.accessToken, refreshToken: creds.refreshToken },
        });
      }
    }
    this.deps.cache.forget(tenantId, id);
    const { pk, sk } = connKey(tenantId, id);
    await this.deps.db.delete(pk, sk);
    if (c.keySk) await this.deps.db.delete(pk, c.keySk);
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

  private async changed(
    tenantId: string,
    type: EventType,
    connection: Connection,
    actor: string,
    action: string,
  ) {
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
