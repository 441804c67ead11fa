/** Options of {@link ProviderLimits}. */
export interface ProviderLimitsOptions {
  /** Calls in flight at once per provider app. Default 8. */
  concurrency?: number;
  /** Calls started per second per provider app. Default 50. */
  perSecond?: number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
}

interface Gate {
  active: number;
  waiting: Array<() => void>;
  /** The earliest the next call may start (epoch ms): the rate, and any pause a 429 asked for. */
  nextStart: number;
  pausedUntil: number;
}

/**
 * Bounds calls to each provider app (`<provider>:<clientId>`): at most `concurrency` in flight and
 * `perSecond` started, and none while the provider asked us to wait (429 `Retry-After`). One
 * app's slowness never holds another's calls back.
 */
export class ProviderLimits {
  private readonly gates = new Map<string, Gate>();
  private readonly concurrency: number;
  private readonly interval: number;

  constructor(private readonly options: ProviderLimitsOptions) {
    this.concurrency = Math.max(1, options.concurrency ?? 8);
    this.interval = 1000 / Math.max(0.001, options.perSecond ?? 50);
  }

  /** Runs `call` once a slot of `app` is free and its rate allows; releases the slot however it ends. */
  async run<T>(app: string, call: () => Promise<T>): Promise<T> {
    const gate = this.gate(app);
    while (gate.active >= this.concurrency) await new Promise<void>((wake) => gate.waiting.push(wake));
    gate.active++;
    try {
      const now = this.options.now();
      const start = Math.max(now, gate.nextStart, gate.pausedUntil);
      gate.nextStart = start + this.interval;
      if (start > now) await this.options.sleep(start - now);
      return await call();
    } finally {
      gate.active--;
      gate.waiting.shift()?.();
    }
  }

  /** Starts no call of `app` before `until` (epoch ms): the provider's `Retry-After`. */
  pause(app: string, until: number): void {
    const gate = this.gate(app);
    gate.pausedUntil = Math.max(gate.pausedUntil, until);
  }

  private gate(app: string): Gate {
    let gate = this.gates.get(app);
    if (!gate) {
      gate = { active: 0, waiting: [], nextStart: 0, pausedUntil: 0 };
      this.gates.set(app, gate);
    }
    return gate;
  }
}
