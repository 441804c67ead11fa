import { randomUUID } from 'node:crypto';
import type { Audit } from '../audit/index.js';
import type { Config } from '../config.js';
import type { EventSink, SealedCredentials } from '../connections/index.js';
import { codeOf, invalidRequest, notFound, PorticoError, VaultError } from '../errors.js';
import type { Logger } from '../log.js';
import type { OAuthClients } from '../providers/index.js';
import { type Condition, ConditionFailed, type Db, decodeCursor, encodeCursor } from '../store/db.js';
import {
  apiKeyKey,
  apiKeyRefPrefix,
  type ConnectionRecord,
  connPrefix,
  connSk,
  keyOf,
  readApiKeyHash,
  readConnection,
  type TenantChanges,
  type TenantRecord,
  tenantPk,
} from '../store/items.js';
import { sessionKey } from '../store/oauth-items.js';
import {
  type RevocationFailureRecord,
  type RevocationJobChanges,
  type RevocationJobRecord,
  readRevocationFailure,
  readRevocationJob,
  revocationFailureItem,
  revocationJobItem,
  revocationKey,
  revokeFailedPrefix,
  runningRevocationsPk,
  sessionRefPrefix,
} from '../store/revocation-items.js';
import { type KeyWrapper, Vault } from '../vault/index.js';
import { issuingApp } from './apps.js';
import { ProviderLimits } from './provider-limits.js';

/** Where a revocation stands, as `DELETE` and `GET /v1/tenants/:id` show it. */

/**
 * The vault the revocation job opens a revoking tenant's grants with: the tenant's key has left
 * its tenant item for the job's item (REVOCATION), so it is loaded from there.
 */
export function revocationJobVault(db: Db, wrapper: KeyWrapper, cacheTtlMs: number): Vault {
  return new Vault({
    wrapper,
    loadWrappedKey: async (tenantId) => {
      const { pk, sk } = revocationKey(tenantId);
      const item = await db.get(pk, sk);
      return item ? readRevocationJob(item).wrappedKey : undefined;
    },
    cacheTtlMs,
  });
}

export interface RevocationProgress {
  total: number;
  revoked: number;
  failed: number;
  pending: number;
  startedAt: string;
  finishedAt?: string;
}

/** The answer of `DELETE /v1/tenants/:id`: `revoking` while grants are left, else `revoked`. */
export type RevocationAnswer =
  | { tenantId: string; status: 'revoking'; revocation: RevocationProgress }
  | { tenantId: string; status: 'revoked'; connections: { revoked: number; failed: number } };

/** What the job needs of the tenants (`Tenants` of `./index.ts`). */
export interface TenantItems {
  getItem(tenantId: string): Promise<TenantRecord | undefined>;
  updateTenant(tenantId: string, changes: TenantChanges): Promise<TenantRecord>;
  /** Deletes the tombstone's webhook secret (kept only to sign `tenant.revoked`). */
  forgetWebhookSecret(tenantId: string): Promise<void>;
}

export interface RevocationsDeps {
  db: Db;
  /** The routes' vault: its cached key of the tenant is dropped when the tenant stops. */
  vault: Vault;
  /** The job's own vault, which reads the wrapped key from the job item (never from the tenant). */
  jobVault: Vault;
  tenants: TenantItems;
  audit: Audit;
  config: Config;
  providers: OAuthClients;
  events: EventSink;
  log: Logger;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  /** Connections read and revoked per step (one cursor write each). Default 100. */
  pageSize?: number;
  /** Calls in flight per provider app. Default 8. */
  concurrency?: number;
  /** Calls started per second per provider app. Default 50. */
  perSecond?: number;
  /** A provider revocation not answered within this counts as a failed attempt. Default 15 s. */
  callTimeoutMs?: number;
  /** How long a worker holds the job between writes. Default `config.refreshLeaseMs`. */
  leaseMs?: number;
  /** How long grants are retried before they are given up. Default 24 h. */
  giveUpMs?: number;
  /** Provider work `DELETE` does before it answers. Default 5 s. */
  inlineMs?: number;
  /** Called once every grant is accounted (the tenant's connection counts go, lib/stats). */
  onRevoked?: (tenantId: string) => Promise<void>;
}

