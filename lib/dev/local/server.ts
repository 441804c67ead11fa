import { type AddressInfo, createServer } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import { type Config, loadConfig } from '../../config.js';
import { sweepDueConnections } from '../../connections/sweep.js';
import { ConfigError, PorticoError } from '../../errors.js';
import { createApp } from '../../http/index.js';
import { problemResponse } from '../../http/problem.js';
import { InFlight } from '../../inflight.js';
import { createLogger, type Logger } from '../../log.js';
import type { Services } from '../../services.js';
import { createServices, type ServiceOverrides } from '../../services.js';
import { Db } from '../../store/db.js';
import { ensureTable } from '../../store/table.js';
import { startDrainLoop } from '../../webhooks/index.js';
import type { EmbeddedDynamo } from './dynamo.js';
import { localExtras } from './extras.js';
import { loadOrCreateAdminKey, loadOrCreateMasterKey, prepareDataDir } from './secrets.js';

/** Where the admin key came from: `ADMIN_API_KEY`, generated at this start, or a file kept earlier. */
export type AdminKeySource = { kind: 'env' } | { kind: 'generated' | 'file'; path: string };

/**
 * Moves due tenant revocations on every second, in slices of at most 10 s; a shutdown stops
 * the slice after its current page and waits for that. A kill mid-slice loses nothing (the job's state is stored).
 */
function startRevocationLoop(services: Services, inflight: InFlight, log: Logger, intervalMs = 1000) {
  let running: Promise<void> | undefined;
  const stopping = new AbortController();
  const timer = setInterval(() => {
    if (running || stopping.signal.aborted) return;
    running = inflight
      .track(services.revocations().then((r) => r.runDue(10_000, stopping.signal)))
      .then(
        () => undefined,
        (err) => log.warn('revocation worker failed', { err }),
      )
      .finally(() => {
        running = undefined;
      });
  }, intervalMs);
  timer.unref();
  return {
    async stop(): Promise<void> {
      stopping.abort();
      clearInterval(timer);
      await running;
    },
  };
}

export interface LocalServer {
  url: string;
  adminKey: string;
  adminKeySource: AdminKeySource;
  config: Config;
  services: Services;
  dynamoEndpoint: string;
  close(): Promise<void>;
}

export interface StartOptions {
  env?: Record<string, string | undefined>;
  log?: Logger;
  overrides?: ServiceOverrides;
  /** Bind address; default 127.0.0.1 (set HOST=0.0.0.0 to expose it). */
  host?: string;
  /** How long `close()` waits for requests, drains and sweeps in flight. Default 10 s. */
  shutdownMs?: number;
}

/**
 * Starts the whole service on one machine with the embedded defaults (API.md, "Running it"):
 * embedded DynamoDB under DATA_DIR (unless DYNAMODB_ENDPOINT), the local master key, the
 * admin key, and the built-in sandbox when no provider apps are configured.
 */
