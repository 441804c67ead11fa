import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

/** The two providers the sandbox simulates. */
export type Provider = 'hubspot' | 'dropbox';

/** An OAuth app (client) the sandbox accepts. */
export interface SandboxApp {
  clientId: string;
  clientSecret: string;
  name: string;
}

/** A PKCE challenge recorded at authorize time (RFC 7636). */
export interface PkceChallenge {
  challenge: string;
  method: 'S256' | 'plain';
}

/** An authorization code: single use, short-lived, bound to client, redirect URI and PKCE challenge. */
export interface AuthorizationCode {
  code: string;
  clientId: string;
  /** Redirect URI sent to authorize; the token request must repeat it exactly. */
  redirectUri: string;
  scopes: string[];
  /** Normalised account string (see identity.ts). */
  account: string;
  pkce?: PkceChallenge;
  /** Dropbox `token_access_type=offline`: only then does the exchange return a refresh token. */
  offline: boolean;
  expiresAt: number;
  used: boolean;
}

/** What a user approved: one refresh token (when offline) and the access tokens minted from it. */
export interface Grant {
  id: string;
  clientId: string;
  account: string;
  scopes: string[];
  refreshToken?: string;
  revoked: boolean;
  /** Created through PKCE without a client secret: refreshes may also omit the secret. */
  publicClient: boolean;
}

/** An access token: OAuth (expires) or a HubSpot private-app token (never expires, no grant). */
export interface AccessTokenRecord {
  token: string;
  kind: 'oauth' | 'private_app';
  grantId?: string;
  clientId?: string;
  account: string;
  /** Set for HubSpot private-app tokens, which name a portal rather than an account string. */
  hubId?: number;
  scopes: string[];
  /** Epoch ms; `null` for tokens that never expire. */
  expiresAt: number | null;
  revoked: boolean;
}

/** Result of looking an access token up at a data route. */
export type AccessCheck =
  | { status: 'ok'; record: AccessTokenRecord }
  | { status: 'expired'; record: AccessTokenRecord }
  | { status: 'unknown' };

/** Provider-specific token spellings (HubSpot `na1-…` refresh tokens, Dropbox `sl.…` access tokens). */
export interface TokenFormats {
  accessToken(): string;
  refreshToken(): string;
  code(): string;
}

/** Codes live 10 minutes, like HubSpot's and Dropbox's. */
export const CODE_TTL_MS = 10 * 60 * 1000;