type Outcome =
  | { kind: 'revoked'; id: string; version: number; keySk?: string }
  | { kind: 'retry'; id: string; attempts: number; error: string; retryAt: number }
  | ({ kind: 'failed'; keySk?: string } & RevocationFailureRecord);

const day = 24 * 3600_000;
const firstRetryMs = 30_000;
const longestRetryMs = 3600_000;

/** The wait before retry number `attempts` (30 s doubling, at most an hour). */
export function retryDelayMs(attempts: number): number {
  return Math.min(longestRetryMs, firstRetryMs * 2 ** Math.max(0, attempts - 1));
}

/**
 * Tenant revocation as a durable job (docs/design.md, "Vault"; docs/api.md, "Additions").
 *
 * `revoke` stops the tenant at once in every process: status `revoking`, its API keys' lookup
 * items deleted, and its wrapped data key moved from the tenant item (where every route's vault
 * reads it) to the job item (where only the job's vault reads it). Then any worker continues the
 * job: a cursor over the tenant's partition, a page at a time, each grant revoked at its provider
 * within per-app limits, failures retried with backoff for up to 24 h, then given up and listed.
 * Once every grant is accounted the tenant is `revoked`; one last round after every process's
 * cached key and refresh lease has expired catches grants written by a late callback, and only
 * then is the key destroyed.
 */
export class Revocations {
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly limits: ProviderLimits;
  private readonly worker = `worker_${randomUUID()}`;
  private readonly leaseMs: number;

  constructor(private readonly deps: RevocationsDeps) {
    this.now = deps.now ?? Date.now;
    this.sleep = deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.limits = new ProviderLimits({
      concurrency: deps.concurrency,
      perSecond: deps.perSecond,
      now: this.now,
      sleep: this.sleep,
    });
    this.leaseMs = deps.leaseMs ?? deps.config.refreshLeaseMs;
  }

  /**
   * Starts (or continues) the tenant's revocation, does at most `inlineMs` of provider work, and
   * answers where it stands. Idempotent: a repeat call answers the same progress.
   */
  async revoke(tenantId: string, actor: string): Promise<RevocationAnswer> {
    const job = await this.start(tenantId, actor);
    if (job.status !== 'running') return answerOf(job);
    return answerOf(await this.run(tenantId, this.deps.inlineMs ?? 5000));
  }

  /** The job of a tenant whose revocation began, else `undefined`. */
  async job(tenantId: string): Promise<RevocationJobRecord | undefined> {
    const { pk, sk } = revocationKey(tenantId);
    const item = await this.deps.db.get(pk, sk);
    return item ? readRevocationJob(item) : undefined;
  }

  /** The progress of a tenant's revocation, or `undefined` when none began. */
  async progress(tenantId: string): Promise<RevocationProgress | undefined> {
    const job = await this.job(tenantId);
    if (job) return progressOf(job);
    const tenant = await this.deps.tenants.getItem(tenantId);
    // Tombstones revoked before revocations were jobs keep only their counts.
    if (tenant?.status === 'revoked' && tenant.revocation) {
      const { revoked, failed } = tenant.revocation;
      const at = tenant.revokedAt ?? tenant.updatedAt;
      return { total: revoked + failed, revoked, failed, pending: 0, startedAt: at, finishedAt: at };
    }
    return undefined;
  }

  /** A page of the grants whose provider revocation finally failed. */
  async failures(
    tenantId: string,
    limit: number,
    cursor?: string,
  ): Promise<{ failures: RevocationFailureRecord[]; nextCursor?: string }> {
    const pk = tenantPk(tenantId);
    const start = decodeCursor(cursor, (p) => p === pk);
    if (start === null || (start && !String(start.sk).startsWith(revokeFailedPrefix)))
      throw invalidRequest('The cursor is not valid.');
    const page = await this.deps.db.query({ pk, skPrefix: revokeFailedPrefix, limit, startKey: start });
    return { failures: page.items.map(readRevocationFailure), nextCursor: encodeCursor(page.lastKey) };
  }

