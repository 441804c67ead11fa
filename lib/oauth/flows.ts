import { randomBytes } from 'node:crypto';
import type { Config, ProviderName } from '../config.js';
import { type Connection, type Connections, oauthCredentials } from '../connections/index.js';
import { codeOf, invalidRequest, PorticoError } from '../errors.js';
import { isId, newId, safeEqual, sha256Hex } from '../ids.js';
import type { Grant, OAuthApp, OAuthClients } from '../providers/index.js';
import { providers } from '../providers/registry.js';
import type { Db } from '../store/db.js';
import { resolveApp, type Tenants } from '../tenants/index.js';
import type { Vault } from '../vault/index.js';
import { type ImportedGrant, importConnection } from './import.js';
import { pkcePair } from './pkce.js';
import { allowedOrigins, isAllowedReturnUrl } from './return-urls.js';
import { ConnectSessions, type SessionRecord, sessionTtlMs } from './sessions.js';
import { type SigningKey, signConnectToken, verifyConnectToken } from './signing.js';

/**
 * The cookie that binds a browser flow to the browser that opened the connect link. Under https
 * it carries the `__Secure-` prefix (RFC 6265bis, "Cookie Name Prefixes"): a browser takes it only
 * with `Secure` from a secure origin, so a plain-http answer cannot plant or overwrite it.
 */
export const bindingCookie = (sid: string, publicUrl: string) =>
  `${publicUrl.startsWith('https:') ? '__Secure-' : ''}portico_cs_${sid}`;

export interface ConnectSession {
  id: string;
  connectUrl: string;
  expiresAt: string;
}

/** Why a flow failed, as a stable code for the return URL / popup message. */
/** A connect session as `GET /v1/connect-sessions/:id` shows it. */
export interface ConnectSessionState {
  id: string;
  provider: ProviderName;
  endUserId: string;
  status: 'pending' | 'completed' | 'expired' | 'failed';
  expiresAt: string;
  connectionId?: string;
  /** The flow's error code (`access_denied`, `exchange_failed`, …) of a failed or retried attempt. */
  error?: string;
  confirmed: boolean;
}

export type FlowErrorCode =
  | 'access_denied'
  | 'invalid_state'
  | 'expired'
  | 'already_used'
  | 'exchange_failed'
  | 'provider_error';

export class FlowError extends PorticoError {
  override name = 'FlowError';
  constructor(
    readonly flowCode: FlowErrorCode,
    detail: string,
    readonly session?: SessionRecord,
  ) {
    super('invalid_request', detail);
  }
}

export interface ConnectFlowsDeps {
  db: Db;
  vault: Vault;
  tenants: Tenants;
  connections: Connections;
  providers: OAuthClients;
  config: Config;
  signingKey: SigningKey;
  now?: () => number;
}

/** How long a completed flow's `connectCode` lasts at least (beyond the session's own expiry). */
export const connectCodeTtlMs = 10 * 60_000;

/** A state or binding value is kept only as its SHA-256, and compared in constant time. */
const matches = (value: string, hash: string | undefined) =>
  hash !== undefined && safeEqual(sha256Hex(value), hash);

/**
 * The connect flows: the browser web flow (connect link -> provider -> callback), the headless
 * flow (authorization URL + code exchange), and imports of grants obtained elsewhere.
 */
export class ConnectFlows {
  private readonly now: () => number;
  private readonly sessions: ConnectSessions;

  constructor(private readonly deps: ConnectFlowsDeps) {
    this.now = deps.now ?? Date.now;
    this.sessions = new ConnectSessions(deps.db);
  }

  /**
   * Deletes every tenant's sessions past their `ttl` (local mode: the embedded store has no TTL,
   * so end-user ids and return URLs would otherwise stay forever). Answers how many went.
   */
  async purgeExpiredSessions(nowMs = this.now()): Promise<number> {
    let purged = 0;
    let cursor: string | undefined;
    do {
      const page = await this.deps.tenants.list(100, cursor);
      for (const t of page.tenants) purged += await this.sessions.purge(t.id, nowMs);
      cursor = page.nextCursor;
    } while (cursor);
    return purged;
  }

