import type { ConnectionRecord } from '../store/items.js';
import { refreshWindowMs } from './model.js';

/**
 * The short read cache of the hot read paths (token reads, data routes): a connection this
 * process read in the last `ttlMs`. Only active connections whose token stays fresh past the
 * copy's life are kept, so a cached copy never hides a refresh; writes of this process drop it.
 */
export class RecentConnections {
  private readonly recent = new Map<string, { record: ConnectionRecord; until: number }>();

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
  }
}
