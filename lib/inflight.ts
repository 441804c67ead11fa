/**
 * Work still running (requests, webhook drains, refresh sweeps), so that a shutdown can wait for
 * it before closing what it uses (the store), with a bound: closing the embedded DynamoDB under
 * a running query crashes the process.
 */
export class InFlight {
  private readonly running = new Set<Promise<unknown>>();

  /** Runs `work` and keeps its promise until it settles. */
  track<T>(work: Promise<T>): Promise<T> {
    this.running.add(work);
    const done = () => this.running.delete(work);
    work.then(done, done);
    return work;
  }

  get size(): number {
    return this.running.size;
  }

  /**
   * Resolves once everything tracked (including work started while waiting) has settled, or
   * after `timeoutMs`; answers whether everything settled.
   */
  async settle(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.running.size > 0) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((r) => {
        timer = setTimeout(() => r('timeout'), left);
      });
      const outcome = await Promise.race([Promise.allSettled([...this.running]), timeout]);
      clearTimeout(timer);
      if (outcome === 'timeout') return false;
    }
    return true;
  }
}
