import { type DropboxFiles, loadDropboxFiles, replaceFileBytes } from '../dropbox/tree.js';
import { type HubDb, seedHubDb } from '../hubspot/hubdb-store.js';
import { type Fault, type FaultSpec, FaultStore } from './faults.js';
import { dropboxIdentity, hubspotIdentity, hubspotIdentityForHub, normaliseAccount } from './identity.js';
import { OAuthStore, type Provider, randomToken, type SandboxApp, uuid } from './oauth-store.js';
import { type SandboxStats, StatsStore } from './stats.js';

/** Options of {@link createSandbox}; every field has a documented default. */
export interface SandboxOptions {
  /**
   * OAuth apps the sandbox accepts, per provider. Defaults: hubspot
   * `{clientId:'sandbox-hubspot-app', clientSecret:'sandbox-hubspot-secret', name:'Portico Demo'}`,
   * dropbox `{clientId:'sandbox-dropbox-app', clientSecret:'sandbox-dropbox-secret', name:'Portico Demo'}`.
   */
  apps?: { hubspot?: SandboxApp[]; dropbox?: SandboxApp[] };
  /** Seconds access tokens live: hubspot default 1800, dropbox default 14400. */
  hubspotTokenTtl?: number;
  dropboxTokenTtl?: number;
  /** Size in bytes of the generated `/data/big.avro` (streamed, never held in memory). Default 50 MiB. */
  bigAvroBytes?: number;
  /** Millisecond clock, default `Date.now`. */
  now?: () => number;
}

/** The default HubSpot app. */
export const DEFAULT_HUBSPOT_APP: SandboxApp = {
  clientId: 'sandbox-hubspot-app',
  clientSecret: 'sandbox-hubspot-secret',
  name: 'Portico Demo',
};

/** The default Dropbox app. */
export const DEFAULT_DROPBOX_APP: SandboxApp = {
  clientId: 'sandbox-dropbox-app',
  clientSecret: 'sandbox-dropbox-secret',
  name: 'Portico Demo',
};

/** Scopes a minted grant gets when none are asked for (Portico's defaults, docs/api.md). */
export const DEFAULT_SCOPES: Record<Provider, string[]> = {
  hubspot: ['oauth', 'hubdb', 'crm.objects.owners.read'],
  dropbox: ['account_info.read', 'files.metadata.read', 'files.content.read'],
};

/** A grant obtained "elsewhere" (`POST /_control/mint`), for import tests. */
export interface MintedGrant {
  provider: Provider;
  access_token: string;
  refresh_token: string;
  token_type: 'bearer';
  expires_in: number;
  /** The provider account id: HubSpot hub id (as a string) or Dropbox `dbid:…`. */
  account: string;
  client_id: string;
  scopes: string[];
  hub_id?: number;
  account_id?: string;
}

/** HubSpot's usual OAuth-app burst limit, reported in `X-HubSpot-RateLimit-*` (not enforced). */
export const HUBSPOT_BURST_LIMIT = 110;

/**
 * All mutable sandbox state, plus the control operations (`/_control/*`) as methods
 * for in-process use. One instance per {@link createSandbox} call.
 */
export class SandboxState {
  readonly now: () => number;
  readonly bigAvroBytes: number;
  readonly hubspot: OAuthStore;
  readonly dropbox: OAuthStore;
  readonly faults = new FaultStore();
  readonly counters = new StatsStore();
  private readonly hubdbs = new Map<number, HubDb>();
  private readonly rateWindows = new Map<number, { start: number; count: number }>();
  private files?: Promise<DropboxFiles>;

  constructor(options: SandboxOptions = {}) {
    this.now = options.now ?? Date.now;
    this.bigAvroBytes = options.bigAvroBytes ?? 50 * 1024 * 1024;
    this.hubspot = new OAuthStore(
      'hubspot',
      { accessToken: () => `CJ${randomToken(72)}`, refreshToken: () => `na1-${uuid()}`, code: () => uuid() },
      this.now,
      options.hubspotTokenTtl ?? 1800,
    );
    this.dropbox = new OAuthStore(
      'dropbox',
      {
        accessToken: () => `sl.${randomToken(96)}`,
        refreshToken: () => randomToken(48),
        code: () => randomToken(32),
      },
      this.now,
      options.dropboxTokenTtl ?? 14400,
    );
    for (const app of options.apps?.hubspot ?? [DEFAULT_HUBSPOT_APP]) this.hubspot.registerApp(app);
    for (const app of options.apps?.dropbox ?? [DEFAULT_DROPBOX_APP]) this.dropbox.registerApp(app);
  }

  /** The OAuth store of a provider. */
  store(provider: Provider): OAuthStore {
    return provider === 'hubspot' ? this.hubspot : this.dropbox;
  }

