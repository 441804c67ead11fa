import { invalidRequest } from '../errors.js';
import type { Db } from '../store/db.js';
import {
  allTenantsScope,
  type CounterName,
  connectionCountsSk,
  counterNames,
  readConnectionCounts,
  readCounters,
  statsBucketSk,
  statsPk,
} from '../store/items.js';

export type Bucket = 'hour' | 'day';
export type { CounterName } from '../store/items.js';

/** One bucket of a stats answer: its start and every counter (zero when nothing happened). */
export type StatsBucket = { start: string } & Record<CounterName, number>;

export interface StatsAnswer {
  bucket: Bucket;
  since: string;
  until: string;
  /** Connections now, by provider and status. */
  connections: Record<string, Record<string, number>>;
  buckets: StatsBucket[];
}

export interface StatsOptions {
  db: Db;
  now?: () => number;
  /** How long counts wait in memory before one `ADD` per bucket writes them. Default 2 s. */
  flushMs?: number;
}

const hourMs = 3_600_000;
const dayMs = 24 * hourMs;
/** At most this many buckets in one answer (a month of hours, a year of days). */
export const maxBuckets: Record<Bucket, number> = { hour: 24 * 31, day: 366 };

/** The start of the bucket holding `ms`, as its sort-key suffix (`2026-12-01T09` or `2026-12-01`). */
function bucketStart(bucket: Bucket, ms: number): string {
  const iso = new Date(ms).toISOString();
  return bucket === 'hour' ? iso.slice(0, 13) : iso.slice(0, 10);
}
const startMs = (bucket: Bucket, start: string) =>
  Date.parse(bucket === 'hour' ? `${start}:00:00.000Z` : `${start}T00:00:00.000Z`);

/**
 * Per-tenant and overall counters kept as one item per hour and per day, updated with
 * DynamoDB's atomic `ADD` (so any number of processes count without losing one), and connection
 * counts by provider and status kept the same way. Hot paths (token reads, data calls) count
 * in memory and write once per bucket every `flushMs`, so a request never waits on a counter
 * write; counts of a process that dies before its flush are lost (at most `flushMs` of them).
 */
export class Stats {
  private readonly now: () => number;
  private readonly flushMs: number;
  private pending = new Map<
    string,
    { scope: string; sk: string; counts: Partial<Record<CounterName, number>> }
  >();
  private timer?: ReturnType<typeof setTimeout>;
  private flushing?: Promise<void>;

  constructor(private readonly o: StatsOptions) {
    this.now = o.now ?? Date.now;
    this.flushMs = o.flushMs ?? 2000;
  }

