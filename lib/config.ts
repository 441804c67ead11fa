import { ConfigError } from './errors.js';
import { type ProviderName, providerNames, providers } from './providers/registry.js';
import type { ProviderEndpoints } from './providers/types.js';

export type { ProviderName } from './providers/registry.js';
export { providerNames } from './providers/registry.js';
export type { ProviderEndpoints } from './providers/types.js';

export interface PlatformApp {
  clientId?: string;
  clientSecret?: string;
  /** Required scopes, requested exactly as configured. */
  scopes: string[];
  /** Scopes the user may decline (providers that have optional scopes; empty otherwise). */
  optionalScopes: string[];
}

export interface Config {
  runtime: 'local' | 'lambda';
  port: number;
  publicUrl: string;
  adminApiKey?: string;
  dataDir: string;
  dynamodbEndpoint?: string;
  tableName: string;
  kmsKeyId?: string;
  localMasterKey?: Uint8Array;
  adminJwt?: { issuer: string; audience: string; jwksUrl: string };
  /** Key that signs connect links (base64 of >= 32 bytes); generated and kept sealed in the store when unset. */
  signingKey?: Uint8Array;
  /**
   * Behind CloudFront on a custom domain: the value CloudFront sends in {@link originHeaderName},
   * so that the function URL answers nobody who went around the domain.
   */
  originSecret?: string;
  sandbox: boolean;
  /** How long a refresh lease holds before another process may take over (a crashed holder's lease expires). */
  refreshLeaseMs: number;
  /** How long token reads and data routes may reuse a connection item this process read (0 = never). */
  connectionCacheMs: number;
  /**
   * The most one streamed answer carries (Lambda response streaming: 200 MB); undefined locally,
   * where a stream has no limit. An NDJSON stream that cannot fit is refused before it starts.
   */
  maxStreamBytes?: number;
  /** Per-key rate limit of each process: sustained requests a second and burst (`RATE_LIMIT_PER_SECOND`, `RATE_LIMIT_BURST`). */
  rateLimit: { perSecond: number; burst: number };
  /** How long a process keeps a tenant's unwrapped data key (`KEY_CACHE_MS`, default 5 minutes). */
  keyCacheMs: number;
  /** Tenant revocation: provider calls started per second per provider app (`REVOKE_RATE_PER_APP`, default 50). */
  revokeRatePerApp: number;
  /** Tenant revocation: provider calls in flight per provider app (`REVOKE_CONCURRENCY_PER_APP`, default 8). */
  revokeConcurrencyPerApp: number;
  apps: Record<ProviderName, PlatformApp>;
  endpoints: Record<ProviderName, ProviderEndpoints>;
}

/** The scopes each provider's platform app asks for when its `<PREFIX>_SCOPES` is unset. */
export const defaultScopes = Object.fromEntries(
  providerNames.map((p) => [p, [...providers.get(p).defaultScopes]]),
) as Record<ProviderName, string[]>;

/** Each provider's production endpoints, used unless `<PREFIX>_AUTH_URL` (and so on) override them. */
export const productionEndpoints = Object.fromEntries(
  providerNames.map((p) => [p, { ...providers.get(p).endpoints }]),
) as Record<ProviderName, ProviderEndpoints>;

type Env = Record<string, string | undefined>;

/**
 * Reads the configuration from environment variables (docs/api.md, "Running it"). Every unusable
 * value throws a {@link ConfigError} naming the variable, so start-up stops with one clear line.
 */