  /** A portal's HubDB, seeded on first use. */
  hubdb(hubId: number): HubDb {
    let db = this.hubdbs.get(hubId);
    if (!db) {
      db = seedHubDb(hubId, this.now);
      this.hubdbs.set(hubId, db);
    }
    return db;
  }

  /** Counts a HubSpot API call in its portal's 10-second window; returns the calls left. */
  hubspotRateWindow(hubId: number): number {
    const t = this.now();
    let w = this.rateWindows.get(hubId);
    if (!w || t - w.start >= 10000) {
      w = { start: t, count: 0 };
      this.rateWindows.set(hubId, w);
    }
    w.count++;
    return HUBSPOT_BURST_LIMIT - w.count;
  }

  /** The seeded Dropbox file tree (shared by every account; ids differ per account). */
  dropboxFiles(): Promise<DropboxFiles> {
    this.files ??= loadDropboxFiles(this.bigAvroBytes);
    return this.files;
  }

  /**
   * Bumped by {@link resetDropboxCursors}: `list_folder/continue` answers 409 `reset` to any
   * cursor issued before, as Dropbox does when it can no longer continue a listing.
   */
  dropboxCursorEpoch = 0;

  /** Makes every Dropbox listing cursor issued so far answer `reset`. */
  resetDropboxCursors(): void {
    this.dropboxCursorEpoch++;
  }

  /** Saves new bytes over a Dropbox file (a new `rev`), as another client would. */
  async changeDropboxFile(path: string, data: Buffer): Promise<void> {
    replaceFileBytes(await this.dropboxFiles(), path, data);
  }

  /** Counters per provider. */
  stats(): SandboxStats {
    return this.counters.snapshot();
  }

  /** Zeroes the counters. */
  resetStats(): void {
    this.counters.reset();
  }

  /** Arms a fault. */
  addFault(spec: FaultSpec): Fault {
    return this.faults.add(spec);
  }

  /** Disarms all faults, or one provider's. Returns how many. */
  clearFaults(provider?: Provider): number {
    return this.faults.clear(provider);
  }

  /** The armed faults. */
  listFaults(): Fault[] {
    return this.faults.list();
  }

  /** Expires access tokens now: one, or all of a provider's. Returns how many. */
  expireTokens(provider: Provider, accessToken?: string): number {
    return this.store(provider).expireAccessTokens(accessToken);
  }

  /**
   * Invalidates every refresh token of a provider, so refreshing answers `invalid_grant`.
   * Dropbox also kills the grants' access tokens (as unlinking an app does); HubSpot's
   * access tokens stay valid until they expire, as after its refresh-token DELETE.
   */
  revokeGrants(provider: Provider): number {
    return this.store(provider).revokeAllGrants(provider === 'dropbox');
  }

  /** Registers a further OAuth app (e.g. a tenant's own). */
  registerApp(provider: Provider, app: SandboxApp): void {
    this.store(provider).registerApp(app);
  }

  /** Registers a HubSpot private-app token (`pat-…`), valid as Bearer on data routes. */
  registerPrivateApp(input: { token: string; hubId: number; scopes: string[] }): void {
    const identity = hubspotIdentityForHub(input.hubId);
    this.hubspot.addStaticToken(input.token, identity.key, input.scopes, input.hubId);
  }

  /**
   * Creates a grant as if the user had approved elsewhere: a refresh token (Dropbox
   * offline) and a fresh access token, for `account` (default `demo`).
   */
  mint(input: { provider: Provider; account?: string; scopes?: string[]; clientId?: string }): MintedGrant {
    const store = this.store(input.provider);
    const app = input.clientId ? store.apps.get(input.clientId) : store.apps.values().next().value;
    if (!app) throw new Error(`unknown ${input.provider} app ${input.clientId ?? ''}`.trim());
    const account = normaliseAccount(input.account);
    const scopes = input.scopes ?? DEFAULT_SCOPES[input.provider];
    const grant = store.createGrant({
      clientId: app.clientId,
      account,
      scopes,
      offline: true,
      publicClient: false,
    });
    const access = store.issueAccessToken(grant);
    const base = {
      provider: input.provider,
      access_token: access.token,
      refresh_token: grant.refreshToken as string,
      token_type: 'bearer' as const,
      expires_in: store.accessTtlSeconds,
      client_id: app.clientId,
      scopes,
    };
    if (input.provider === 'hubspot') {
      const id = hubspotIdentity(account);
      return { ...base, account: String(id.hubId), hub_id: id.hubId };
    }
    const id = dropboxIdentity(account);
    return { ...base, account: id.accountId, account_id: id.accountId };
  }
}
