import { codeOf, NeedsReauthError, notFound, PorticoError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Grant } from '../providers/index.js';
import { InvalidGrantError } from '../providers/index.js';
import { ConditionFailed } from '../store/db.js';
import type { ConnectionRecord } from '../store/items.js';
import {
  type AccessToken,
  bearer,
  refreshFailedAfter,
  refreshWindowMs,
  type SealedCredentials,
  toConnection,
} from './model.js';
import { type ConnectionStore, type ConnectionStoreDeps, dueIndex, sameVersion } from './store.js';

export interface TokenRefresherDeps
  extends Pick<
    ConnectionStoreDeps,
    'audit' | 'events' | 'providers' | 'grantApp' | 'cache' | 'now' | 'stats' | 'metrics'
  > {
  store: ConnectionStore;
  log: Logger;
  /** How long a refresh lease is held before others may take over. */
  leaseMs: number;
  /** Waits between looks at another holder's lease (tests may pass a fake). */
  sleep?: (ms: number) => Promise<void>;
}

/** What a refresh at the provider works with: the refresher's dependencies, its lease owner id and its sleep. */
export interface Renewal {
  readonly deps: TokenRefresherDeps;
  /** This process's lease owner id. */
  readonly owner: string;
  readonly sleep: (ms: number) => Promise<void>;
}

/**
 * A token refresh at the provider, under the connection's lease (lib/connections/refresh.ts's
 * `TokenRefresher` runs it, once per connection in process): loaded on the first refresh.
 */
export async function refreshWithLease(
  r: Renewal,
  tenantId: string,
  id: string,
  seenVersion: number,
  force: boolean,
): Promise<AccessToken> {
  const { store, now, leaseMs } = r.deps;
  r.deps.cache.forget(tenantId, id);
  // Wait at most 10 s for another holder (a Lambda has 29 s in all); then answer 503 with the
  // time its lease has left, rather than hang on a holder that may have died.
  const deadline = now() + Math.min(leaseMs + 5_000, 10_000);
  let leaseLeft = 2;
  for (let round = 0; ; round++) {
    const c = await store.find(tenantId, id);
    if (!c) throw notFound('Connection');
    if (c.status === 'needs_reauth') throw new NeedsReauthError();
    const leaseUntil = c.leaseUntil ?? 0;
    const leased = leaseUntil > now();
    if (leased) leaseLeft = Math.max(1, Math.ceil((leaseUntil - now()) / 1000));
    const fresh = !c.expiresAt || Date.parse(c.expiresAt) - now() > refreshWindowMs;
    // Someone else refreshed while we waited (or since a forced refresh was asked for).
    if (!leased && fresh && (!force || c.version > seenVersion)) {
      const creds = await store.openCredentials(c);
      if (creds.accessToken) return bearer(creds.accessToken, c.expiresAt);
    }
    if (!leased) {
      try {
        const claimed = await store.update(
          c,
          { leaseOwner: r.owner, leaseUntil: now() + leaseMs, version: c.version + 1 },
          sameVersion(c),
        );
        return await refreshHolding(r, claimed);
      } catch (err) {
        if (!(err instanceof ConditionFailed)) throw err;
      }
    }
    if (now() > deadline) {
      throw new PorticoError('provider_unavailable', 'The token refresh is taking too long; try again.', {
        retryAfter: leaseLeft,
      });
    }
    await r.sleep(50 + Math.random() * 100 + Math.min(round, 10) * 20);
  }
}