  get redirectUri(): string {
    return `${this.deps.config.publicUrl}/oauth/callback`;
  }

  /** A new session and its signed connect link, for an active tenant whose app is configured. */
  async createSession(
    tenantId: string,
    input: { provider: ProviderName; endUserId: string; returnUrl?: string; scopes?: string[] },
  ): Promise<ConnectSession> {
    const tenant = await this.deps.tenants.requireActive(tenantId);
    if (input.returnUrl && !isAllowedReturnUrl(input.returnUrl, tenant.returnUrls)) {
      throw invalidRequest("returnUrl is not under one of the tenant's returnUrls.");
    }
    // Fail now, not in the user's browser, when no app is configured.
    await resolveApp(this.deps, tenantId, input.provider);
    const id = newId('cs');
    const expires = this.now() + sessionTtlMs;
    await this.sessions.create({
      id,
      tenantId,
      provider: input.provider,
      endUserId: input.endUserId,
      returnUrl: input.returnUrl,
      scopes: input.scopes,
      status: 'pending',
      expiresAt: expires,
      ttl: Math.ceil(expires / 1000) + 3600,
      version: 1,
    });
    const token = await signConnectToken(await this.deps.signingKey.get(), {
      sid: id,
      tid: tenantId,
      exp: Math.floor(expires / 1000),
    });
    return {
      id,
      connectUrl: `${this.deps.config.publicUrl}/connect/${id}?t=${token}`,
      expiresAt: new Date(expires).toISOString(),
    };
  }

  /**
   * Where a tenant's connect session stands: `pending` (the user has not finished), `completed`
   * (with the connection's id once stored), `failed` (with the flow's error code), or `expired`
   * (pending past its 15 minutes). Another tenant's session is `not_found`.
   */
  async sessionState(tenantId: string, sid: string): Promise<ConnectSessionState> {
    const s = await this.sessions.load(sid, tenantId);
    const status = s.status === 'pending' && s.expiresAt <= this.now() ? 'expired' : s.status;
    return {
      id: s.id,
      provider: s.provider,
      endUserId: s.endUserId,
      status,
      expiresAt: new Date(s.expiresAt).toISOString(),
      ...(s.connectionId ? { connectionId: s.connectionId } : {}),
      ...(s.error && status !== 'completed' ? { error: s.error } : {}),
      // Tenants with `requireConfirmation`: whether the backend confirmed the completed flow.
      confirmed: s.confirmedAt !== undefined,
    };
  }

  private usable(s: SessionRecord): void {
    if (s.expiresAt <= this.now())
      throw new FlowError('expired', 'The connect session expired; start again.', s);
    if (s.status !== 'pending')
      throw new FlowError('already_used', 'The connect session was already used.', s);
  }

  /**
   * Prepares an authorization request: a fresh single-use state, PKCE verifier (sealed), and the
   * app. Each call replaces the previous state, so only the latest authorize attempt can finish.
   */
  private async prepare(
    s: SessionRecord,
    mode: 'browser' | 'headless',
    redirectUri: string,
    binding?: string,
  ) {
    const { app, source, scopes, optionalScopes } = await resolveApp(this.deps, s.tenantId, s.provider);
    const state = `${s.id}.${randomBytes(32).toString('base64url')}`;
    const { verifier, challenge } = pkcePair();
    const sealedVerifier = await this.deps.vault.seal(s.tenantId, `session:${s.id}`, verifier);
    const started = await this.sessions.startAttempt(s, {
      stateHash: sha256Hex(state),
      bindingHash: binding ? sha256Hex(binding) : undefined,
      verifier: sealedVerifier,
      mode,
      redirectUri,
      appClientId: app.clientId,
      appSource: source,
    });
    if (!started) throw new FlowError('already_used', 'The connect session changed meanwhile.', s);
    const authorizationUrl = (await this.deps.providers(s.provider)).authorizationUrl({
      app,
      redirectUri,
      scopes: s.scopes ?? scopes,
      optionalScopes,
      state,
      codeChallenge: challenge,
    });
    return { authorizationUrl, state };
  }

