import { randomBytes } from 'node:crypto';
import type { ProviderName } from '../config.js';
import { invalidRequest, NeedsReauthError, PorticoError, TokenRejected } from '../errors.js';
import { once } from '../once.js';
import type { ConnectionRecord } from '../store/items.js';
import { type AccessToken, bearer, refreshWindowMs } from './model.js';
import type { Renewal, TokenRefresherDeps } from './renew.js';

export type { TokenRefresherDeps } from './renew.js';

/**
 * The refresh itself (./renew.ts: the lease, the provider call, the grant's new state), loaded by
 * the first token that needs one: in Lambda a chunk beside the bundle, so a cold start whose
 * tokens are fresh neither parses nor runs it. A failed load is forgotten (`once`).
 */
const loadRenewal = once(() => import('./renew.js'));

/**
 * Fresh access tokens, refreshed exactly once however many callers and processes ask at the
 * same time: a promise per connection in process, a lease taken with a conditional update across
 * processes (docs/design.md, "OAuth"). A dead grant marks the connection `needs_reauth`; a
 * transient failure never does.
 */
export class TokenRefresher {
  private readonly inflight = new Map<string, Promise<AccessToken>>();
  private readonly renewal: Renewal;

  constructor(private readonly deps: TokenRefresherDeps) {
    this.renewal = {
      deps,
      owner: randomBytes(8).toString('hex'),
      sleep: deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
    };
  }

  /**
   * A usable access token: the stored one while it has more than 5 minutes left, else a
   * refreshed one (single-flight). `force` refreshes now, unless someone else refreshed since.
   */
  async accessToken(c: ConnectionRecord, options: { force?: boolean } = {}): Promise<AccessToken> {
    if (c.status === 'needs_reauth') throw new NeedsReauthError();
    const creds = await this.deps.store.openCredentials(c);
    if (c.authScheme === 'private_app') return bearer(creds.token!, undefined);
    if (
      !options.force &&
      creds.accessToken &&
      (!c.expiresAt || Date.parse(c.expiresAt) - this.deps.now() > refreshWindowMs)
    ) {
      return bearer(creds.accessToken, c.expiresAt);
    }
    const key = `${c.tenantId}/${c.id}`;
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = loadRenewal()
        .then((r) => r.refreshWithLease(this.renewal, c.tenantId, c.id, c.version, Boolean(options.force)))
        .finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending;
  }

  /**
   * Runs `fn` with a fresh access token. When the provider answers 401 (`fn` throws
   * {@link TokenRejected}), refreshes once and retries.
   */
  async withToken<T>(
    c: ConnectionRecord,
    fn: (token: string, connection: ConnectionRecord) => Promise<T>,
    provider?: ProviderName,
  ): Promise<T> {
    if (provider && c.provider !== provider) {
      throw invalidRequest(`This is a ${c.provider} connection; the route needs a ${provider} connection.`);
    }
    const first = await this.accessToken(c);
    try {
      return await fn(first.accessToken, c);
    } catch (err) {
      if (!(err instanceof TokenRejected) || c.authScheme === 'private_app') {
        if (err instanceof TokenRejected)
          throw new PorticoError('forbidden', 'The provider refused the connection token.');
        throw err;
      }
      const second = await this.accessToken(c, { force: true });
      try {
        return await fn(second.accessToken, c);
      } catch (again) {
        if (again instanceof TokenRejected)
          throw new NeedsReauthError('The provider refused a freshly refreshed token.');
        throw again;
      }
    }
  }
}
