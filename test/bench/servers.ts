import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { type PorticoProcess, startPorticoProcess } from '../helpers/processes.js';
import { sandboxEnv } from '../helpers/stack.js';
import {
  assertLoopback,
  type Child,
  createTenant,
  importConnection,
  mint,
  startChild,
  tracked,
  unlimited,
} from './util.js';

export interface PorticoSetup {
  portico: PorticoProcess;
  sandbox: Child;
  /** The DynamoDB process, when the store runs apart from the server. */
  store?: Child;
  tenant: { id: string; apiKey: string };
  /** A HubSpot connection and the access token the sandbox issued for it. */
  hubspot: { id: string; accessToken: string };
  dropbox: { id: string; accessToken: string };
  stop(): Promise<void>;
}

/**
 * A real Portico process (the `npm start` entry, its embedded DynamoDB in a temp DATA_DIR) and the
 * sandbox in a second process, so load generator, gateway and provider each have their own event
 * loop. One tenant, one HubSpot and one Dropbox connection imported from grants minted at the
 * sandbox.
 */
export async function startPorticoSetup(
  options: {
    avroBytes?: number;
    env?: Record<string, string>;
    /** Environment of the sandbox process (`BENCH_WIDE_ROWS`, `BENCH_FOLDER_FILES`, `BENCH_FOLDER_BYTES`: see child.ts). */
    sandboxEnv?: Record<string, string>;
    /** Run the esbuild bundle with node, as `npm start` does (default), or the TypeScript through tsx (false). */
    bundled?: boolean;
    /** The embedded DynamoDB in its own process (DYNAMODB_ENDPOINT) instead of inside the server. */
    separateStore?: boolean;
  } = {},
): Promise<PorticoSetup> {
  const store = options.separateStore ? await startChild('dynamo') : undefined;
  const sandbox = await startChild('sandbox', {
    ...(options.avroBytes ? { BENCH_AVRO_BYTES: String(options.avroBytes) } : {}),
    ...options.sandboxEnv,
  }).catch(async (err) => {
    await store?.stop();
    throw err;
  });
  const dataDir = mkdtempSync(join(tmpdir(), 'portico-bench-'));
  const adminKey = `pak_${randomBytes(24).toString('base64url')}`;
  let portico: PorticoProcess | undefined;
  try {
    const env = {
      ...sandboxEnv(sandbox.url),
      DATA_DIR: dataDir,
      ADMIN_API_KEY: adminKey,
      ...unlimited,
      ...profileEnv(),
      ...(store ? { DYNAMODB_ENDPOINT: store.url } : {}),
      ...options.env,
    };
    portico = tracked(
      options.bundled !== false ? await startBundledPortico(env) : await startPorticoProcess(env),
    );
    assertLoopback(portico.url);
    const tenant = await createTenant(portico.url, adminKey, 'Bench');
    const hubGrant = await mint(sandbox.url, 'hubspot', 'bench');
    const dropGrant = await mint(sandbox.url, 'dropbox', 'bench');
    const hubspot = {
      id: await importConnection(portico.url, tenant.apiKey, 'hubspot', hubGrant, 'bench-user'),
      accessToken: hubGrant.access_token,
    };
    const dropbox = {
      id: await importConnection(portico.url, tenant.apiKey, 'dropbox', dropGrant, 'bench-user'),
      accessToken: dropGrant.access_token,
    };
    const started = portico;
    return {
      portico: started,
      sandbox,
      tenant,
      hubspot,
      dropbox,
      store,
      async stop() {
        await started.stop();
        await sandbox.stop();
        await store?.stop();
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await portico?.stop();
    await sandbox.stop();
    await store?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * `BENCH_PROFILE_DIR=dir`: the Portico processes write a V8 CPU profile there when they exit
 * (open it in Chrome DevTools or speedscope).
 */
export function profileEnv(): Record<string, string> {
  const dir = process.env.BENCH_PROFILE_DIR;
  if (!dir) return {};
  mkdirSync(dir, { recursive: true });
  const preload = new URL('./cpu-profile.mjs', import.meta.url).pathname;
  return {
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${preload}`.trim(),
    BENCH_PROFILE_DIR: dir,
  };
}

/**
 * The flags `npm start` runs node with (package.json's `start` script, between `node` and the
 * bundle): the bench runs the server as `npm start` does, the young generation's size included.
 */
export function startScriptNodeFlags(): string[] {
  const root = new URL('../../', import.meta.url).pathname;
  const start: string = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts.start;
  const m = /&& node ((?:--\S+ )*)node_modules\/\.cache\/portico\/main\.mjs$/.exec(start);
  if (!m) throw new Error(`package.json's start script has changed shape: ${start}`);
  return m[1].split(' ').filter(Boolean);
}

/**
 * The local server (lib/dev/local/main.ts) bundled with esbuild (node_modules left external) and run
 * with plain `node` and `npm start`'s flags ({@link startScriptNodeFlags}), as `npm start` does.
 * Answers the process like {@link startPorticoProcess}.
 */
export async function startBundledPortico(env: Record<string, string>): Promise<PorticoProcess> {
  const { build } = await import('esbuild');
  const root = new URL('../../', import.meta.url).pathname;
  const dir = mkdtempSync(join(tmpdir(), 'portico-bench-bundle-'));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const outfile = join(dir, 'main.mjs');
  // Split as `npm start` splits it: what the server imports on demand (the embedded store, the
  // sandbox, the UI build) is a chunk whose packages load only if it does.
  await build({
    entryPoints: [join(root, 'lib/dev/local/main.ts')],
    outdir: dir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'silent',
  });
  const child = spawn(process.execPath, [...startScriptNodeFlags(), outfile], {
    cwd: root,
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => {
    err = (err + d).slice(-4000);
  });
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bundled Portico: no URL after 30 s: ${err}`)), 30_000);
    child.stdout!.on('data', (d) => {
      // Bounded: with LOG_LEVEL=info the request log flows through here.
      out = (out + d).slice(-8000);
      const m = /running at (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      cleanup();
      reject(new Error(`bundled Portico exited ${code}: ${err}`));
    });
  });
  return {
    url,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        const done = () => {
          cleanup();
          resolve();
        };
        if (child.exitCode !== null || child.signalCode) return done();
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          done();
        });
        child.kill('SIGTERM');
      }),
  };
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  total: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  seconds: number;
}

/** One autocannon run against a loopback URL (its latencies have 1 ms resolution). */
export async function cannon(
  url: string,
  headers: Record<string, string>,
  connections: number,
  seconds: number,
): Promise<LoadResult> {
  assertLoopback(url);
  const r = await autocannon({ url, headers, connections, duration: seconds, timeout: 30 });
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    total: r.requests.total,
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
    seconds: r.duration,
  };
}