export function loadConfig(env: Env, runtime: 'local' | 'lambda' = 'local'): Config {
  const str = (name: string) => {
    const v = env[name]?.trim();
    return v ? v : undefined;
  };
  const port = parsePort(str('PORT'));
  const publicUrl = parseUrl('PUBLIC_URL', str('PUBLIC_URL') ?? `http://localhost:${port}`).replace(
    /\/+$/,
    '',
  );

  const apps = {} as Record<ProviderName, PlatformApp>;
  for (const p of providerNames) {
    const { envPrefix: up, optionalScopes, defaultOptionalScopes } = providers.get(p);
    const optional = parseScopes(`${up}_OPTIONAL_SCOPES`, str(`${up}_OPTIONAL_SCOPES`));
    if (optional?.length && !optionalScopes) {
      throw new ConfigError(
        `${up}_OPTIONAL_SCOPES`,
        `${providers.get(p).displayName} has no optional scopes`,
      );
    }
    apps[p] = {
      clientId: str(`${up}_CLIENT_ID`),
      clientSecret: str(`${up}_CLIENT_SECRET`),
      scopes: parseScopes(`${up}_SCOPES`, str(`${up}_SCOPES`)) ?? defaultScopes[p],
      optionalScopes: optional ?? [...defaultOptionalScopes],
    };
    if (apps[p].clientId && !apps[p].clientSecret && runtime === 'local') {
      throw new ConfigError(`${up}_CLIENT_SECRET`, `is required when ${up}_CLIENT_ID is set`);
    }
  }
  const anyClient = providerNames.some((p) => apps[p].clientId);
  const sandboxRaw = str('SANDBOX');
  if (sandboxRaw !== undefined && !['0', '1', 'true', 'false'].includes(sandboxRaw)) {
    throw new ConfigError('SANDBOX', 'must be 0 or 1');
  }
  const sandbox = sandboxRaw === undefined ? !anyClient : sandboxRaw === '1' || sandboxRaw === 'true';
  if (sandbox && runtime === 'lambda') {
    throw new ConfigError('SANDBOX', 'the sandbox cannot be enabled in the Lambda deployment');
  }

  const endpoints = {} as Record<ProviderName, ProviderEndpoints>;
  for (const p of providerNames) {
    const { envPrefix: up, endpoints: production, contentHost } = providers.get(p);
    const url = (name: string, fallback: string) =>
      parseUrl(`${up}_${name}`, str(`${up}_${name}`) ?? fallback);
    endpoints[p] = {
      authUrl: url('AUTH_URL', production.authUrl),
      apiUrl: url('API_URL', production.apiUrl),
      ...(contentHost && production.contentUrl
        ? { contentUrl: url('CONTENT_URL', production.contentUrl) }
        : {}),
    };
  }

  const issuer = str('ADMIN_JWT_ISSUER');
  const audience = str('ADMIN_JWT_AUDIENCE');
  const jwksUrl = str('ADMIN_JWKS_URL');
  let adminJwt: Config['adminJwt'];
  if (issuer || audience || jwksUrl) {
    for (const [k, v] of [
      ['ADMIN_JWT_ISSUER', issuer],
      ['ADMIN_JWT_AUDIENCE', audience],
      ['ADMIN_JWKS_URL', jwksUrl],
    ] as const) {
      if (!v) throw new ConfigError(k, 'must be set together with the other ADMIN_JWT_* variables');
    }
    adminJwt = { issuer: issuer!, audience: audience!, jwksUrl: parseUrl('ADMIN_JWKS_URL', jwksUrl!) };
  }

  const tableName = str('TABLE_NAME') ?? 'portico';
  if (!/^[a-zA-Z0-9_.-]{3,255}$/.test(tableName)) {
    throw new ConfigError('TABLE_NAME', 'must be 3-255 characters of a-z, A-Z, 0-9, _ - .');
  }
  const adminApiKey = str('ADMIN_API_KEY');
  if (adminApiKey !== undefined && adminApiKey.length < 24) {
    throw new ConfigError('ADMIN_API_KEY', 'must be at least 24 characters');
  }

  return {
    runtime,
    port,
    publicUrl,
    adminApiKey,
    dataDir: str('DATA_DIR') ?? './.portico',
    dynamodbEndpoint: str('DYNAMODB_ENDPOINT')
      ? parseUrl('DYNAMODB_ENDPOINT', str('DYNAMODB_ENDPOINT')!)
      : undefined,
    tableName,
    kmsKeyId: str('KMS_KEY_ID'),
    localMasterKey: parseKey('LOCAL_MASTER_KEY', str('LOCAL_MASTER_KEY')),
    signingKey: parseKey('SIGNING_KEY', str('SIGNING_KEY')),
    originSecret: parseOriginSecret(str('ORIGIN_SECRET')),
    adminJwt,
    sandbox,
    refreshLeaseMs: parseMs('REFRESH_LEASE_MS', str('REFRESH_LEASE_MS'), 30_000),
    maxStreamBytes: runtime === 'lambda' ? 200 * 1024 * 1024 : undefined,
    connectionCacheMs:
      str('CONNECTION_CACHE_MS') === '0'
        ? 0
        : parseMs('CONNECTION_CACHE_MS', str('CONNECTION_CACHE_MS'), 1000),
    rateLimit: {
      perSecond: parseCount('RATE_LIMIT_PER_SECOND', str('RATE_LIMIT_PER_SECOND'), 100, 1_000_000),
      burst: parseCount('RATE_LIMIT_BURST', str('RATE_LIMIT_BURST'), 200, 1_000_000),
    },
    keyCacheMs: parseMs('KEY_CACHE_MS', str('KEY_CACHE_MS'), 300_000),
    revokeRatePerApp: parseCount('REVOKE_RATE_PER_APP', str('REVOKE_RATE_PER_APP'), 50, 10_000),
    revokeConcurrencyPerApp: parseCount(
      'REVOKE_CONCURRENCY_PER_APP',
      str('REVOKE_CONCURRENCY_PER_APP'),
      8,
      256,
    ),
    apps,
    endpoints,
  };
}

