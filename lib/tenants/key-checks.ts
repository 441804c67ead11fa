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
  private readonly reading = new Map<string, Promise<KeyOwner | undefined>>();
  /** Bumped by every forget: a read begun before it may not be kept. */
  epoch = 0;

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number,
    private readonly max = 10_000,
  ) {}

  /**
   * The owner of a key: a check of the last `ttlMs`, else the read under way for it, else a new
   * read by `load` (its success kept by {@link offer}'s rules). Callers that ask while a read is
   * under way share it (a burst with one key is one GetItem a process); a read that began a
   * moment before the caller asked is within the `ttlMs` this cache already allows. A forget
   * detaches the read under way. With `ttlMs` 0 every caller reads for itself.
   */
  check(hash: string, load: () => Promise<KeyOwner | undefined>): Promise<KeyOwner | undefined> {
    const seen = this.get(hash);
    if (seen) return Promise.resolve(seen);
    if (this.ttlMs <= 0) return load();
    const pending = this.reading.get(hash);
    if (pending) return pending;
    const epoch = this.epoch;
    const read = load().then((owner) => {
      if (owner && this.reading.get(hash) === read) this.offer(hash, owner, epoch);
      return owner;
    });
    const settle = () => {
      if (this.reading.get(hash) === read) this.reading.delete(hash);
    };
    read.then(settle, settle);
    this.reading.set(hash, read);
    return read;
  }

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
    this.reading.delete(hash);
  }

  /** A tenant leaving `active`: none of its keys is reused again by this process. */
  stopTenant(tenantId: string): void {
    this.epoch++;
    if (this.stopped.size >= this.max) this.stopped.clear();
    this.stopped.add(tenantId);
    // Reads under way cannot be told apart by tenant before they answer: detach them all.
    this.reading.clear();
    for (const [hash, owner] of this.checks) if (owner.tenantId === tenantId) this.checks.delete(hash);
  }
}
