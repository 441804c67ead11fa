import { randomBytes } from 'node:crypto';
import { once } from '../once.js';
import type { Db } from '../store/db.js';
import { ConditionFailed } from '../store/db.js';
import { readSigningKey, signingKeyItem, signingKeyKey } from '../store/oauth-items.js';
import { ensureSystemKey, systemTenant } from '../tenants/system.js';
import type { Vault } from '../vault/index.js';

/**
 * The key that signs connect links: `SIGNING_KEY` when given, else 32 random bytes generated once,
 * sealed under the system data key and kept in the table, so every process (and Lambda) shares it.
 */
export class SigningKey {
  constructor(
    private readonly db: Db,
    private readonly vault: Vault,
    private readonly configured?: Uint8Array,
  ) {}

  /** The key, loaded (or created) once; a failed load is tried again on the next call. */
  readonly get: () => Promise<Uint8Array> = once(() =>
    this.configured ? Promise.resolve(this.configured) : this.load(),
  );

  private async load(): Promise<Uint8Array> {
    const { pk, sk } = signingKeyKey;
    const existing = await this.db.get(pk, sk);
    if (existing) return this.vault.open(systemTenant, 'signing-key', readSigningKey(existing));
    await ensureSystemKey(this.db, this.vault);
    const fresh = randomBytes(32);
    const sealed = await this.vault.seal(systemTenant, 'signing-key', fresh);
    try {
      await this.db.put(signingKeyItem(sealed), { ifNotExists: true });
      return fresh;
    } catch (err) {
      if (!(err instanceof ConditionFailed)) throw err;
      const won = await this.db.get(pk, sk);
      if (!won) throw err;
      return this.vault.open(systemTenant, 'signing-key', readSigningKey(won));
    }
  }
}

const audience = 'portico:connect';

/** Signs a connect-link token (HS256): the session id, its tenant and its expiry. */
export async function signConnectToken(
  key: Uint8Array,
  claims: { sid: string; tid: string; exp: number },
): Promise<string> {
  // Loaded here, not at module init: in Lambda jose is a chunk of its own (./jwt.ts).
  const { SignJWT } = await import('./jwt.js');
  return new SignJWT({ tid: claims.tid })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.sid)
    .setAudience(audience)
    .setExpirationTime(claims.exp)
    .sign(key);
}

/** Verifies a connect-link token; `undefined` when forged, altered, expired or for another session. */
export async function verifyConnectToken(
  key: Uint8Array,
  token: string,
  sid: string,
): Promise<{ tid: string } | undefined> {
  const { jwtVerify } = await import('./jwt.js');
  try {
    const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], audience, subject: sid });
    return typeof payload.tid === 'string' ? { tid: payload.tid } : undefined;
  } catch {
    return undefined;
  }
}