  /**
   * `GET /connect/:sid?t=`: checks the signed link before any lookup, then answers the provider
   * URL and a browser-binding value for the cookie.
   */
  async openConnectLink(
    sid: string,
    token: string | undefined,
  ): Promise<{ authorizationUrl: string; binding: string; session: SessionRecord }> {
    if (!token || !isId(sid, 'cs')) throw new FlowError('invalid_state', 'This connect link is not valid.');
    const claims = await verifyConnectToken(await this.deps.signingKey.get(), token, sid);
    if (!claims) throw new FlowError('invalid_state', 'This connect link is not valid or has expired.');
    // The tenant first: a revoked tenant's sessions are deleted, and its links still say "gone".
    if ((await this.deps.tenants.get(claims.tid))?.status !== 'active') {
      throw new FlowError('expired', 'This connect link no longer applies.');
    }
    const s = await this.sessions.load(sid, claims.tid);
    this.usable(s);
    const binding = randomBytes(24).toString('base64url');
    const { authorizationUrl } = await this.prepare(s, 'browser', this.redirectUri, binding);
    return { authorizationUrl, binding, session: s };
  }

  /**
   * What the consent step shows before the browser leaves for the provider: which tenant asks,
   * for which end user, and whether the tenant requires confirmation (it then shows Portico's
   * page first). Checks the link exactly as {@link openConnectLink} does; changes nothing.
   */
  async describeConnectLink(
    sid: string,
    token: string | undefined,
  ): Promise<{
    tenantName: string;
    endUserId: string;
    provider: ProviderName;
    requireConfirmation: boolean;
  }> {
    if (!token || !isId(sid, 'cs')) throw new FlowError('invalid_state', 'This connect link is not valid.');
    const claims = await verifyConnectToken(await this.deps.signingKey.get(), token, sid);
    if (!claims) throw new FlowError('invalid_state', 'This connect link is not valid or has expired.');
    const tenant = await this.deps.tenants.get(claims.tid);
    if (tenant?.status !== 'active') throw new FlowError('expired', 'This connect link no longer applies.');
    const s = await this.sessions.load(sid, claims.tid);
    this.usable(s);
    return {
      tenantName: tenant.name,
      endUserId: s.endUserId,
      provider: s.provider,
      requireConfirmation: tenant.requireConfirmation,
    };
  }

  /** Headless: the raw provider URL for a browser elsewhere, and its state. */
  async authorizationUrl(tenantId: string, sid: string, redirectUri?: string) {
    const s = await this.sessions.load(sid, tenantId);
    this.usable(s);
    return this.prepare(s, 'headless', redirectUri ?? this.redirectUri);
  }

  /** Headless: exchanges a code obtained elsewhere for this session. */
  async exchange(
    tenantId: string,
    sid: string,
    code: string,
    redirectUri: string | undefined,
    actor: string,
  ): Promise<Connection> {
    const s = await this.sessions.load(sid, tenantId);
    this.usable(s);
    if (redirectUri && s.redirectUri && redirectUri !== s.redirectUri) {
      throw invalidRequest('redirectUri differs from the one the authorization URL was made with.');
    }
    return (await this.complete(s, code, redirectUri ?? s.redirectUri ?? this.redirectUri, actor)).connection;
  }