function parsePort(raw: string | undefined): number {
  if (raw === undefined) return 8787;
  if (!/^\d+$/.test(raw) || Number(raw) > 65535)
    throw new ConfigError('PORT', `must be a number from 0 to 65535, got "${raw}"`);
  return Number(raw);
}

function parseCount(name: string, raw: string | undefined, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) {
    throw new ConfigError(name, `must be a whole number from 1 to ${max}, got "${raw}"`);
  }
  return Number(raw);
}

function parseMs(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 100 || Number(raw) > 600_000) {
    throw new ConfigError(name, `must be a number of milliseconds from 100 to 600000, got "${raw}"`);
  }
  return Number(raw);
}

function parseUrl(name: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `must be an absolute http(s) URL, got "${raw}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(name, `must be an http(s) URL, got "${raw}"`);
  }
  return raw.replace(/\/+$/, '');
}

function parseScopes(name: string, raw: string | undefined): string[] | undefined {
  if (raw === undefined) return undefined;
  const scopes = raw.split(/\s+/).filter(Boolean);
  if (scopes.some((s) => !/^[\x21-\x7e]+$/.test(s)))
    throw new ConfigError(name, 'must be space-separated scope names');
  return scopes;
}

function parseKey(name: string, raw: string | undefined): Uint8Array | undefined {
  if (raw === undefined) return undefined;
  const bytes = /^[A-Za-z0-9+/_-]+={0,2}$/.test(raw) ? Buffer.from(raw, 'base64') : Buffer.alloc(0);
  if (bytes.length !== 32) throw new ConfigError(name, 'must be the base64 of exactly 32 bytes');
  return new Uint8Array(bytes);
}

/** The header CloudFront adds on its way to the API function URL (infra/api.ts). */
export const originHeaderName = 'x-portico-origin';

function parseOriginSecret(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (raw.length < 32 || !/^[\x21-\x7e]+$/.test(raw)) {
    throw new ConfigError('ORIGIN_SECRET', 'must be at least 32 printable characters');
  }
  return raw;
}
