import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { Provider } from './oauth-store.js';

/** Counters of one provider, as `GET /_control/stats` answers them. */
export interface ProviderStats {
  /** Token endpoint calls by `grant_type` (whatever was sent, `missing` when none). */
  tokenRequests: Record<string, number>;
  /** Successful refresh-token grants. */
  refreshes: number;
  /** Successful revocations (HubSpot refresh-token DELETE, Dropbox token/revoke). */
  revokes: number;
  /** Requests to data routes (HubDB, account info, Dropbox RPC and content). */
  dataRequests: number;
  /** Consent decisions. */
  authorizations: { approved: number; denied: number };
  /** Requests a fault was applied to. */
  faultsInjected: number;
  /** Requests per route, keyed `METHOD /provider/route/:param`. */
  routes: Record<string, number>;
}

/** Counters of both providers. */
export type SandboxStats = Record<Provider, ProviderStats>;

function emptyStats(): ProviderStats {
  return {
    tokenRequests: {},
    refreshes: 0,
    revokes: 0,
    dataRequests: 0,
    authorizations: { approved: 0, denied: 0 },
    faultsInjected: 0,
    routes: {},
  };
}

/** Mutable counters; {@link StatsStore.snapshot} hands out copies. */
export class StatsStore {
  private current: SandboxStats = { hubspot: emptyStats(), dropbox: emptyStats() };

  /** The live counters of a provider (for incrementing). */
  of(provider: Provider): ProviderStats {
    return this.current[provider];
  }

  /** Counts a token endpoint call. */
  tokenRequest(provider: Provider, grantType: string | undefined): void {
    const key = grantType || 'missing';
    const counters = this.current[provider].tokenRequests;
    counters[key] = (counters[key] ?? 0) + 1;
  }

  /** A deep copy of the counters. */
  snapshot(): SandboxStats {
    return structuredClone(this.current);
  }

  /** Zeroes every counter. */
  reset(): void {
    this.current = { hubspot: emptyStats(), dropbox: emptyStats() };
  }
}

/**
 * Counts each request under its route pattern. The key drops whatever prefix the
 * sandbox is mounted under, so it reads the same at `/sandbox` and on its own port.
 */
export function routeCounter(stats: StatsStore, provider: Provider): MiddlewareHandler {
  return async (c, next) => {
    await next();
    // The route that answered; when a middleware answered (auth, faults), the route it guarded.
    const routes = matchedRoutes(c);
    const responder = routes[c.req.routeIndex];
    const guarded = routes.findLast((r) => r.method !== 'ALL');
    const pattern = (responder?.method === 'ALL' ? (guarded ?? responder) : responder)?.path ?? '';
    const at = pattern.indexOf(`/${provider}/`);
    const key = `${c.req.method} ${at >= 0 ? pattern.slice(at) : new URL(c.req.url).pathname}`;
    const counts = stats.of(provider).routes;
    counts[key] = (counts[key] ?? 0) + 1;
  };
}
