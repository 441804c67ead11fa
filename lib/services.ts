import type { KMSClient } from '@aws-sdk/client-kms';
import { Audit } from './audit/index.js';
import type { Config } from './config.js';
import { Connections, type EventSink } from './connections/index.js';
import { ConfigError } from './errors.js';
import { createLogger, type Logger } from './log.js';
import { type Metrics, noMetrics } from './metrics.js';
import type { ConnectFlows } from './oauth/index.js';
import { once } from './once.js';
import { createProviders, type OAuthClients } from './providers/index.js';
import { Stats } from './stats/index.js';
import { Db } from './store/db.js';
import { readWrappedKey, tenantKey } from './store/items.js';
import { grantApp, type Revocations, type RevocationsDeps, Tenants } from './tenants/index.js';
import { countedKeyWrapper, type KeyWrapper, kmsKeyWrapper, localKeyWrapper, Vault } from './vault/index.js';
import type { Outbox } from './webhooks/index.js';

/** Everything the routes, the Lambda functions and the local server need, built once per process. */
export interface Services {
  config: Config;
  db: Db;
  vault: Vault;
  tenants: Tenants;
  audit: Audit;
  providers: OAuthClients;
  connections: Connections;
  /**
   * The services only some routes and the workers use, each built on its first use together with
   * its code (lib/on-demand.ts): a cold start of the API function loads none of them.
   */
  flows: () => Promise<ConnectFlows>;
  /** The webhook outbox: where connection events go, and their delivery. */
  outbox: () => Promise<Outbox>;
  revocations: () => Promise<Revocations>;
  stats: Stats;
  /** CloudWatch embedded-metric lines in Lambda (lib/metrics.ts); nothing locally. */
  metrics: Metrics;
  log: Logger;
}

export interface ServiceOverrides {
  log?: Logger;
  db?: Db;
  keyWrapper?: KeyWrapper;
  kmsClient?: KMSClient;
  events?: EventSink;
  /** Where metrics go (the API function: batched EMF lines); default nowhere. */
  metrics?: Metrics;
  /** Refresh lease length (tests shorten it). */
  leaseMs?: number;
  /** The connections' clock and wait between looks at a refresh lease (tests pass a virtual one). */
  clock?: { now: () => number; sleep: (ms: number) => Promise<void> };
  /** Tenant revocation's limits and timings (tests and the bench tune them). */
  revocations?: Partial<
    Pick<
      RevocationsDeps,
      'pageSize' | 'concurrency' | 'perSecond' | 'callTimeoutMs' | 'leaseMs' | 'giveUpMs' | 'inlineMs'
    >
  >;
}

/**
 * Builds every service once per process from the configuration: the store, the vault (KMS when
 * `KMS_KEY_ID` is set, else the local master key), tenants and audit. Nothing here knows
 * whether it runs in Lambda or Node.
 */
export function createServices(config: Config, overrides: ServiceOverrides = {}): Services {
  const log = overrides.log ?? createLogger();
  const db = overrides.db ?? new Db({ tableName: config.tableName, endpoint: config.dynamodbEndpoint });
  let wrapper = overrides.keyWrapper;
  if (!wrapper) {
    if (config.kmsKeyId) wrapper = kmsKeyWrapper(config.kmsKeyId, overrides.kmsClient);
    else if (config.localMasterKey) wrapper = localKeyWrapper(config.localMasterKey);
    else throw new ConfigError('KMS_KEY_ID', 'is required when no LOCAL_MASTER_KEY is available');
  }
  const metrics = overrides.metrics ?? noMetrics;
  if (wrapper.kind === 'kms') wrapper = countedKeyWrapper(wrapper, () => metrics.count({ KmsCalls: 1 }));
  const vault = new Vault({
    wrapper,
    loadWrappedKey: async (tenantId) => {
      const { pk, sk } = tenantKey(tenantId);
      const item = await db.get(pk, sk);
      return item ? readWrappedKey(item) : undefined;
    },
    cacheTtlMs: config.keyCacheMs,
  });
  const audit = new Audit(db);
  const clock = overrides.clock;
  const tenants = new Tenants({
    db,
    vault,
    audit,
    keyCacheMs: config.connectionCacheMs,
    ...(clock ? { now: () => new Date(clock.now()) } : {}),
  });
  const providers = createProviders(config);
  const stats = new Stats({ db, now: overrides.clock?.now });
  const onDemand = once(() => import('./on-demand.js'));
  const outbox = once(async () => {
    const { Outbox } = await onDemand();
    return new Outbox({ db, tenants, log, allowPrivate: config.runtime === 'local' });
  });
  const events = overrides.events ?? { emit: async (...event) => (await outbox()).emit(...event) };
  const connections = new Connections({
    db,
    vault,
    audit,
    providers,
    grantApp: grantApp(config),
    log,
    events,
    stats,
    metrics,
    leaseMs: overrides.leaseMs ?? config.refreshLeaseMs,
    itemCacheMs: config.connectionCacheMs,
    now: overrides.clock?.now,
    sleep: overrides.clock?.sleep,
  });
  const flows = once(async () => {
    const { ConnectFlows, SigningKey } = await onDemand();
    return new ConnectFlows({
      db,
      vault,
      tenants,
      connections,
      providers,
      config,
      signingKey: new SigningKey(db, vault, config.signingKey),
    });
  });
  const revocations = once(async () => {
    const { Revocations, revocationJobVault } = await onDemand();
    // Only the revocation job opens a revoking tenant's grants: its key has left the tenant item.
    const jobVault = revocationJobVault(db, wrapper, config.keyCacheMs);
    return new Revocations({
      db,
      vault,
      jobVault,
      tenants,
      audit,
      config,
      providers,
      events,
      log,
      now: overrides.clock?.now,
      sleep: overrides.clock?.sleep,
      perSecond: config.revokeRatePerApp,
      concurrency: config.revokeConcurrencyPerApp,
      // Its connections are all gone: so are its connection counts (its past counters stay).
      onRevoked: (tenantId) => stats.connectionsGone(tenantId),
      ...overrides.revocations,
    });
  });
  return {
    config,
    db,
    vault,
    tenants,
    audit,
    log,
    providers,
    connections,
    flows,
    outbox,
    revocations,
    stats,
    metrics,
  };
}