  /**
   * Runs every job whose next step is due, until `budgetMs` is spent: what the local worker
   * loop and the AWS worker function call. Answers how many jobs it moved on.
   */
  async runDue(budgetMs: number, signal?: AbortSignal): Promise<number> {
    const until = this.now() + budgetMs;
    let moved = 0;
    for await (const item of this.deps.db.queryAll({
      index: 'list',
      pkName: 'gsi2pk',
      pk: runningRevocationsPk,
    })) {
      const left = until - this.now();
      if (left <= 0 || signal?.aborted) break;
      const job = readRevocationJob(item);
      if (job.nextRunAt > this.now() || (job.leaseUntil ?? 0) > this.now()) continue;
      await this.run(job.tenantId, left, signal);
      moved++;
    }
    return moved;
  }

  /** Creates the job (once) and stops the tenant everywhere; safe to repeat after a crash. */
  async start(tenantId: string, actor: string): Promise<RevocationJobRecord> {
    const { db, tenants } = this.deps;
    const tenant = await tenants.getItem(tenantId);
    if (!tenant) throw notFound('Tenant');
    let job = await this.job(tenantId);
    if (!job && tenant.status === 'revoked') {
      const { revoked, failed } = tenant.revocation ?? { revoked: 0, failed: 0 };
      return legacyJob(tenantId, actor, revoked, failed, tenant.revokedAt ?? tenant.updatedAt);
    }
    if (!job) {
      const now = this.now();
      const fresh: RevocationJobRecord = {
        tenantId,
        actor,
        status: 'running',
        startedAt: new Date(now).toISOString(),
        startedMs: now,
        total: await db.count(tenantPk(tenantId), connPrefix),
        revoked: 0,
        failed: 0,
        retrying: 0,
        round: 1,
        roundStartedMs: now,
        nextRunAt: now,
        sweepAfter: now + this.deps.config.keyCacheMs + this.deps.config.refreshLeaseMs,
        giveUpAt: now + (this.deps.giveUpMs ?? day),
        wrappedKey: tenant.wrappedKey,
        // Born leased to this worker, so the request's own bit of work is not raced by a loop.
        leaseOwner: this.worker,
        leaseUntil: now + this.leaseMs,
        version: 1,
      };
      try {
        await db.put(revocationJobItem(fresh), { ifNotExists: true });
        job = fresh;
        await this.deps.audit.record({ actor, action: 'tenant.revoking', tenantId, outcome: 'success' });
      } catch (err) {
        if (!(err instanceof ConditionFailed)) throw err;
        job = await this.job(tenantId);
        if (!job) throw err;
      }
    }
    if (job.status === 'running') await this.stop(tenantId);
    return job;
  }

  /** Stops every use of the tenant: status, API keys, and the key out of the routes' reach. */
  private async stop(tenantId: string): Promise<void> {
    const { db, tenants } = this.deps;
    const tenant = await tenants.getItem(tenantId);
    if (tenant && (tenant.status === 'active' || tenant.wrappedKey)) {
      // The job item holds the key already (it was written first).
      await tenants.updateTenant(tenantId, {
        status: 'revoking',
        wrappedKey: undefined,
        updatedAt: new Date(this.now()).toISOString(),
      });
    }
    this.deps.vault.forget(tenantId);
    const refs = [];
    for await (const item of db.queryAll({ pk: tenantPk(tenantId), skPrefix: apiKeyRefPrefix })) {
      refs.push(apiKeyKey(readApiKeyHash(item)));
    }
    await db.deleteMany(refs);
  }

