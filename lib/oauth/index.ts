import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Config, ProviderName } from '../config.js';
import type { Connection, Connections } from '../connections/index.js';
import type { SealedCredentials } from '../connections/model.js';
import { invalidRequest, notFound, PorticoError } from '../errors.js';
import { isId, newId } from '../ids.js';
import type { ProviderOAuth } from '../providers/index.js';
import { InvalidGrantError } from '../providers/index.js';
import { ConditionFailed, type Db, type Item } from '../store/db.js';
import type { Tenants } from '../tenants/index.js';
import type { Vault } from '../vault/index.js';
import { type SigningKey, signConnectToken, verifyConnectToken } from './signing.js';

/** A connect session lives 15 minutes and completes once (API.md). */
export const sessionTtlMs = 15 * 60_000;
export const bindingCookie = (sid: string) => `portico_cs_${sid}`;

const sessionPk = (sid: string) => `SESSION#${sid}`;
const sha = (v: string) => createHash('sha256').update(v).digest('hex');
const eq = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

export interface ConnectSession {
  id: string;
  connectUrl: string;
  expiresAt: string;
}

/** Why a flow failed, as a stable code for the return URL / popup message. */
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
    readonly session?: Item,
  ) {
    super('invalid_request', detail);
  }
}

export interface ConnectFlowsDeps {
  db: Db;
  vault: Vault;
  tenants: Tenants;
  connections: Connections;
  providers: Record<ProviderName, ProviderOAuth>;
  config: Config;
  signingKey: SigningKey;
  now?: () => number;
}

/** PKCE S256 (RFC 7636): a 256-bit verifier and its SHA-256 challenge. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** True when `url` is under one of `allowed`: the same origin and a path prefix (API.md). */
export function isAllowedReturnUrl(url: string, allowed: string[]): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.username || u.password || (u.protocol !== 'https:' && u.protocol !== 'http:')) return false;
  return allowed.some((a) => {
    const base = new URL(a);
    if (base.origin !== u.origin) return false;
    const prefix = base.pathname.endsWith('/') ? base.pathname : `${base.pathname}/`;
    return u.pathname === base.pathname || u.pathname.startsWith(prefix) || base.pathname === '/';
  });
}

/**
 * The connect flows: the browser web flow (connect link -> provider -> callback), the headless
 * flow (authorization URL + code exchange), and imports of grants obtained elsewhere.
 */
export class ConnectFlows {
  private readonly now: () => number;

  constructor(private readonly deps: ConnectFlowsDeps) {
    this.now = deps.now ?? Date.now;
  }

  get redirectUri(): string {
    return `${this.deps.config.publicUrl}/oauth/callback`;
  }

