import type { ConnectionRecord } from '../store/items.js';
import { refreshWindowMs } from './model.js';

/**
 * The short read cache of the hot read paths (token reads, data routes): a connection this
 * process read in the last `ttlMs`. Only active connections whose token stays fresh past the
 * copy's life are kept, so a cached copy never hides a refresh; writes of this process drop it.
 */
export class RecentConnections {
  private readonly recent = new Map<string, { record: ConnectionRecord; until: number }>();
  private readonly reading = new Map<string, Promise<ConnectionRecord>>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
    private readonly max = 10_000,
  ) {}

  /** The copy read within the last `ttlMs`, if any. */
  get(tenantId: string, id: string): ConnectionRecord | undefined {
    const hit = this.recent.get(`${tenantId}/${id}`);
    return hit && hit.until > this.now() ? hit.record : undefined;
  }

  /**
   * The copy read within the last `ttlMs`, else the read already under way for it, else a new
   * read by `load` (kept when {@link offer} allows): concurrent callers of one process share one
   * read (a burst on one connection is one GetItem, not one each). Sharing a read that began a
   * moment before the caller asked is within the `ttlMs` staleness this cache already allows; with
   * `ttlMs` 0 every caller reads for itself. A write of this process ({@link forget}) detaches the
   * read under way, so callers after the write read again.
   */
  read(tenantId: string, id: string, load: () => Promise<ConnectionRecord>): Promise<ConnectionRecord> {
    const hit = this.get(tenantId, id);
    if (hit) return Promise.resolve(hit);
    if (this.ttlMs <= 0) return load();
    const key = `${tenantId}/${id}`;
    const pending = this.reading.get(key);
    if (pending) return pending;
    const read = load().then((record) => {
      // Kept only when no write of this process came meanwhile.
      if (this.reading.get(key) === read) this.offer(record);
      return record;
    });
    const settle = () => {
      if (this.reading.get(key) === read) this.reading.delete(key);
    };
    read.then(settle, settle);
    this.reading.set(key, read);
    return read;
  }

  /** Keeps a freshly read connection, when it is safe to reuse for `ttlMs`. */
  offer(record: ConnectionRecord): void {
    const now = this.now();
    const expiresAt = record.expiresAt ? Date.parse(record.expiresAt) : Number.POSITIVE_INFINITY;
    if (this.ttlMs <= 0 || record.status !== 'active' || expiresAt - now <= refreshWindowMs + this.ttlMs)
      return;
    const oldest = this.recent.keys().next();
    if (this.recent.size >= this.max && !oldest.done) this.recent.delete(oldest.value);
    this.recent.set(`${record.tenantId}/${record.id}`, { record, until: now + this.ttlMs });
  }

  forget(tenantId: string, id: string): void {
    this.recent.delete(`${tenantId}/${id}`);
    this.reading.delete(`${tenantId}/${id}`);
  }
}