  /**
   * `GET /oauth/callback`: checks state (single use, bound to the session and to the browser
   * cookie for browser flows), then exchanges the code. Whatever fails, nothing is stored.
   */
  async callback(
    query: { code?: string; state?: string; error?: string },
    cookie: (name: string) => string | undefined,
  ): Promise<{ connection: Connection; session: SessionRecord; connectCode: string }> {
    const state = query.state ?? '';
    const sid = state.split('.')[0] ?? '';
    if (!state || !isId(sid, 'cs'))
      throw new FlowError('invalid_state', 'The sign-in answer is missing or has a malformed state.');
    let s: SessionRecord;
    try {
      s = await this.sessions.load(sid);
    } catch (err) {
      // Only a missing session is the answer's fault; a store outage stays a 503 (retry the same answer).
      if (!(err instanceof PorticoError) || err.code !== 'not_found') throw err;
      throw new FlowError('invalid_state', 'The sign-in answer does not belong to any connect session.');
    }
    if (!matches(state, s.stateHash)) {
      throw new FlowError('invalid_state', 'The sign-in answer does not match this connect session.', s);
    }
    this.usable(s);
    if (s.mode === 'browser') {
      const binding = cookie(bindingCookie(sid, this.deps.config.publicUrl));
      if (!binding || !matches(binding, s.bindingHash)) {
        throw new FlowError('invalid_state', 'This sign-in was started in another browser.', s);
      }
    }
    if (query.error) {
      await this.sessions.finish(s, 'failed', { error: 'access_denied' });
      throw new FlowError(
        query.error === 'access_denied' ? 'access_denied' : 'provider_error',
        query.error === 'access_denied' ? 'The user denied access.' : 'The provider answered an error.',
        s,
      );
    }
    if (!query.code) throw new FlowError('invalid_state', 'The sign-in answer has no code.', s);
    try {
      const { connection, connectCode } = await this.complete(
        s,
        query.code,
        s.redirectUri ?? this.redirectUri,
        `end-user:${s.endUserId}`,
      );
      return { connection, session: s, connectCode };
    } catch (err) {
      if (err instanceof FlowError) throw err;
      const code = codeOf(err);
      throw new FlowError(
        'provider_error',
        code === 'provider_unavailable'
          ? 'The provider is unavailable; try again.'
          : 'The provider refused the sign-in.',
        s,
      );
    }
  }

  /**
   * Claims the session (single use), exchanges the code, identifies the account, stores the grant,
   * and answers the connection with a single-use `connectCode` for the tenant's backend. A browser
   * flow of a tenant that requires confirmation stores the connection `pending` until then.
   */
  private async complete(
    s: SessionRecord,
    code: string,
    redirectUri: string,
    actor: string,
  ): Promise<{ connection: Connection; connectCode: string }> {
    // A tenant revoked while its user was at the provider stores nothing.
    const tenant = await this.deps.tenants.get(s.tenantId);
    if (tenant?.status !== 'active')
      throw new FlowError('expired', 'This connect session no longer applies.', s);
    // The code (and a pending connection) last as long as the session, and at least 10 minutes.
    const codeUntil = Math.max(s.expiresAt, this.now() + connectCodeTtlMs);
    const pendingUntil = s.mode === 'browser' && tenant.requireConfirmation ? codeUntil : undefined;
    // Claim first: a replayed callback or a second exchange loses here.
    if (!(await this.sessions.finish(s, 'completed', { completedAt: this.now() }))) {
      throw new FlowError('already_used', 'The connect session was already used.', s);
    }
    const claimedVersion = s.version;
    const { app, source } = await resolveApp(this.deps, s.tenantId, s.provider);
    if (s.appClientId && s.appClientId !== app.clientId) {
      throw new FlowError(
        'exchange_failed',
        "The tenant's OAuth app changed during the sign-in; start again.",
        s,
      );
    }
    const verifier = s.verifier
      ? await this.deps.vault.openString(s.tenantId, `session:${s.id}`, s.verifier)
      : undefined;
    const p = await this.deps.providers(s.provider);
    let grant: Grant;
    try {
      grant = await p.exchangeCode({ app, code, redirectUri, codeVerifier: verifier });
    } catch (err) {
      const code = codeOf(err);
      if (code === 'provider_unavailable' || code === 'rate_limited') {
        // The provider never took the code: give the session back, so the same code can be tried again.
        await this.sessions.giveBack(s, claimedVersion);
      } else {
        await this.sessions.noteError(s, code ?? 'error');
      }
      if (err instanceof PorticoError && err.code === 'invalid_request') {
        throw new FlowError('exchange_failed', err.message, s);
      }
      throw err;
    }
    try {
      return await this.store(s, grant, app, source, actor, claimedVersion, { codeUntil, pendingUntil });
    } catch (err) {
      // The provider issued a grant we could not keep: revoke it (best effort) rather than leak it.
      await p.revoke({ app, grant }).catch(() => undefined);
      throw err;
    }
  }