  /**
   * Takes the job's lease and moves it on until it waits (for retries or its last round), ends,
   * or `budgetMs` is spent, or `signal` aborts (between pages). Answers the job as it then stands. Another worker's lease, or a lost
   * race on any write, ends this run without harm: every write is conditional on the version.
   */
  async run(tenantId: string, budgetMs: number, signal?: AbortSignal): Promise<RevocationJobRecord> {
    const until = this.now() + budgetMs;
    let job = await this.lease(tenantId);
    if (!job) return (await this.job(tenantId)) ?? missingJob();
    try {
      // A worker that died after counting a page may not have applied it: apply it again.
      if (job.batch) await this.apply(job, JSON.parse(job.batch) as Outcome[]);
      while (job.status !== 'done' && job.nextRunAt <= this.now()) {
        const before = job.version;
        job = await this.step(job, until);
        if (this.now() >= until || signal?.aborted || job.version === before) break;
      }
    } catch (err) {
      if (!(err instanceof ConditionFailed)) throw err;
      // Another worker moved the job on: it is theirs now.
      return (await this.job(tenantId)) ?? missingJob();
    } finally {
      await this.release(tenantId);
    }
    return job;
  }

  /**
   * One page: revoke what is due, count it in the write that moves the cursor past it, apply it.
   * No grant starts after `until` but the first, so a slow provider bounds a step by one call;
   * the page is then cut after the last grant in order that was done.
   */
  private async step(job: RevocationJobRecord, until: number): Promise<RevocationJobRecord> {
    const pk = tenantPk(job.tenantId);
    const page = await this.deps.db.query({
      pk,
      skPrefix: connPrefix,
      limit: this.deps.pageSize ?? 100,
      startKey: job.cursor ? { pk, sk: job.cursor } : undefined,
      consistent: true,
    });
    let connections = page.items.map(readConnection);
    const now = this.now();
    const isDue = (c: ConnectionRecord) => c.revokeRetryAt === undefined || c.revokeRetryAt <= now;
    const tried = await Promise.all(
      connections.map((c, i) =>
        isDue(c) ? this.revokeGrant(job, c, i === 0 ? undefined : until) : undefined,
      ),
    );
    const cut = tried.indexOf('late');
    let lastKey = page.lastKey && String(page.lastKey.sk);
    if (cut === 0) return job;
    if (cut > 0) {
      connections = connections.slice(0, cut);
      lastKey = connSk(connections[cut - 1].id);
    }
    let nextRetryAt = job.nextRetryAt;
    const later = (at: number) => {
      nextRetryAt = nextRetryAt === undefined ? at : Math.min(nextRetryAt, at);
    };
    const due: ConnectionRecord[] = [];
    const outcomes: Outcome[] = [];
    for (const [i, c] of connections.entries()) {
      const o = tried[i];
      if (o === undefined || o === 'late') later(c.revokeRetryAt ?? now);
      else {
        due.push(c);
        outcomes.push(o);
      }
    }
    let { revoked, failed, retrying } = job;
    for (const [i, o] of outcomes.entries()) {
      const wasRetrying = (due[i].revokeAttempts ?? 0) > 0;
      if (o.kind === 'revoked') revoked++;
      if (o.kind === 'failed') failed++;
      if (o.kind === 'retry') later(o.retryAt);
      if (o.kind !== 'retry' && wasRetrying) retrying--;
      if (o.kind === 'retry' && !wasRetrying) retrying++;
    }
    const changes: RevocationJobChanges = {
      revoked,
      failed,
      retrying,
      total: Math.max(job.total, revoked + failed + retrying),
      batch: outcomes.length ? JSON.stringify(outcomes) : undefined,
    };
    if (lastKey) {
      changes.cursor = lastKey;
      changes.nextRetryAt = nextRetryAt;
    } else {
      // The round is over: another for the grants waiting, the last look, or the end.
      Object.assign(changes, { cursor: undefined, nextRetryAt: undefined, round: job.round + 1 });
      if (retrying > 0) {
        const at = nextRetryAt ?? now;
        Object.assign(changes, { nextRunAt: at, roundStartedMs: at });
      } else if (job.roundStartedMs < job.sweepAfter) {
        Object.assign(changes, { nextRunAt: job.sweepAfter, roundStartedMs: job.sweepAfter });
      }
    }
    let saved = await this.save(job, changes);
    await this.apply(saved, outcomes);
    if (!lastKey && retrying === 0) {
      saved = await this.accounted(saved);
      if (job.roundStartedMs >= job.sweepAfter) saved = await this.finish(saved);
    }
    return saved;
  }

