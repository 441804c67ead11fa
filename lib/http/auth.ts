import { createHash } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { JWTVerifyGetKey } from 'jose';
import { notFound, PorticoError, unauthorized } from '../errors.js';
import { safeEqual } from '../ids.js';
import type { Services } from '../services.js';
import type { AppEnv, Principal } from './context.js';

/** Asymmetric algorithms only: an admin JWT signed with a shared secret (HS*) or `none` is refused. */
export const adminJwtAlgorithms = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'EdDSA',
];

function bearer(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+([\x21-\x7e]+)\s*$/i.exec(header);
  return m?.[1];
}

/**
 * Resolves the principal for a bearer credential: the admin key (compared in constant time), an
 * admin JWT (verified with the operator's JWKS: algorithm allow-list, issuer, audience, expiry),
 * or a tenant key (one GetItem on its hash).
 */
export function createAuthenticator(services: Services) {
  const { config, tenants } = services;
  // Made with the first admin JWT: jose is a chunk of its own in Lambda, loaded by the requests
  // that need it (lib/oauth/jwt.ts).
  let jwks: JWTVerifyGetKey | undefined;

  return async function authenticate(header: string | undefined): Promise<Principal | undefined> {
    const token = bearer(header);
    if (!token) return undefined;
    if (token.startsWith('ptk_')) {
      const found = await tenants.authenticate(token);
      return found && { kind: 'tenant', ...found, actor: `key:${found.keyId}` };
    }
    if (config.adminApiKey && safeEqual(token, config.adminApiKey)) {
      return { kind: 'admin', actor: 'admin-key' };
    }
    if (config.adminJwt && token.split('.').length === 3) {
      const { createRemoteJWKSet, jwtVerify } = await import('../oauth/jwt.js');
      jwks ??= createRemoteJWKSet(new URL(config.adminJwt.jwksUrl), { timeoutDuration: 3000 });
      try {
        const { payload } = await jwtVerify(token, jwks, {
          issuer: config.adminJwt.issuer,
          audience: config.adminJwt.audience,
          algorithms: adminJwtAlgorithms,
          requiredClaims: ['exp', 'sub'],
          clockTolerance: 30,
        });
        return { kind: 'admin', actor: `jwt:${payload.sub}` };
      } catch {
        return undefined;
      }
    }
    return undefined;
  };
}

export function requireAdmin(
  authenticate: ReturnType<typeof createAuthenticator>,
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const p = await authenticate(c.req.header('authorization'));
    if (!p) throw unauthorized();
    if (p.kind !== 'admin') throw new PorticoError('forbidden', 'This route needs an admin credential.');
    c.set('principal', p);
    await next();
  };
}

/**
 * Reads that never call a provider nor answer a token: the only routes that may start before
 * their key check ends. Anything else (`/token`, the proxy, HubDB, Dropbox, refreshes) waits for
 * the check, so a just-deleted key can make no provider call and carry no token out (issue 14).
 */
const readsWithoutProvider = [/^\/v1\/connections\/?$/, /^\/v1\/connections\/[^/]+\/?$/, /^\/v1\/audit\/?$/];

/**
 * Tenant routes. For the store-only reads above whose key this process has seen before, the
 * route starts at once with the tenant the key belonged to (a key never changes tenant) while
 * the key is checked again concurrently; the answer is released only once that check passes,
 * else it is replaced by 401. So a warm read costs one round trip to the store, not two, and a
 * deleted key still stops working at once. Every other route waits for the check.
 */
export function requireTenant(
  authenticate: ReturnType<typeof createAuthenticator>,
  hints: TenantHints = new TenantHints(),
  /** Whether a path is served at all: an admin credential on an unknown path is told `not_found`, like anyone. */
  isRoute: (path: string) => boolean = () => true,
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization');
    const safe =
      (c.req.method === 'GET' || c.req.method === 'HEAD') &&
      readsWithoutProvider.some((route) => route.test(c.req.path));
    const hinted = safe ? hints.get(header) : undefined;
    if (hinted) {
      const check = authenticate(header);
      check.catch(() => undefined);
      c.set('principal', hinted);
      let routeError: unknown;
      try {
        await next();
      } catch (err) {
        routeError = err;
      }
      const p = await check;
      if (p?.kind !== 'tenant' || p.tenantId !== hinted.tenantId) {
        hints.drop(header);
        await c.res?.body?.cancel().catch(() => {});
        throw unauthorized();
      }
      if (routeError) throw routeError;
      return;
    }
    const p = await authenticate(header);
    if (!p) throw unauthorized();
    if (p.kind !== 'tenant') {
      if (!isRoute(c.req.path)) throw notFound(`Route ${c.req.method} ${c.req.path}`);
      throw new PorticoError('forbidden', 'This route needs a tenant API key.');
    }
    hints.set(header, p);
    c.set('principal', p);
    await next();
  };
}

/** Which tenant each recently seen key belongs to (bounded; a hint, never an authorization). */
export class TenantHints {
  private readonly map = new Map<string, Extract<Principal, { kind: 'tenant' }>>();
  constructor(private readonly max = 10_000) {}
  // Keyed by a hash: raw keys are not kept in memory.
  private key = (header: string) => createHash('sha256').update(header).digest('base64');
  get(header: string | undefined) {
    return header ? this.map.get(this.key(header)) : undefined;
  }
  set(header: string | undefined, p: Extract<Principal, { kind: 'tenant' }>) {
    if (!header) return;
    if (this.map.size >= this.max) this.map.delete(this.map.keys().next().value as string);
    this.map.set(this.key(header), p);
  }
  drop(header: string | undefined) {
    if (header) this.map.delete(this.key(header));
  }
}

/** The tenant of a tenant route's caller (tenant routes run behind {@link requireTenant}). */
export function tenantOf(p: Principal): string {
  if (p.kind !== 'tenant') throw new Error('unreachable: tenant routes run behind requireTenant');
  return p.tenantId;
}