  private async store(
    s: SessionRecord,
    grant: Grant,
    app: OAuthApp,
    source: 'platform' | 'tenant',
    actor: string,
    claimedVersion: number,
    timing: { codeUntil: number; pendingUntil?: number },
  ): Promise<{ connection: Connection; connectCode: string }> {
    const declared = providers.get(s.provider);
    if (declared.requiresRefreshToken && !grant.refreshToken) {
      throw new FlowError(
        'exchange_failed',
        `${declared.displayName} issued no refresh token (offline access was not granted).`,
        s,
      );
    }
    const account = await (await this.deps.providers(s.provider)).identify(grant);
    const { connection } = await this.deps.connections.saveGrant({
      tenantId: s.tenantId,
      provider: s.provider,
      endUserId: s.endUserId,
      account,
      authScheme: 'oauth2',
      credentials: oauthCredentials(grant, app, source),
      scopes: grant.scopes.length ? grant.scopes : (s.scopes ?? []),
      expiresAt: grant.expiresAt,
      actor,
      pendingUntil: timing.pendingUntil,
    });
    // A revocation that began during the exchange must not miss this grant: look again after the
    // write, and if so delete it (the caller then revokes the grant from memory).
    if ((await this.deps.tenants.get(s.tenantId))?.status !== 'active') {
      await this.deps.connections.discard(s.tenantId, connection.id, actor);
      throw new FlowError('expired', 'This connect session no longer applies.', s);
    }
    const connectCode = randomBytes(24).toString('base64url');
    await this.sessions.attachConnection(s, connection.id, claimedVersion, {
      connectCodeHash: sha256Hex(connectCode),
      connectCodeUntil: timing.codeUntil,
    });
    return { connection, connectCode };
  }

  /**
   * `POST /v1/connect-sessions/:id/confirm`: the tenant's backend, which knows which of its users
   * is signed in, confirms the flow that user completed with the `connectCode` the browser brought
   * back (single use, short-lived). A pending connection becomes active; an active one is
   * answered as it is. With `endUserId`, a session of another end user is refused: a connect link
   * forwarded by someone else (phishing) cannot be confirmed for the victim.
   */
  async confirm(
    tenantId: string,
    sid: string,
    input: { connectCode: string; endUserId?: string },
    actor: string,
  ): Promise<Connection> {
    const s = await this.sessions.load(sid, tenantId);
    const refused = () =>
      new PorticoError('invalid_request', 'The connect code is not valid for this session.');
    if (!s.connectionId || !s.connectCodeUntil || s.connectCodeUntil < this.now()) throw refused();
    if (!matches(input.connectCode, s.connectCodeHash)) throw refused();
    if (input.endUserId !== undefined && input.endUserId !== s.endUserId) {
      throw new PorticoError('conflict', 'This connect session belongs to another end user.');
    }
    if (!(await this.sessions.consumeCode(s, this.now()))) throw refused();
    return this.deps.connections.confirm(tenantId, s.connectionId, actor);
  }

  /** Imports a grant obtained elsewhere, checked against the provider before it is stored. */
  importConnection(tenantId: string, input: ImportedGrant, actor: string): Promise<Connection> {
    return importConnection(this.deps, tenantId, input, actor);
  }

  /** The tenant's allowed origins for the popup's postMessage (never `*`). */
  async allowedOrigins(tenantId: string): Promise<string[]> {
    const tenant = await this.deps.tenants.get(tenantId);
    return allowedOrigins(this.deps.config.publicUrl, tenant?.returnUrls ?? []);
  }
}