  /**
   * Revokes one grant at its provider; never throws (every failure is an outcome). `late` when
   * its turn came after `until`: it was not tried.
   */
  private async revokeGrant(
    job: RevocationJobRecord,
    c: ConnectionRecord,
    until?: number,
  ): Promise<Outcome | 'late'> {
    const attempts = (c.revokeAttempts ?? 0) + 1;
    const failure = (lastError: string): Outcome => ({
      kind: 'failed',
      connectionId: c.id,
      provider: c.provider,
      endUserId: c.endUserId,
      attempts,
      lastError,
      keySk: c.keySk,
    });
    let creds: SealedCredentials;
    try {
      creds = JSON.parse(
        await this.deps.jobVault.openString(c.tenantId, c.id, c.credentials),
      ) as SealedCredentials;
    } catch (err) {
      if (err instanceof VaultError) return failure('credentials_unreadable: the stored grant does not open');
      throw err;
    }
    // Private-app tokens cannot be revoked through the API (the account owner rotates them).
    if (c.authScheme === 'private_app')
      return { kind: 'revoked', id: c.id, version: c.version, keySk: c.keySk };
    // An unconfigured platform app still gets its call: some providers revoke by token alone.
    const app = issuingApp(this.deps.config, c.provider, creds) ?? { clientId: '', clientSecret: '' };
    const gate = `${c.provider}:${app.clientId}`;
    const expired = c.expiresAt !== undefined && Date.parse(c.expiresAt) <= this.now();
    const grant = { accessToken: expired ? undefined : creds.accessToken, refreshToken: creds.refreshToken };
    try {
      const late = await this.limits.run(gate, async () => {
        if (until !== undefined && this.now() >= until) return true;
        await this.timed((await this.deps.providers(c.provider)).revoke({ app, grant }));
        return false;
      });
      if (late) return 'late';
      return { kind: 'revoked', id: c.id, version: c.version, keySk: c.keySk };
    } catch (err) {
      const code = codeOf(err) ?? 'error';
      const askedMs = err instanceof PorticoError && err.retryAfter ? err.retryAfter * 1000 : 0;
      if (code === 'rate_limited' && askedMs) this.limits.pause(gate, this.now() + askedMs);
      const error = err instanceof PorticoError ? `${code}: ${err.message}` : code;
      this.deps.log.warn('provider revocation failed', {
        tenantId: c.tenantId,
        connectionId: c.id,
        provider: c.provider,
        attempts,
        code,
      });
      const retryAt = this.now() + Math.max(retryDelayMs(attempts), askedMs);
      if (retryAt > job.giveUpAt) return failure(error);
      return { kind: 'retry', id: c.id, attempts, error, retryAt };
    } finally {
      creds.accessToken = undefined;
      creds.refreshToken = undefined;
    }
  }

