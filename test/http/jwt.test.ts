import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp, testApp } from '../helpers/app.js';
import { closeEmbeddedDynamo } from '../helpers/dynamo.js';

/** An operator's identity provider: a JWKS served on loopback, and tokens signed with its key. */
let t: TestApp;
let server: ReturnType<typeof createServer>;
let keys: Awaited<ReturnType<typeof generateKeyPair>>;
let other: Awaited<ReturnType<typeof generateKeyPair>>;
const issuer = 'https://idp.example.test/';
const audience = 'portico-admin';

beforeAll(async () => {
  keys = await generateKeyPair('ES256');
  other = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(keys.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  t = await testApp({ ADMIN_JWT_ISSUER: issuer, ADMIN_JWT_AUDIENCE: audience, ADMIN_JWKS_URL: jwksUrl });
});
afterAll(async () => {
  server?.close();
  await closeEmbeddedDynamo();
});

function token(
  claims: Record<string, unknown> = {},
  options: { key?: CryptoKey; kid?: string; exp?: string | number } = {},
) {
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: 'ES256', kid: options.kid ?? 'k1' })
    .setIssuer((claims.iss as string) ?? issuer)
    .setAudience((claims.aud as string) ?? audience)
    .setSubject((claims.sub as string) ?? 'operator@example.test')
    .setIssuedAt()
    .setExpirationTime(options.exp ?? '5m')
    .sign(options.key ?? keys.privateKey);
}

describe('admin JWTs', () => {
  it('accepts a valid token from the identity provider, recorded as the actor', async () => {
    const res = await t.call('POST', '/v1/tenants', { key: await token(), body: { name: 'Via JWT' } });
    expect(res.status).toBe(201);
    const { tenant } = await res.json();
    const audit = await t.services.audit.list(tenant.id, { limit: 10 });
    expect(audit.events[0].actor).toBe('jwt:operator@example.test');
  });

  it('refuses expired, foreign, mis-addressed and unsigned tokens', async () => {
    const now = Math.floor(Date.now() / 1000);
    const bad: Record<string, string> = {
      expired: await token({}, { exp: now - 120 }),
      'wrong audience': await token({ aud: 'someone-else' }),
      'wrong issuer': await token({ iss: 'https://evil.test/' }),
      'other key': await token({}, { key: other.privateKey }),
      'unknown kid': await token({}, { key: other.privateKey, kid: 'k2' }),
      hs256: await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer(issuer)
        .setAudience(audience)
        .setSubject('x')
        .setExpirationTime('5m')
        .sign(new TextEncoder().encode('a-shared-secret-that-is-long-enough-32b')),
      none: `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${Buffer.from(
        JSON.stringify({ iss: issuer, aud: audience, sub: 'x', exp: now + 300 }),
      ).toString('base64url')}.`,
    };
    for (const [name, jwt] of Object.entries(bad)) {
      const res = await t.call('GET', '/v1/tenants', { key: jwt });
      expect(res.status, name).toBe(401);
      expect((await res.json()).code).toBe('unauthorized');
    }
  });
});
