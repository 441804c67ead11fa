import type { MiddlewareHandler } from 'hono';
import { createRemoteJWKSet, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { PorticoError, unauthorized } from '../errors.js';
import { safeEqual } from '../ids.js';
import type { AppEnv, Principal, Services } from './context.js';

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
  let jwks: JWTVerifyGetKey | undefined;
  if (config.adminJwt) jwks = createRemoteJWKSet(new URL(config.adminJwt.jwksUrl), { timeoutDuration: 3000 });

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
    if (jwks && config.adminJwt && token.split('.').length === 3) {
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

export function requireTenant(
  authenticate: ReturnType<typeof createAuthenticator>,
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const p = await authenticate(c.req.header('authorization'));
    if (!p) throw unauthorized();
    if (p.kind !== 'tenant') throw new PorticoError('forbidden', 'This route needs a tenant API key.');
    c.set('principal', p);
    await next();
  };
}
