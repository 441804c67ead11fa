import { createHash, randomBytes } from 'node:crypto';
import type { Audit } from '../audit/index.js';
import type { Config, ProviderName } from '../config.js';
import {
  invalidRequest,
  NeedsReauthError,
  notFound,
  PorticoError,
  TokenRejected,
  VaultError,
} from '../errors.js';

export { TokenRejected } from '../errors.js';

import { isId, newId, sha256Hex } from '../ids.js';
import type { Logger } from '../log.js';
import type { Account, Grant, OAuthApp, ProviderOAuth } from '../providers/index.js';
import { InvalidGrantError } from '../providers/index.js';
import { ConditionFailed, type Db, decodeCursor, encodeCursor, type Item } from '../store/db.js';
import { dueShards } from '../store/table.js';
import { type Tenants, tenantPk } from '../tenants/index.js';
import type { Vault } from '../vault/index.js';
import { type EventSink, noEvents } from './events.js';
import { type Connection, connKeySk, connSk, type SealedCredentials, toConnection } from './model.js';

export type { EventSink, EventType } from './events.js';
export type { Connection } from './model.js';

export interface ConnectionsDeps {
  db: Db;
  vault: Vault;
  tenants: Tenants;
  audit: Audit;
  config: Config;
  providers: Record<ProviderName, ProviderOAuth>;
  log: Logger;
  events?: EventSink;
  now?: () => number;
  /** How long a refresh lease is held before others may take over. Default 30 s. */
  leaseMs?: number;
  /** How long hot read paths may reuse a connection item this process read. Default 1 s; 0 = never. */
  itemCacheMs?: number;
}

/** Tokens expiring within this window are refreshed before use (API.md). */
export const refreshWindowMs = 5 * 60_000;
/** The sweep refreshes tokens this long before they expire. */
export const sweepLeadMs = 10 * 60_000;

export interface AccessToken {
  accessToken: string;
  tokenType: 'bearer';
  expiresAt: string | null;
}

/**
 * Connections: storing grants sealed per tenant, reading them back fresh, and refreshing them
 * exactly once however many callers and processes ask at the same time (a promise per
 * connection in process, a lease taken with a conditional update across processes).
 */
export class Connections {
  private readonly inflight = new Map<string, Promise<AccessToken>>();
  /** Recently read connection items, for the hot read paths (token reads, data routes). */
  private readonly recent = new Map<string, { item: Item; until: number }>();
  private readonly owner = randomBytes(8).toString('hex');
  private readonly now: () => number;
  private readonly leaseMs: number;
  private readonly itemCacheMs: number;
  readonly events: EventSink;

  constructor(private readonly deps: ConnectionsDeps) {
    this.now = deps.now ?? Date.now;
    this.leaseMs = deps.leaseMs ?? 30_000;
    this.itemCacheMs = deps.itemCacheMs ?? 1000;
    this.events = deps.events ?? noEvents;
  }

  /** The app to use for a tenant's new grants: its own app if set, else the platform's. */
  async resolveApp(
    tenantId: string,
    provider: ProviderName,
  ): Promise<{ app: OAuthApp; source: 'platform' | 'tenant'; scopes: string[] }> {
    const own = await this.deps.tenants.getApp(tenantId, provider);
    if (own) {
      return {
        app: { clientId: own.clientId, clientSecret: own.clientSecret },
        source: 'tenant',
        scopes: own.scopes ?? this.deps.config.apps[provider].scopes,
      };
    }
    const platform = this.deps.config.apps[provider];
    if (!platform.clientId || !platform.clientSecret) {
      throw new PorticoError(
        'invalid_request',
        `No ${provider} app is configured for this tenant or the platform.`,
        {
          status: 422,
        },
      );
    }
    return {
      app: { clientId: platform.clientId, clientSecret: platform.clientSecret },
      source: 'platform',
      scopes: platform.scopes,
    };
  }