  /** Counts `n` of `name` for a tenant (and overall) in the current hour and day. Never throws. */
  count(tenantId: string, name: CounterName, n = 1): void {
    const at = this.now();
    for (const scope of [tenantId, allTenantsScope]) {
      for (const bucket of ['hour', 'day'] as const) {
        const sk = statsBucketSk(bucket, bucketStart(bucket, at));
        const key = `${scope} ${sk}`;
        let entry = this.pending.get(key);
        if (!entry) {
          entry = { scope, sk, counts: {} };
          this.pending.set(key, entry);
        }
        entry.counts[name] = (entry.counts[name] ?? 0) + n;
      }
    }
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flush().catch(() => undefined), this.flushMs);
      this.timer.unref?.();
    }
  }

  /** Writes every count held in memory (one `ADD` per bucket); counts that fail to write are kept for the next flush. */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flushing;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    if (!batch.length) return;
    this.flushing = (async () => {
      const failed: typeof batch = [];
      await Promise.all(
        batch.map(async (e) => {
          try {
            await this.o.db.add(statsPk(e.scope), e.sk, e.counts as Record<string, number>);
          } catch {
            failed.push(e);
          }
        }),
      );
      for (const e of failed) {
        const key = `${e.scope} ${e.sk}`;
        const now = this.pending.get(key);
        if (!now) this.pending.set(key, e);
        else
          for (const [k, v] of Object.entries(e.counts))
            now.counts[k as CounterName] = (now.counts[k as CounterName] ?? 0) + (v ?? 0);
      }
    })().finally(() => {
      this.flushing = undefined;
    });
    await this.flushing;
  }

  /**
   * Moves one connection between `<provider>.<status>` counts (either side absent for a new or
   * deleted connection), for the tenant and overall. Written at once: these change rarely.
   */
  async connectionMoved(tenantId: string, from?: string, to?: string): Promise<void> {
    if (from === to) return;
    const amounts: Record<string, number> = {};
    if (from) amounts[from] = -1;
    if (to) amounts[to] = (amounts[to] ?? 0) + 1;
    await Promise.all(
      [tenantId, allTenantsScope].map((scope) => this.o.db.add(statsPk(scope), connectionCountsSk, amounts)),
    );
  }

  /** Forgets a tenant's connection counts (its connections are all gone: revoked), overall too. */
  async connectionsGone(tenantId: string): Promise<void> {
    const item = await this.o.db.get(statsPk(tenantId), connectionCountsSk);
    const counts = readConnectionCounts(item);
    const amounts: Record<string, number> = {};
    for (const [provider, byStatus] of Object.entries(counts))
      for (const [status, n] of Object.entries(byStatus)) if (n) amounts[`${provider}.${status}`] = -n;
    if (!Object.keys(amounts).length) return;
    await Promise.all(
      [tenantId, allTenantsScope].map((scope) => this.o.db.add(statsPk(scope), connectionCountsSk, amounts)),
    );
  }

  /**
   * The counters of one tenant (or of all, `scope` {@link allTenantsScope}) per bucket from
   * `since` to `until`, every bucket present (zeros where nothing happened). Reads one item per
   * bucket that had activity, never a scan. Counts this process still holds are written first.
   */
  async read(
    scope: string,
    options: { bucket?: Bucket; since?: string; until?: string },
  ): Promise<StatsAnswer> {
    await this.flush();
    const bucket = options.bucket ?? 'hour';
    const until = options.until ? Date.parse(options.until) : this.now();
    const since = options.since
      ? Date.parse(options.since)
      : until - (bucket === 'hour' ? 24 * hourMs : 30 * dayMs);
    if (!Number.isFinite(since) || !Number.isFinite(until))
      throw invalidRequest('since and until must be ISO-8601 times.');
    if (since > until) throw invalidRequest('since must not be after until.');
    const first = bucketStart(bucket, since);
    const last = bucketStart(bucket, until);
    const step = bucket === 'hour' ? hourMs : dayMs;
    const count = Math.round((startMs(bucket, last) - startMs(bucket, first)) / step) + 1;
    if (count > maxBuckets[bucket])
      throw invalidRequest(`At most ${maxBuckets[bucket]} ${bucket} buckets at once; narrow since/until.`);
    const found = new Map<string, Record<CounterName, number>>();
    for await (const item of this.o.db.queryAll({
      pk: statsPk(scope),
      skBetween: [statsBucketSk(bucket, first), statsBucketSk(bucket, last)],
    })) {
      found.set(String(item.sk), readCounters(item));
    }
    const buckets: StatsBucket[] = [];
    for (let i = 0; i < count; i++) {
      const ms = startMs(bucket, first) + i * step;
      const sk = statsBucketSk(bucket, bucketStart(bucket, ms));
      const zero = Object.fromEntries(counterNames.map((n) => [n, 0])) as Record<CounterName, number>;
      buckets.push({ start: new Date(ms).toISOString(), ...(found.get(sk) ?? zero) });
    }
    const connections = readConnectionCounts(await this.o.db.get(statsPk(scope), connectionCountsSk));
    return {
      bucket,
      since: new Date(since).toISOString(),
      until: new Date(until).toISOString(),
      connections,
      buckets,
    };
  }
}

/** A stats sink that counts nothing (tests of parts that do not care). */
export const noStats = {
  count: () => undefined,
  connectionMoved: async () => undefined,
} satisfies Pick<Stats, 'count' | 'connectionMoved'>;