export async function startLocal(options: StartOptions = {}): Promise<LocalServer> {
  // The SDK's notice about future Node versions is noise in a local console.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const env = options.env ?? process.env;
  const config = loadConfig(env, 'local');
  const log = options.log ?? createLogger();
  const host = options.host ?? env.HOST ?? '127.0.0.1';
  // A taken port stops start-up before anything is written into DATA_DIR.
  await assertPortFree(config.port, host);
  prepareDataDir(config.dataDir);
  config.localMasterKey ??= config.kmsKeyId ? undefined : loadOrCreateMasterKey(config.dataDir);
  let adminKeySource: AdminKeySource = { kind: 'env' };
  if (!config.adminApiKey) {
    const kept = loadOrCreateAdminKey(config.dataDir);
    config.adminApiKey = kept.key;
    adminKeySource = { kind: kept.created ? 'generated' : 'file', path: kept.path };
  }

  let embedded: EmbeddedDynamo | undefined;
  let db: Db | undefined;
  if (!config.dynamodbEndpoint) {
    // Loaded only here: a server with DYNAMODB_ENDPOINT never loads dynalite and LevelDB.
    const { newEmbeddedCredentials, startEmbeddedDynamo } = await import('./dynamo.js');
    // Signed with a key pair made for this start only: no other local process can use the store.
    const credentials = newEmbeddedCredentials();
    embedded = await startEmbeddedDynamo({ dir: config.dataDir, credentials });
    config.dynamodbEndpoint = embedded.endpoint;
    db = new Db({ tableName: config.tableName, endpoint: embedded.endpoint, credentials });
  }
  const services = createServices(config, { log, db, ...options.overrides });
  await ensureTable(services.db.client, config.tableName);

  // Webhooks: the outbox is drained in process every second, and at once after each event.
  const outbox = await services.outbox();
  const drain = startDrainLoop(outbox, log);
  outbox.wake = drain.wake;
  // Due refreshes: the same sweep the scheduled Lambda runs, every minute; and expired connect
  // sessions purged, which DynamoDB's TTL does in AWS and the embedded store cannot.
  // Everything running (requests to their last byte, sweeps) is tracked, so close() can wait for it.
  const inflight = new InFlight();
  let sweeping: Promise<unknown> | undefined;
  const sweep = setInterval(() => {
    if (sweeping) return;
    sweeping = inflight
      .track(
        Promise.all([
          sweepDueConnections(services).catch((err) => log.warn('sweep failed', { err })),
          services
            .flows()
            .then((flows) => flows.purgeExpiredSessions())
            .catch((err) => log.warn('session purge failed', { err })),
        ]),
      )
      .finally(() => {
        sweeping = undefined;
      });
  }, 60_000);
  sweep.unref();
  // Tenant revocations: the same job code the AWS worker function runs, driven in process.
  const revoker = startRevocationLoop(services, inflight, log);

  const extras = await localExtras(services, env);
  // The console, SDK and reference are built by esbuild on their first request: a server that
  // serves none of them never loads esbuild.
  const content = async () => (await import('../../http/ui/build.js')).builtStaticContent();
  const app = createApp(services, { content, mount: extras.mount });
  let port = config.port;
  const server: ServerType = await new Promise((resolve, reject) => {
    const fetch = (req: Request, ...rest: unknown[]) =>
      hostAllowed(req.headers.get('host'), config.publicUrl, port)
        ? app.fetch(req, ...rest)
        : misdirected(req.headers.get('host'));
    const s = serve({ fetch, port: config.port, hostname: host }, () => resolve(s));
    s.once('error', (err) => reject(portError(err, config.port, host)));
    s.on('request', (_req, res) => {
      inflight.track(new Promise((done) => res.once('close', done)));
    });
  });
  port = (server.address() as AddressInfo).port;
  const explicitPublicUrl = Boolean(env.PUBLIC_URL?.trim());
  if (!explicitPublicUrl) config.publicUrl = `http://localhost:${port}`;
  extras.onListening(port);

  return {
    url: config.publicUrl,
    adminKey: config.adminApiKey,
    adminKeySource,
    config,
    services,
    dynamoEndpoint: config.dynamodbEndpoint,
    async close() {
      // Stop taking work, let what runs finish (bounded), and only then close the store under it.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      const http = server as unknown as {
        closeIdleConnections?: () => void;
        closeAllConnections?: () => void;
      };
      http.closeIdleConnections?.();
      clearInterval(sweep);
      const shutdownMs = options.shutdownMs ?? 10_000;
      const drained = inflight.track(drain.stop());
      const revoked = inflight.track(revoker.stop());
      if (!(await inflight.settle(shutdownMs))) {
        log.warn('shutdown: work still running after the wait; closing anyway', { running: inflight.size });
      }
      await drained.catch(() => undefined);
      await revoked.catch(() => undefined);
      await extras.close();
      http.closeAllConnections?.();
      await closed;
      await services.stats.flush().catch((err) => log.warn('shutdown: stats not written', { err }));
      services.db.client.destroy();
      await embedded?.close();
    },
  };
}

/** `PORT` taken (or not ours to bind) is a configuration error: one line, exit 2, nothing written. */
function portError(err: unknown, port: number, host: string): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE')
    return new ConfigError(
      'PORT',
      `${port} is already in use on ${host}; choose another PORT (0 = any free port)`,
    );
  if (code === 'EACCES')
    return new ConfigError('PORT', `${port} cannot be bound on ${host} (permission denied)`);
  return err;
}

async function assertPortFree(port: number, host: string): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err) => reject(portError(err, port, host)));
    probe.listen(port, host, () => probe.close(() => resolve()));
  });
}

const loopbackNames = ['localhost', '127.0.0.1', '[::1]'];

/**
 * Whether a request's `Host` names this server: `PUBLIC_URL`'s host, or a loopback name on the
 * port it listens on. Anything else is a DNS-rebinding page or a misrouted request (issue 14):
 * a page at `evil.example` that resolves to 127.0.0.1 sends `Host: evil.example`.
 */
export function hostAllowed(hostHeader: string | null, publicUrl: string, port: number): boolean {
  if (!hostHeader) return false;
  const host = hostHeader.trim().toLowerCase();
  if (host === new URL(publicUrl).host) return true;
  return loopbackNames.some((name) => host === `${name}:${port}`);
}

function misdirected(hostHeader: string | null): Response {
  return problemResponse(
    new PorticoError(
      'invalid_request',
      `This server does not answer for the host ${JSON.stringify((hostHeader ?? '').slice(0, 100))}: use PUBLIC_URL's host or localhost.`,
      { reason: 'misdirected' },
    ),
  );
}