  private appFor(provider: ProviderName, creds: SealedCredentials): OAuthApp {
    if (creds.app?.source === 'tenant' && creds.app.clientSecret) {
      return { clientId: creds.app.clientId, clientSecret: creds.app.clientSecret };
    }
    const platform = this.deps.config.apps[provider];
    if (!platform.clientId || !platform.clientSecret) {
      throw new PorticoError('provider_error', `The platform ${provider} app is not configured.`);
    }
    return { clientId: platform.clientId, clientSecret: platform.clientSecret };
  }

  /**
   * Stores a fresh grant. Connecting the same end user to the same provider account again
   * updates that one connection (and brings it back to `active`) instead of adding a second.
   */
  async saveGrant(input: {
    tenantId: string;
    provider: ProviderName;
    endUserId: string;
    account: Account;
    authScheme: 'oauth2' | 'private_app';
    credentials: SealedCredentials;
    scopes: string[];
    expiresAt?: string;
    actor: string;
  }): Promise<{ connection: Connection; created: boolean }> {
    const { tenantId, provider, account } = input;
    const pk = tenantPk(tenantId);
    const keySk = connKeySk(provider, account.id, sha256Hex(input.endUserId));
    const at = new Date(this.now()).toISOString();

    for (let attempt = 0; attempt < 3; attempt++) {
      const ref = await this.deps.db.get(pk, keySk);
      if (ref) {
        const id = ref.connectionId as string;
        const current = await this.deps.db.get(pk, connSk(id));
        if (current) {
          const sealed = await this.deps.vault.seal(tenantId, id, JSON.stringify(input.credentials));
          try {
            const item = await this.deps.db.update(
              pk,
              connSk(id),
              {
                credentials: sealed,
                status: 'active',
                authScheme: input.authScheme,
                scopes: input.scopes,
                expiresAt: input.expiresAt,
                accountName: account.name,
                updatedAt: at,
                version: (current.version as number) + 1,
                leaseOwner: undefined,
                leaseUntil: undefined,
                ...this.dueIndex(tenantId, id, input.expiresAt, input.credentials),
              },
              { expression: '#v = :v', names: { '#v': 'version' }, values: { ':v': current.version } },
            );
            this.forgetItem(tenantId, id);
            const connection = toConnection(item);
            await this.after(
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
        await this.deps.db.delete(pk, keySk);
      }
      const id = newId('conn');
      try {
        await this.deps.db.put({ pk, sk: keySk, type: 'connkey', connectionId: id }, { ifNotExists: true });
      } catch (err) {
        if (err instanceof ConditionFailed) continue; // another callback for the same account won
        throw err;
      }
      const sealed = await this.deps.vault.seal(tenantId, id, JSON.stringify(input.credentials));
      const item: Item = {
        pk,
        sk: connSk(id),
        type: 'connection',
        id,
        tenantId,
        provider,
        endUserId: input.endUserId,
        authScheme: input.authScheme,
        status: 'active',
        accountId: account.id,
        accountName: account.name,
        scopes: input.scopes,
        expiresAt: input.expiresAt,
        credentials: sealed,
        keySk,
        createdAt: at,
        updatedAt: at,
        version: 1,
        ...this.dueIndex(tenantId, id, input.expiresAt, input.credentials),
      };
      await this.deps.db.put(item);
      const connection = toConnection(item);
      await this.after(tenantId, 'connection.created', connection, input.actor, 'connection.created');
      return { connection, created: true };
    }
    throw new PorticoError('conflict', 'The connection changed concurrently; try again.');
  }

  private dueIndex(
    tenantId: string,
    id: string,
    expiresAt: string | undefined,
    creds: SealedCredentials,
  ): Item {
    if (!expiresAt || !creds.refreshToken) return { gsi1pk: undefined, gsi1sk: undefined };
    const due = new Date(Date.parse(expiresAt) - sweepLeadMs).toISOString();
    const shard = createHash('sha256').update(id).digest()[0] % dueShards;
    return { gsi1pk: `DUE#${shard}`, gsi1sk: `${due}#${tenantId}#${id}` };
  }

  private async after(
    tenantId: string,
    type: Parameters<EventSink['emit']>[1],
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
    await this.events.emit(tenantId, type, { connection });
  }

  async getItem(tenantId: string, id: string): Promise<Item> {
    if (!isId(id, 'conn')) throw notFound('Connection');
    const item = await this.deps.db.get(tenantPk(tenantId), connSk(id));
    if (!item) throw notFound('Connection');
    return item;
  }

  /**
   * The item for hot read paths: a copy this process read in the last `itemCacheMs` (default 1 s),
   * else a fresh read. Writes of this process drop the copy; another process's writes show
   * within that second. Never used for a token within its refresh window (the refresh path
   * always reads the store), so a cached copy never hides a refresh.
   */
  async getItemForUse(tenantId: string, id: string): Promise<Item> {
    const key = `${tenantId}/${id}`;
    const hit = this.recent.get(key);
    const now = this.now();
    if (hit && hit.until > now) return hit.item;
    const item = await this.getItem(tenantId, id);
    const expiresAt = item.expiresAt ? Date.parse(item.expiresAt as string) : Number.POSITIVE_INFINITY;
    if (
      this.itemCacheMs > 0 &&
      item.status === 'active' &&
      expiresAt - now > refreshWindowMs + this.itemCacheMs
    ) {
      if (this.recent.size >= 10_000) this.recent.delete(this.recent.keys().next().value as string);
      this.recent.set(key, { item, until: now + this.itemCacheMs });
    }
    return item;
  }

  private forgetItem(tenantId: string, id: string): void {
    this.recent.delete(`${tenantId}/${id}`);
  }

  async get(tenantId: string, id: string): Promise<Connection> {
    return toConnection(await this.getItem(tenantId, id));
  }

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
        skPrefix: 'CONN#',
        limit: filter.limit - out.length,
        startKey: start,
      });
      for (const item of page.items) {
        if (filter.provider && item.provider !== filter.provider) continue;
        if (filter.endUserId !== undefined && item.endUserId !== filter.endUserId) continue;
        out.push(toConnection(item));
      }
      start = page.lastKey;
      if (!start || out.length >= filter.limit) break;
    }
    return { connections: out, nextCursor: encodeCursor(start ?? undefined) };
  }

  private async openCredentials(tenantId: string, item: Item): Promise<SealedCredentials> {
    const plain = await this.deps.vault.openString(tenantId, item.id as string, item.credentials as string);
    return JSON.parse(plain) as SealedCredentials;
  }

  /**
   * A usable access token: the stored one while it has more than 5 minutes left, else a
   * refreshed one (single-flight). `force` refreshes now, unless someone else refreshed since.
   */
  async accessToken(
    tenantId: string,
    id: string,
    options: { force?: boolean; item?: Item } = {},
  ): Promise<AccessToken> {
    const item = options.item ?? (await this.getItemForUse(tenantId, id));
    if (item.status === 'needs_reauth') throw new NeedsReauthError();
    const creds = await this.openCredentials(tenantId, item);
    if (item.authScheme === 'private_app') {
      return { accessToken: creds.token!, tokenType: 'bearer', expiresAt: null };
    }
    const expiresAt = item.expiresAt as string | undefined;
    if (
      !options.force &&
      creds.accessToken &&
      (!expiresAt || Date.parse(expiresAt) - this.now() > refreshWindowMs)
    ) {
      return { accessToken: creds.accessToken, tokenType: 'bearer', expiresAt: expiresAt ?? null };
    }
    const key = `${tenantId}/${id}`;
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = this.refreshWithLease(tenantId, id, item.version as number, Boolean(options.force)).finally(
        () => this.inflight.delete(key),
      );
      this.inflight.set(key, pending);
    }
    return pending;
  }

  /** Refreshes now (POST /refresh) and answers the connection. */
  async refresh(tenantId: string, id: string): Promise<Connection> {
    await this.accessToken(tenantId, id, { force: true });
    return this.get(tenantId, id);
  }

  private async refreshWithLease(
    tenantId: string,
    id: string,
    seenVersion: number,
    force: boolean,
  ): Promise<AccessToken> {
    this.forgetItem(tenantId, id);
    const pk = tenantPk(tenantId);
    // Wait at most 10 s for another holder (a Lambda has 29 s in all); then answer 503 with the
    // time its lease has left, rather than hang on a holder that may have died.
    const deadline = this.now() + Math.min(this.leaseMs + 5_000, 10_000);
    let leaseLeft = 2;
    for (let round = 0; ; round++) {
      const item = await this.deps.db.get(pk, connSk(id));
      if (!item) throw notFound('Connection');
      if (item.status === 'needs_reauth') throw new NeedsReauthError();
      const expiresAt = item.expiresAt as string | undefined;
      const leaseUntil = (item.leaseUntil as number | undefined) ?? 0;
      const leased = leaseUntil > this.now();
      if (leased) leaseLeft = Math.max(1, Math.ceil((leaseUntil - this.now()) / 1000));
      const fresh = !expiresAt || Date.parse(expiresAt) - this.now() > refreshWindowMs;
      // Someone else refreshed while we waited (or since a forced refresh was asked for).
      if (!leased && fresh && (!force || (item.version as number) > seenVersion)) {
        const creds = await this.openCredentials(tenantId, item);
        if (creds.accessToken)
          return { accessToken: creds.accessToken, tokenType: 'bearer', expiresAt: expiresAt ?? null };
      }
      if (!leased) {
        try {
          const claimed = await this.deps.db.update(
            pk,
            connSk(id),
            {
              leaseOwner: this.owner,
              leaseUntil: this.now() + this.leaseMs,
              version: (item.version as number) + 1,
            },
            { expression: '#v = :v', names: { '#v': 'version' }, values: { ':v': item.version } },
          );
          return await this.refreshHolding(tenantId, claimed);
        } catch (err) {
          if (!(err instanceof ConditionFailed)) throw err;
        }
      }
      if (this.now() > deadline) {
        throw new PorticoError('provider_unavailable', 'The token refresh is taking too long; try again.', {
          status: 503,
          retryAfter: leaseLeft,
        });
      }
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 100 + Math.min(round, 10) * 20));
    }
  }

  /** We hold the lease: refresh at the provider and store the answer (or mark the grant dead). */
  private async refreshHolding(tenantId: string, item: Item): Promise<AccessToken> {
    const id = item.id as string;
    this.forgetItem(tenantId, id);
    const pk = tenantPk(tenantId);
    const provider = this.deps.providers[item.provider as ProviderName];
    const creds = await this.openCredentials(tenantId, item);
    const ours = { expression: '#o = :o', names: { '#o': 'leaseOwner' }, values: { ':o': this.owner } };
    let grant: Grant;
    try {
      if (!creds.refreshToken) throw new InvalidGrantError(provider.displayName, 'no refresh token');
      grant = await provider.refresh({
        app: this.appFor(item.provider as ProviderName, creds),
        refreshToken: creds.refreshToken,
      });
    } catch (err) {
      if (err instanceof InvalidGrantError) {
        const dead = await this.deps.db.update(
          pk,
          connSk(id),
          {
            status: 'needs_reauth',
            leaseOwner: undefined,
            leaseUntil: undefined,
            gsi1pk: undefined,
            gsi1sk: undefined,
            updatedAt: new Date(this.now()).toISOString(),
            version: (item.version as number) + 1,
          },
          ours,
        );
        const connection = toConnection(dead);
        await this.deps.audit.record({
          actor: 'provider',
          action: 'connection.refresh',
          tenantId,
          connectionId: id,
          outcome: 'failure',
          detail: 'invalid_grant',
        });
        await this.events.emit(tenantId, 'connection.needs_reauth', { connection });
        this.deps.log.warn('grant is dead', { tenantId, connectionId: id, provider: item.provider });
        throw new NeedsReauthError(undefined, err);
      }
      // Transient: release the lease so the next caller can try; never mark the grant dead.
      await this.deps.db
        .update(pk, connSk(id), { leaseOwner: undefined, leaseUntil: undefined }, ours)
        .catch(() => undefined);
      await this.deps.audit
        .record({
          actor: 'system',
          action: 'connection.refresh',
          tenantId,
          connectionId: id,
          outcome: 'failure',
          detail: (err as PorticoError).code ?? 'error',
        })
        .catch(() => undefined);
      throw err;
    }
    const next: SealedCredentials = {
      ...creds,
      accessToken: grant.accessToken,
      // Persist whatever refresh token the answer carries; an answer without one keeps the old.
      refreshToken: grant.refreshToken ?? creds.refreshToken,
    };
    const sealed = await this.deps.vault.seal(tenantId, id, JSON.stringify(next));
    await this.deps.db.update(
      pk,
      connSk(id),
      {
        credentials: sealed,
        expiresAt: grant.expiresAt,
        ...(grant.scopes.length ? { scopes: grant.scopes } : {}),
        leaseOwner: undefined,
        leaseUntil: undefined,
        updatedAt: new Date(this.now()).toISOString(),
        version: (item.version as number) + 1,
        ...this.dueIndex(tenantId, id, grant.expiresAt, next),
      },
      ours,
    );
    await this.deps.audit.record({
      actor: 'system',
      action: 'connection.refreshed',
      tenantId,
      connectionId: id,
      outcome: 'success',
    });
    return { accessToken: grant.accessToken, tokenType: 'bearer', expiresAt: grant.expiresAt ?? null };
  }

  /**
   * Runs `fn` with a fresh access token. When the provider answers 401 (`fn` throws
   * {@link TokenRejected}), refreshes once and retries.
   */
  async withToken<T>(
    tenantId: string,
    id: string,
    fn: (token: string, connection: Item) => Promise<T>,
    options: { provider?: ProviderName; item?: Item } = {},
  ): Promise<T> {
    const item = options.item ?? (await this.getItemForUse(tenantId, id));
    if (options.provider && item.provider !== options.provider) {
      throw invalidRequest(
        `This is a ${item.provider} connection; the route needs a ${options.provider} connection.`,
      );
    }
    const first = await this.accessToken(tenantId, id, { item });
    try {
      return await fn(first.accessToken, item);
    } catch (err) {
      if (!(err instanceof TokenRejected) || item.authScheme === 'private_app') {
        if (err instanceof TokenRejected)
          throw new PorticoError('forbidden', 'The provider refused the connection token.');
        throw err;
      }
      const second = await this.accessToken(tenantId, id, { force: true });
      try {
        return await fn(second.accessToken, item);
      } catch (again) {
        if (again instanceof TokenRejected)
          throw new NeedsReauthError('The provider refused a freshly refreshed token.');
        throw again;
      }
    }
  }

  /** Revokes the grant at the provider, then deletes the connection. */
  async delete(tenantId: string, id: string, actor: string): Promise<void> {
    const item = await this.getItem(tenantId, id);
    const provider = this.deps.providers[item.provider as ProviderName];
    let revoked = true;
    if (item.authScheme === 'oauth2') {
      let creds: SealedCredentials | undefined;
      try {
        creds = await this.openCredentials(tenantId, item);
      } catch (err) {
        // Credentials that no longer open (tampered, moved) cannot be revoked at the provider;
        // the connection is deleted all the same, and the audit trail says so.
        if (!(err instanceof VaultError)) throw err;
        revoked = false;
      }
      if (creds) {
        const expired = item.expiresAt && Date.parse(item.expiresAt as string) <= this.now();
        await provider.revoke({
          app: this.appFor(item.provider as ProviderName, creds),
          grant: { accessToken: expired ? undefined : creds.accessToken, refreshToken: creds.refreshToken },
        });
      }
    }
    this.forgetItem(tenantId, id);
    await this.deps.db.delete(tenantPk(tenantId), connSk(id));
    if (item.keySk) await this.deps.db.delete(tenantPk(tenantId), item.keySk as string);
    const connection = toConnection(item);
    await this.deps.audit.record({
      actor,
      action: 'connection.deleted',
      tenantId,
      connectionId: id,
      outcome: revoked ? 'success' : 'failure',
      ...(revoked ? {} : { detail: 'credentials unreadable: not revoked at the provider' }),
    });
    await this.events.emit(tenantId, 'connection.deleted', { connection });
  }
}