/** URL-safe random string of `bytes` random bytes. */
export function randomToken(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

/** Random UUID (HubSpot-style refresh tokens and correlation ids). */
export function uuid(): string {
  return randomUUID();
}

const VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

/** Whether a `code_challenge` is well formed for its method (RFC 7636 §4.2). */
export function isValidChallenge(challenge: string, method: string): method is PkceChallenge['method'] {
  if (method === 'S256') return /^[A-Za-z0-9_-]{43}$/.test(challenge);
  if (method === 'plain') return VERIFIER.test(challenge);
  return false;
}

/** Checks a `code_verifier` against the recorded challenge (RFC 7636 §4.6), in constant time. */
export function verifyPkce(pkce: PkceChallenge, verifier: string | undefined): boolean {
  if (!verifier || !VERIFIER.test(verifier)) return false;
  const derived =
    pkce.method === 'S256' ? createHash('sha256').update(verifier).digest('base64url') : verifier;
  const a = Buffer.from(derived);
  const b = Buffer.from(pkce.challenge);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Compares two secrets in constant time. */
export function secretsEqual(a: string, b: string): boolean {
  const x = createHash('sha256').update(a).digest();
  const y = createHash('sha256').update(b).digest();
  return timingSafeEqual(x, y);
}

/**
 * One provider's OAuth server state: apps, codes, grants and access tokens. Pure
 * bookkeeping; the HTTP quirks of each provider live in its own route file.
 */
export class OAuthStore {
  readonly apps = new Map<string, SandboxApp>();
  readonly codes = new Map<string, AuthorizationCode>();
  readonly grants = new Map<string, Grant>();
  readonly grantsByRefreshToken = new Map<string, Grant>();
  readonly accessTokens = new Map<string, AccessTokenRecord>();

  constructor(
    readonly provider: Provider,
    private readonly formats: TokenFormats,
    private readonly now: () => number,
    /** Seconds an access token lives. */
    readonly accessTtlSeconds: number,
  ) {}

  /** Registers (or replaces) an app. */
  registerApp(app: SandboxApp): void {
    this.apps.set(app.clientId, { ...app });
  }

  /** Records a fresh authorization code. */
  issueCode(input: Omit<AuthorizationCode, 'code' | 'expiresAt' | 'used'>): AuthorizationCode {
    const code: AuthorizationCode = {
      ...input,
      code: this.formats.code(),
      expiresAt: this.now() + CODE_TTL_MS,
      used: false,
    };
    this.codes.set(code.code, code);
    return code;
  }

  /** Creates a grant; `offline` decides whether it carries a refresh token. */
  createGrant(input: {
    clientId: string;
    account: string;
    scopes: string[];
    offline: boolean;
    publicClient: boolean;
  }): Grant {
    const grant: Grant = {
      id: uuid(),
      clientId: input.clientId,
      account: input.account,
      scopes: [...input.scopes],
      revoked: false,
      publicClient: input.publicClient,
      ...(input.offline ? { refreshToken: this.formats.refreshToken() } : {}),
    };
    this.grants.set(grant.id, grant);
    if (grant.refreshToken) this.grantsByRefreshToken.set(grant.refreshToken, grant);
    return grant;
  }

  /** Mints an access token under a grant, living {@link accessTtlSeconds}. */
  issueAccessToken(grant: Grant): AccessTokenRecord {
    const record: AccessTokenRecord = {
      token: this.formats.accessToken(),
      kind: 'oauth',
      grantId: grant.id,
      clientId: grant.clientId,
      account: grant.account,
      scopes: [...grant.scopes],
      expiresAt: this.now() + this.accessTtlSeconds * 1000,
      revoked: false,
    };
    this.accessTokens.set(record.token, record);
    return record;
  }

  /** Registers a token that never expires and belongs to no grant (HubSpot private apps). */
  addStaticToken(token: string, account: string, scopes: string[], hubId?: number): AccessTokenRecord {
    const record: AccessTokenRecord = {
      token,
      kind: 'private_app',
      account,
      scopes: [...scopes],
      expiresAt: null,
      revoked: false,
      ...(hubId === undefined ? {} : { hubId }),
    };
    this.accessTokens.set(token, record);
    return record;
  }

  /** The live grant behind a refresh token, if any. */
  grantForRefreshToken(refreshToken: string | undefined): Grant | undefined {
    if (!refreshToken) return undefined;
    const grant = this.grantsByRefreshToken.get(refreshToken);
    return grant && !grant.revoked ? grant : undefined;
  }

  /** Looks an access token up: revoked tokens are as unknown as never-issued ones. */
  checkAccessToken(token: string | undefined): AccessCheck {
    const record = token ? this.accessTokens.get(token) : undefined;
    if (!record || record.revoked) return { status: 'unknown' };
    if (record.expiresAt !== null && record.expiresAt <= this.now()) return { status: 'expired', record };
    return { status: 'ok', record };
  }

  /** Revokes a grant's refresh token and, when asked, every access token minted from it. */
  revokeGrant(grant: Grant, alsoAccessTokens: boolean): void {
    grant.revoked = true;
    if (!alsoAccessTokens) return;
    for (const record of this.accessTokens.values()) {
      if (record.grantId === grant.id) record.revoked = true;
    }
  }

  /** Expires one access token, or every OAuth access token, now. Returns how many changed. */
  expireAccessTokens(token?: string): number {
    let n = 0;
    const past = this.now() - 1000;
    for (const record of this.accessTokens.values()) {
      if (record.kind !== 'oauth' || (token !== undefined && record.token !== token)) continue;
      if (record.expiresAt === null || record.expiresAt > past) {
        record.expiresAt = past;
        n++;
      }
    }
    return n;
  }

  /** Revokes every live grant's refresh token. Returns how many. */
  revokeAllGrants(alsoAccessTokens: boolean): number {
    let n = 0;
    for (const grant of this.grants.values()) {
      if (grant.revoked) continue;
      this.revokeGrant(grant, alsoAccessTokens);
      n++;
    }
    return n;
  }

  /** Seconds until an access token expires (0 when past), as token answers report it. */
  secondsLeft(record: AccessTokenRecord): number {
    if (record.expiresAt === null) return 0;
    return Math.max(0, Math.round((record.expiresAt - this.now()) / 1000));
  }
}
