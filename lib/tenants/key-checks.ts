/** Who a key belongs to, as its lookup item says. */
export interface KeyOwner {
  tenantId: string;
  keyId: string;
}

/**
 * Successful API-key checks this process may reuse for `ttlMs` (`CONNECTION_CACHE_MS`), keyed
 * by the key's SHA-256 (raw keys are never kept). Only successes are kept, so a new key works at
 * once. A forgotten key, or a tenant that left `active`, also refuses every check that was
 * already reading the store when it happened (the epoch), so a read racing a delete cannot
 * bring the key back.
 */
export class KeyChecks {
  private readonly checks = new Map<string, KeyOwner & { until: number }>();
  private readonly stopped = new Set<string>();
  /** Bumped by every forget: a read begun before it may not be kept. */
  epoch = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
    private readonly max = 10_000,
  ) {}

  /** The owner of a key checked in the last `ttlMs`, if any. */
  get(hash: string): KeyOwner | undefined {
    const hit = this.checks.get(hash);
    if (!hit) return undefined;
    if (hit.until <= this.now()) {
      this.checks.delete(hash);
      return undefined;
    }
    return { tenantId: hit.tenantId, keyId: hit.keyId };
  }

  /** Keeps a successful check read from the store, unless something was forgotten since `epoch`. */
  offer(hash: string, owner: KeyOwner, epoch: number): void {
    if (this.ttlMs <= 0 || epoch !== this.epoch || this.stopped.has(owner.tenantId)) return;
    if (this.checks.size >= this.max) {
      const oldest = this.checks.keys().next();
      if (!oldest.done) this.checks.delete(oldest.value);
    }
    this.checks.set(hash, { ...owner, until: this.now() + this.ttlMs });
  }

  /** A key deleted through this process: it stops here at once. */
  forget(hash: string): void {
    this.epoch++;
    this.checks.delete(hash);
  }

  /** A tenant leaving `active`: none of its keys is reused again by this process. */
  stopTenant(tenantId: string): void {
    this.epoch++;
    if (this.stopped.size >= this.max) this.stopped.clear();
    this.stopped.add(tenantId);
    for (const [hash, owner] of this.checks) if (owner.tenantId === tenantId) this.checks.delete(hash);
  }
}