/** We hold the lease: refresh at the provider and store the answer (or mark the grant dead). */
async function refreshHolding(r: Renewal, c: ConnectionRecord): Promise<AccessToken> {
  const { store, audit, now } = r.deps;
  const { tenantId, id } = c;
  r.deps.cache.forget(tenantId, id);
  const provider = await r.deps.providers(c.provider);
  const creds = await store.openCredentials(c);
  const ours = { expression: '#o = :o', names: { '#o': 'leaseOwner' }, values: { ':o': r.owner } };
  let grant: Grant;
  try {
    if (!creds.refreshToken) throw new InvalidGrantError(provider.displayName, 'no refresh token');
    grant = await provider.refresh({
      app: r.deps.grantApp(c.provider, creds),
      refreshToken: creds.refreshToken,
    });
  } catch (err) {
    const at = new Date(now()).toISOString();
    const failures = (c.refreshFailures ?? 0) + 1;
    r.deps.stats.count(tenantId, 'refreshFailures');
    r.deps.metrics.count({ RefreshFailures: 1 });
    if (err instanceof InvalidGrantError) {
      const dead = await store.update(
        c,
        {
          status: 'needs_reauth',
          lastError: {
            code: 'needs_reauth',
            detail: `${provider.displayName} refused the refresh token (invalid_grant): the user must connect again.`,
            at,
          },
          refreshFailures: failures,
          leaseOwner: undefined,
          leaseUntil: undefined,
          gsi1pk: undefined,
          gsi1sk: undefined,
          updatedAt: new Date(now()).toISOString(),
          version: c.version + 1,
        },
        ours,
      );
      await audit.record({
        actor: 'provider',
        action: 'connection.refresh',
        tenantId,
        connectionId: id,
        outcome: 'failure',
        detail: 'invalid_grant',
      });
      await r.deps.events.emit(tenantId, 'connection.needs_reauth', { connection: toConnection(dead) });
      r.deps.log.warn('grant is dead', { tenantId, connectionId: id, provider: c.provider });
      throw new NeedsReauthError(undefined, err);
    }
    // Transient: release the lease so the next caller can try; never mark the grant dead.
    const failed = await store
      .update(
        c,
        {
          leaseOwner: undefined,
          leaseUntil: undefined,
          refreshFailures: failures,
          lastError: { code: codeOf(err) ?? 'internal_error', detail: failureDetail(err), at },
        },
        ours,
      )
      .catch(() => undefined);
    // Told once, when the failure has persisted past the threshold (not at every later attempt).
    if (failed && failures === refreshFailedAfter) {
      await r.deps.events
        .emit(tenantId, 'connection.refresh_failed', { connection: toConnection(failed) })
        .catch(() => undefined);
    }
    await audit
      .record({
        actor: 'system',
        action: 'connection.refresh',
        tenantId,
        connectionId: id,
        outcome: 'failure',
        detail: codeOf(err) ?? 'error',
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
  const sealed = await store.seal(tenantId, id, next);
  const at = new Date(now()).toISOString();
  const refreshed = await store.update(
    c,
    {
      credentials: sealed,
      expiresAt: grant.expiresAt,
      ...(grant.scopes.length ? { scopes: grant.scopes } : {}),
      leaseOwner: undefined,
      leaseUntil: undefined,
      updatedAt: at,
      lastRefreshedAt: at,
      lastError: undefined,
      refreshFailures: 0,
      version: c.version + 1,
      ...dueIndex(tenantId, id, grant.expiresAt, next),
    },
    ours,
  );
  r.deps.stats.count(tenantId, 'refreshes');
  r.deps.metrics.count({ Refreshes: 1 });
  if ((c.refreshFailures ?? 0) >= refreshFailedAfter) {
    await r.deps.events
      .emit(tenantId, 'connection.recovered', { connection: toConnection(refreshed) })
      .catch(() => undefined);
  }
  await audit.record({
    actor: 'system',
    action: 'connection.refreshed',
    tenantId,
    connectionId: id,
    outcome: 'success',
  });
  return bearer(grant.accessToken, grant.expiresAt);
}

/** What an operator may read about a failed refresh: our own error's words, never a provider body or a token. */
function failureDetail(err: unknown): string {
  const text = err instanceof PorticoError ? err.message : 'The refresh failed unexpectedly.';
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