  async createSession(
    tenantId: string,
    input: { provider: ProviderName; endUserId: string; returnUrl?: string; scopes?: string[] },
  ): Promise<ConnectSession> {
    const tenant = await this.deps.tenants.requireActive(tenantId);
    if (input.returnUrl && !isAllowedReturnUrl(input.returnUrl, tenant.returnUrls)) {
      throw invalidRequest("returnUrl is not under one of the tenant's returnUrls.");
    }
    // Fail now, not in the user's browser, when no app is configured.
    await this.deps.connections.resolveApp(tenantId, input.provider);
    const id = newId('cs');
    const expires = this.now() + sessionTtlMs;
    await this.deps.db.put(
      {
        pk: sessionPk(id),
        sk: 'SESSION',
        type: 'session',
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
      },
      { ifNotExists: true },
    );
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

  private async loadSession(sid: string, tenantId?: string): Promise<Item> {
    if (!isId(sid, 'cs')) throw notFound('Connect session');
    const item = await this.deps.db.get(sessionPk(sid), 'SESSION');
    if (!item || (tenantId && item.tenantId !== tenantId)) throw notFound('Connect session');
    return item;
  }

  private usable(item: Item): void {
    if ((item.expiresAt as number) <= this.now())
      throw new FlowError('expired', 'The connect session expired; start again.', item);
    if (item.status !== 'pending')
      throw new FlowError('already_used', 'The connect session was already used.', item);
  }

  /**
   * Prepares an authorization request: a fresh single-use state, PKCE verifier (sealed), and the
   * app. Each call replaces the previous state, so only the latest authorize attempt can finish.
   */
  private async prepare(item: Item, mode: 'browser' | 'headless', redirectUri: string, binding?: string) {
    const tenantId = item.tenantId as string;
    const provider = item.provider as ProviderName;
    const { app, source, scopes } = await this.deps.connections.resolveApp(tenantId, provider);
    const state = `${item.id}.${randomBytes(32).toString('base64url')}`;
    const { verifier, challenge } = pkcePair();
    const sealedVerifier = await this.deps.vault.seal(tenantId, `session:${item.id}`, verifier);
    try {
      await this.deps.db.update(
        sessionPk(item.id as string),
        'SESSION',
        {
          stateHash: sha(state),
          bindingHash: binding ? sha(binding) : undefined,
          verifier: sealedVerifier,
          mode,
          redirectUri,
          appClientId: app.clientId,
          appSource: source,
          version: (item.version as number) + 1,
        },
        {
          expression: '#v = :v AND #s = :pending',
          names: { '#v': 'version', '#s': 'status' },
          values: { ':v': item.version, ':pending': 'pending' },
        },
      );
    } catch (err) {
      if (err instanceof ConditionFailed)
        throw new FlowError('already_used', 'The connect session changed meanwhile.', item);
      throw err;
    }
    const authorizationUrl = this.deps.providers[provider].authorizationUrl({
      app,
      redirectUri,
      scopes: (item.scopes as string[] | undefined) ?? scopes,
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
  ): Promise<{ authorizationUrl: string; binding: string; session: Item }> {
    if (!token || !isId(sid, 'cs')) throw new FlowError('invalid_state', 'This connect link is not valid.');
    const claims = await verifyConnectToken(await this.deps.signingKey.get(), token, sid);
    if (!claims) throw new FlowError('invalid_state', 'This connect link is not valid or has expired.');
    const item = await this.loadSession(sid, claims.tid);
    this.usable(item);
    if ((await this.deps.tenants.get(claims.tid))?.status !== 'active') {
      throw new FlowError('expired', 'This connect link no longer applies.', item);
    }
    const binding = randomBytes(24).toString('base64url');
    const { authorizationUrl } = await this.prepare(item, 'browser', this.redirectUri, binding);
    return { authorizationUrl, binding, session: item };
  }

  /** Headless: the raw provider URL for a browser elsewhere, and its state. */
  async authorizationUrl(tenantId: string, sid: string, redirectUri?: string) {
    const item = await this.loadSession(sid, tenantId);
    this.usable(item);
    return this.prepare(item, 'headless', redirectUri ?? this.redirectUri);
  }

  /** Headless: exchanges a code obtained elsewhere for this session. */
  async exchange(
    tenantId: string,
    sid: string,
    code: string,
    redirectUri: string | undefined,
    actor: string,
  ): Promise<Connection> {
    const item = await this.loadSession(sid, tenantId);
    this.usable(item);
    if (redirectUri && item.redirectUri && redirectUri !== item.redirectUri) {
      throw invalidRequest('redirectUri differs from the one the authorization URL was made with.');
    }
    return this.complete(
      item,
      code,
      redirectUri ?? (item.redirectUri as string | undefined) ?? this.redirectUri,
      actor,
    );
  }

  /**
   * `GET /oauth/callback`: checks state (single use, bound to the session and to the browser
   * cookie for browser flows), then exchanges the code. Whatever fails, nothing is stored.
   */
  async callback(
    query: { code?: string; state?: string; error?: string },
    cookie: (name: string) => string | undefined,
  ) {
    const state = query.state ?? '';
    const sid = state.split('.')[0] ?? '';
    if (!state || !isId(sid, 'cs'))
      throw new FlowError('invalid_state', 'The sign-in answer is missing or has a malformed state.');
    let item: Item;
    try {
      item = await this.loadSession(sid);
    } catch (err) {
      // Only a missing session is the answer's fault; a store outage stays a 503 (retry the same answer).
      if (!(err instanceof PorticoError) || err.code !== 'not_found') throw err;
      throw new FlowError('invalid_state', 'The sign-in answer does not belong to any connect session.');
    }
    if (!item.stateHash || !eq(sha(state), item.stateHash as string)) {
      throw new FlowError('invalid_state', 'The sign-in answer does not match this connect session.', item);
    }
    this.usable(item);
    if (item.mode === 'browser') {
      const binding = cookie(bindingCookie(sid));
      if (!binding || !eq(sha(binding), item.bindingHash as string)) {
        throw new FlowError('invalid_state', 'This sign-in was started in another browser.', item);
      }
    }
    if (query.error) {
      await this.finish(item, 'failed', { error: 'access_denied' });
      throw new FlowError(
        query.error === 'access_denied' ? 'access_denied' : 'provider_error',
        query.error === 'access_denied' ? 'The user denied access.' : 'The provider answered an error.',
        item,
      );
    }
    if (!query.code) throw new FlowError('invalid_state', 'The sign-in answer has no code.', item);
    try {
      const connection = await this.complete(
        item,
        query.code,
        item.redirectUri as string,
        `end-user:${item.endUserId}`,
      );
      return { connection, session: item };
    } catch (err) {
      if (err instanceof FlowError) throw err;
      const code = (err as PorticoError).code;
      throw new FlowError(
        'provider_error',
        code === 'provider_unavailable'
          ? 'The provider is unavailable; try again.'
          : 'The provider refused the sign-in.',
        item,
      );
    }
  }

  private async finish(item: Item, status: 'completed' | 'failed', extra: Item): Promise<boolean> {
    try {
      await this.deps.db.update(
        sessionPk(item.id as string),
        'SESSION',
        { status, ...extra },
        {
          expression: '#s = :pending AND #v = :v',
          names: { '#s': 'status', '#v': 'version' },
          values: { ':pending': 'pending', ':v': item.version },
        },
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionFailed) return false;
      throw err;
    }
  }

  /** Claims the session (single use), exchanges the code, identifies the account, stores the grant. */
  private async complete(item: Item, code: string, redirectUri: string, actor: string): Promise<Connection> {
    const tenantId = item.tenantId as string;
    const provider = item.provider as ProviderName;
    // A tenant revoked while its user was at the provider stores nothing.
    const tenant = await this.deps.tenants.get(tenantId);
    if (tenant?.status !== 'active')
      throw new FlowError('expired', 'This connect session no longer applies.', item);
    // Claim first: a replayed callback or a second exchange loses here.
    if (!(await this.finish(item, 'completed', { completedAt: this.now() }))) {
      throw new FlowError('already_used', 'The connect session was already used.', item);
    }
    const claimedVersion = item.version;
    const { app, source } = await this.deps.connections.resolveApp(tenantId, provider);
    if (item.appClientId && item.appClientId !== app.clientId) {
      throw new FlowError(
        'exchange_failed',
        "The tenant's OAuth app changed during the sign-in; start again.",
        item,
      );
    }
    const verifier = item.verifier
      ? await this.deps.vault.openString(tenantId, `session:${item.id}`, item.verifier as string)
      : undefined;
    const p = this.deps.providers[provider];
    let grant: Awaited<ReturnType<ProviderOAuth['exchangeCode']>>;
    try {
      grant = await p.exchangeCode({ app, code, redirectUri, codeVerifier: verifier });
    } catch (err) {
      const code = (err as PorticoError).code;
      if (code === 'provider_unavailable' || code === 'rate_limited') {
        // The provider never took the code: give the session back, so the same code can be tried again.
        await this.deps.db
          .update(
            sessionPk(item.id as string),
            'SESSION',
            { status: 'pending', version: (claimedVersion as number) + 2 },
            {
              expression: '#s = :completed AND attribute_not_exists(connectionId)',
              names: { '#s': 'status' },
              values: { ':completed': 'completed' },
            },
          )
          .catch(() => undefined);
      } else {
        await this.deps.db
          .update(sessionPk(item.id as string), 'SESSION', { error: code ?? 'error' })
          .catch(() => undefined);
      }
      if (err instanceof PorticoError && err.code === 'invalid_request') {
        throw new FlowError('exchange_failed', err.message, item);
      }
      throw err;
    }
    try {
      return await this.store(item, grant, app, source, actor, claimedVersion as number);
    } catch (err) {
      // The provider issued a grant we could not keep: revoke it (best effort) rather than leak it.
      await p.revoke({ app, grant }).catch(() => undefined);
      throw err;
    }
  }

  private async store(
    item: Item,
    grant: Awaited<ReturnType<ProviderOAuth['exchangeCode']>>,
    app: { clientId: string; clientSecret: string },
    source: 'platform' | 'tenant',
    actor: string,
    claimedVersion: number,
  ): Promise<Connection> {
    const tenantId = item.tenantId as string;
    const provider = item.provider as ProviderName;
    const p = this.deps.providers[provider];
    if (provider === 'dropbox' && !grant.refreshToken) {
      throw new FlowError(
        'exchange_failed',
        'Dropbox issued no refresh token (offline access was not granted).',
        item,
      );
    }
    const account = await p.identify(grant);
    const credentials: SealedCredentials = {
      accessToken: grant.accessToken,
      refreshToken: grant.refreshToken,
      app: {
        source,
        clientId: app.clientId,
        ...(source === 'tenant' ? { clientSecret: app.clientSecret } : {}),
      },
    };
    const { connection } = await this.deps.connections.saveGrant({
      tenantId,
      provider,
      endUserId: item.endUserId as string,
      account,
      authScheme: 'oauth2',
      credentials,
      scopes: grant.scopes.length ? grant.scopes : ((item.scopes as string[] | undefined) ?? []),
      expiresAt: grant.expiresAt,
      actor,
    });
    await this.deps.db
      .update(
        sessionPk(item.id as string),
        'SESSION',
        { connectionId: connection.id, verifier: undefined },
        {
          expression: '#v >= :v',
          names: { '#v': 'version' },
          values: { ':v': claimedVersion },
        },
      )
      .catch(() => undefined);
    return connection;
  }

  /** Imports a grant obtained elsewhere, checked against the provider before it is stored. */
  async importConnection(
    tenantId: string,
    input: {
      provider: ProviderName;
      endUserId: string;
      credentials:
        | { type: 'oauth2'; refreshToken: string; accessToken?: string; expiresAt?: string }
        | { type: 'private_app'; token: string };
    },
    actor: string,
  ): Promise<Connection> {
    await this.deps.tenants.requireActive(tenantId);
    const p = this.deps.providers[input.provider];
    if (input.credentials.type === 'private_app') {
      if (!p.verifyPrivateApp) throw invalidRequest(`${p.displayName} has no private-app tokens.`);
      const { account, scopes } = await p.verifyPrivateApp(input.credentials.token);
      const { connection } = await this.deps.connections.saveGrant({
        tenantId,
        provider: input.provider,
        endUserId: input.endUserId,
        account,
        authScheme: 'private_app',
        credentials: { token: input.credentials.token },
        scopes,
        actor,
      });
      return connection;
    }
    const { app, source } = await this.deps.connections.resolveApp(tenantId, input.provider);
    let grant: Awaited<ReturnType<ProviderOAuth['refresh']>>;
    try {
      // Refreshing proves the refresh token works (and gives a fresh access token).
      grant = await p.refresh({ app, refreshToken: input.credentials.refreshToken });
    } catch (err) {
      if (err instanceof InvalidGrantError) {
        throw new PorticoError('invalid_request', `${p.displayName} refused the refresh token.`, {
          status: 422,
        });
      }
      throw err;
    }
    const account = await p.identify(grant);
    const { connection } = await this.deps.connections.saveGrant({
      tenantId,
      provider: input.provider,
      endUserId: input.endUserId,
      account,
      authScheme: 'oauth2',
      credentials: {
        accessToken: grant.accessToken,
        refreshToken: grant.refreshToken ?? input.credentials.refreshToken,
        app: {
          source,
          clientId: app.clientId,
          ...(source === 'tenant' ? { clientSecret: app.clientSecret } : {}),
        },
      },
      scopes: grant.scopes,
      expiresAt: grant.expiresAt,
      actor,
    });
    return connection;
  }

  /** The tenant's allowed origins for the popup's postMessage (never `*`). */
  async allowedOrigins(tenantId: string): Promise<string[]> {
    const tenant = await this.deps.tenants.get(tenantId);
    const origins = new Set<string>([new URL(this.deps.config.publicUrl).origin]);
    for (const u of tenant?.returnUrls ?? []) origins.add(new URL(u).origin);
    return [...origins];
  }
}