  private timed<T>(call: Promise<T>): Promise<T> {
    const ms = this.deps.callTimeoutMs ?? 15_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new PorticoError('provider_unavailable', 'The provider did not answer in time.')),
        ms,
      );
    });
    return Promise.race([call, timeout]).finally(() => clearTimeout(timer));
  }

  /** Applies a counted page's outcomes to its items. Idempotent: a resumed worker applies it again. */
  private async apply(job: RevocationJobRecord, outcomes: Outcome[]): Promise<void> {
    const { db } = this.deps;
    const pk = tenantPk(job.tenantId);
    const dropIndex = async (id: string, keySk?: string) => {
      if (!keySk) return;
      await db
        .delete(pk, keySk, { expression: 'connectionId = :id', values: { ':id': id } })
        .catch((err) => ignoreLost(err));
    };
    // The account index items of revoked grants go in batches of 25: they hold no secret, and a
    // reconnect racing the revocation is refused by the tenant's status before it writes one.
    const indexes = outcomes.flatMap((o) => (o.kind === 'revoked' && o.keySk ? [{ pk, sk: o.keySk }] : []));
    let next = 0;
    const worker = async () => {
      while (next < outcomes.length) {
        const o = outcomes[next++];
        if (o.kind === 'revoked') {
          await this.dropRevoked(job, o.id, o.version);
        } else if (o.kind === 'retry') {
          await db
            .update(
              pk,
              connSk(o.id),
              { revokeAttempts: o.attempts, revokeError: o.error, revokeRetryAt: o.retryAt },
              { expression: 'attribute_exists(pk)' },
            )
            .catch((err) => ignoreLost(err));
        } else {
          const { kind: _, keySk, ...failure } = o;
          await db.put(revocationFailureItem(job.tenantId, failure));
          await db.delete(pk, connSk(o.connectionId));
          await dropIndex(o.connectionId, keySk);
        }
      }
    };
    await Promise.all([
      db.deleteMany(indexes),
      ...Array.from({ length: Math.min(16, outcomes.length) }, worker),
    ]);
  }

  /**
   * Deletes a revoked grant's item, unless it changed since it was read (a refresh in flight
   * stored new tokens): then those are revoked too before it goes. It was counted once already.
   */
  private async dropRevoked(job: RevocationJobRecord, id: string, version: number): Promise<void> {
    const { db } = this.deps;
    const pk = tenantPk(job.tenantId);
    const sameVersion: Condition = {
      expression: '#v = :v',
      names: { '#v': 'version' },
      values: { ':v': version },
    };
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await db.delete(pk, connSk(id), sameVersion);
        return;
      } catch (err) {
        if (!(err instanceof ConditionFailed)) throw err;
      }
      const item = await db.get(pk, connSk(id));
      if (!item) return;
      const changed = readConnection(item);
      const again = await this.revokeGrant(job, { ...changed, revokeAttempts: 0 });
      if (again === 'late' || again.kind !== 'revoked')
        this.deps.log.warn('a changed grant did not revoke', { id });
      sameVersion.values = { ':v': changed.version };
    }
    await db.delete(pk, connSk(id));
  }

  /**
   * Every grant found is accounted: the tenant is `revoked` (its counts on the tombstone), its
   * sessions, keys, apps and indexes are deleted, `tenant.revoked` is emitted. Idempotent.
   */
  private async accounted(job: RevocationJobRecord): Promise<RevocationJobRecord> {
    const { db, tenants } = this.deps;
    const pk = tenantPk(job.tenantId);
    const keep = (sk: string) =>
      sk === 'META' || sk === 'REVOCATION' || sk.startsWith(revokeFailedPrefix) || sk.startsWith(connPrefix);
    const doomed = [];
    for await (const item of db.queryAll({ pk, projection: ['pk', 'sk'] })) {
      const key = keyOf(item);
      if (key.sk.startsWith(sessionRefPrefix)) doomed.push(sessionKey(key.sk.slice(sessionRefPrefix.length)));
      if (!keep(key.sk)) doomed.push(key);
    }
    await db.deleteMany(doomed);
    const counts = { revoked: job.revoked, failed: job.failed };
    const tenant = await tenants.getItem(job.tenantId);
    const already =
      tenant?.status === 'revoked' &&
      tenant.revocation?.revoked === counts.revoked &&
      tenant.revocation.failed === counts.failed;
    if (!already) {
      const at = new Date(this.now()).toISOString();
      await tenants.updateTenant(job.tenantId, {
        status: 'revoked',
        revocation: counts,
        revokedAt: tenant?.revokedAt ?? at,
        updatedAt: at,
        wrappedKey: undefined,
        gsi2pk: 'TENANT',
      });
      await this.deps.audit.record({
        actor: job.actor,
        action: 'tenant.revoked',
        tenantId: job.tenantId,
        outcome: counts.failed ? 'failure' : 'success',
        detail: `revoked ${counts.revoked}, failed ${counts.failed}`,
      });
      await this.deps.events
        .emit(job.tenantId, 'tenant.revoked', { tenantId: job.tenantId, connections: counts })
        .catch(() => undefined);
      // The tombstone's webhook secret is kept only to sign that last event: the outbox deletes it
      // once the event is delivered or dead-lettered; with no webhook to send it to, it goes now.
      if (!tenant?.webhookUrl) await tenants.forgetWebhookSecret(job.tenantId);
      await this.deps.onRevoked?.(job.tenantId).catch(() => undefined);
    }
    if (job.status !== 'running') return job;
    return this.save(job, { status: 'sweeping', finishedAt: new Date(this.now()).toISOString() });
  }

  /** The last round found nothing left: the data key is destroyed (crypto-shredding). */
  private async finish(job: RevocationJobRecord): Promise<RevocationJobRecord> {
    const done = await this.save(job, {
      status: 'done',
      wrappedKey: undefined,
      batch: undefined,
      total: job.revoked + job.failed,
      finishedAt: job.finishedAt ?? new Date(this.now()).toISOString(),
      gsi2pk: undefined,
      gsi2sk: undefined,
    });
    this.deps.jobVault.forget(job.tenantId);
    this.deps.vault.forget(job.tenantId);
    return done;
  }

  /** Writes job changes, conditional on the version read and on holding the lease; renews it. */
  private async save(job: RevocationJobRecord, changes: RevocationJobChanges): Promise<RevocationJobRecord> {
    const { pk, sk } = revocationKey(job.tenantId);
    const item = await this.deps.db.update(
      pk,
      sk,
      { ...changes, version: job.version + 1, leaseUntil: this.now() + this.leaseMs },
      {
        expression: '#v = :v AND leaseOwner = :me',
        names: { '#v': 'version' },
        values: { ':v': job.version, ':me': this.worker },
      },
    );
    return readRevocationJob(item);
  }

  private async lease(tenantId: string): Promise<RevocationJobRecord | undefined> {
    const { pk, sk } = revocationKey(tenantId);
    const now = this.now();
    try {
      const item = await this.deps.db.update(
        pk,
        sk,
        { leaseOwner: this.worker, leaseUntil: now + this.leaseMs },
        {
          expression:
            '#s <> :done AND (attribute_not_exists(leaseOwner) OR leaseUntil < :now OR leaseOwner = :me)',
          names: { '#s': 'status' },
          values: { ':done': 'done', ':now': now, ':me': this.worker },
        },
      );
      return readRevocationJob(item);
    } catch (err) {
      if (err instanceof ConditionFailed) return undefined;
      throw err;
    }
  }

  private async release(tenantId: string): Promise<void> {
    const { pk, sk } = revocationKey(tenantId);
    await this.deps.db
      .update(
        pk,
        sk,
        { leaseOwner: undefined, leaseUntil: undefined },
        { expression: 'leaseOwner = :me', values: { ':me': this.worker } },
      )
      .catch((err) => ignoreLost(err));
  }
}

/** The API's view of a job. */
export function progressOf(job: RevocationJobRecord): RevocationProgress {
  const total = Math.max(job.total, job.revoked + job.failed);
  return {
    total,
    revoked: job.revoked,
    failed: job.failed,
    pending: job.status === 'running' ? total - job.revoked - job.failed : 0,
    startedAt: job.startedAt,
    ...(job.status === 'running' ? {} : { finishedAt: job.finishedAt ?? job.startedAt }),
  };
}

function answerOf(job: RevocationJobRecord): RevocationAnswer {
  if (job.status === 'running') {
    return { tenantId: job.tenantId, status: 'revoking', revocation: progressOf(job) };
  }
  return {
    tenantId: job.tenantId,
    status: 'revoked',
    connections: { revoked: job.revoked, failed: job.failed },
  };
}

function legacyJob(
  tenantId: string,
  actor: string,
  revoked: number,
  failed: number,
  at: string,
): RevocationJobRecord {
  const ms = Date.parse(at);
  return {
    tenantId,
    actor,
    status: 'done',
    startedAt: at,
    startedMs: ms,
    finishedAt: at,
    total: revoked + failed,
    revoked,
    failed,
    retrying: 0,
    round: 1,
    roundStartedMs: ms,
    nextRunAt: ms,
    sweepAfter: ms,
    giveUpAt: ms,
    version: 0,
  };
}

function missingJob(): never {
  throw notFound('Revocation');
}

function ignoreLost(err: unknown): void {
  if (!(err instanceof ConditionFailed)) throw err;
}
