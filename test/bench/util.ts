import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';

/** `BENCH_QUICK=1`: small sizes and short durations, for a smoke run. */
export const quick = process.env.BENCH_QUICK === '1';

/** The bench measures capacity: lifts the per-key rate limit (100 a second by default) out of the way. */
export const unlimited = { RATE_LIMIT_PER_SECOND: '1000000', RATE_LIMIT_BURST: '1000000' };

/** A positive number from the environment, else the default (the quick default under BENCH_QUICK=1). */
export function envNumber(name: string, full: number, quickValue = full): number {
  const raw = process.env[name]?.trim();
  if (raw) {
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, not ${raw}`);
    return n;
  }
  return quick ? quickValue : full;
}

/** One figure of the results table. */
export interface Row {
  /** Which figure (1-9) it belongs to. */
  figure: number;
  name: string;
  value: string;
  baseline: string;
  /** Ratio to the baseline, or the measured count against the target. */
  ratio: string;
  target: string;
  pass: boolean | undefined;
  /** Extra detail for the notes under the table. */
  note?: string;
}

/** Nearest-rank percentile of ascending `sorted`. */
export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export interface Summary {
  n: number;
  p50: number;
  p99: number;
  mean: number;
  max: number;
}

export function summarize(samples: number[]): Summary {
  const sorted = [...samples].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    mean: sum / Math.max(1, sorted.length),
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

export const ms = (v: number) => (v < 10 ? `${v.toFixed(2)} ms` : `${v.toFixed(1)} ms`);
export const ratio = (v: number) => `${v.toFixed(2)}x`;
export const int = (v: number) => Math.round(v).toLocaleString('en-US');
export const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** Only loopback: every benchmark stays on this machine. */
export function assertLoopback(url: string): void {
  const host = new URL(url).hostname;
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '[::1]') {
    throw new Error(`benchmarks only target loopback, not ${host}`);
  }
}

/**
 * A small HTTP client over node:http with keep-alive sockets: less client overhead than `fetch`,
 * so latencies measure the server rather than the client.
 */
export class HttpClient {
  private readonly agent: Agent;
  constructor(maxSockets = 16) {
    this.agent = new Agent({ keepAlive: true, maxSockets });
  }

  get(
    url: string,
    headers: Record<string, string> = {},
    timeoutMs = 30_000,
  ): Promise<{ status: number; body: Buffer }> {
    assertLoopback(url);
    return new Promise((resolve, reject) => {
      const req = request(url, { method: 'GET', headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`GET ${url}: no answer in ${timeoutMs} ms`)));
      req.on('error', reject);
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** `fetch` with a JSON body and a bearer key, failing on an unexpected status. */
export async function api<T>(
  base: string,
  method: string,
  path: string,
  key: string,
  body?: unknown,
  expect: number[] = [200, 201],
): Promise<T> {
  assertLoopback(base);
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (!expect.includes(res.status)) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 500)}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Creates a tenant with the admin key; answers its id and API key. */
export async function createTenant(base: string, adminKey: string, name = 'Bench') {
  const out = await api<{ tenant: { id: string }; apiKey: string }>(base, 'POST', '/v1/tenants', adminKey, {
    name,
  });
  return { id: out.tenant.id, apiKey: out.apiKey };
}

/** A grant minted at the sandbox (over its control API), as if the user had approved elsewhere. */
export interface Minted {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  account: string;
}

export async function mint(sandboxUrl: string, provider: 'hubspot' | 'dropbox', account: string) {
  assertLoopback(sandboxUrl);
  const res = await fetch(`${sandboxUrl}/_control/mint`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ provider, account }),
    signal: AbortSignal.timeout(10_000),
  });
  if (res.status !== 201) throw new Error(`mint: ${res.status} ${await res.text()}`);
  return (await res.json()) as Minted;
}

/** Imports a minted grant as a connection through Portico's API; answers the connection id. */
export async function importConnection(
  base: string,
  apiKey: string,
  provider: 'hubspot' | 'dropbox',
  grant: Minted,
  endUserId: string,
): Promise<string> {
  const out = await api<{ id: string }>(base, 'POST', '/v1/connections', apiKey, {
    provider,
    endUserId,
    credentials: {
      type: 'oauth2',
      refreshToken: grant.refresh_token,
      accessToken: grant.access_token,
      expiresAt: new Date(Date.now() + grant.expires_in * 1000).toISOString(),
    },
  });
  return out.id;
}

/** VmRSS and VmHWM (peak RSS) of a Linux process, in bytes. */
export function procMemory(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rss: kb('VmRSS') * 1024, hwm: kb('VmHWM') * 1024 };
  } catch {
    return undefined;
  }
}

/** Rejects when `promise` takes longer than `ms`. */
export async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no result in ${timeoutMs / 1000} s`)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `fn` `count` times in order, but stops early once `maxMs` have passed; answers each duration. */
export async function timeSequential(
  count: number,
  maxMs: number,
  fn: (i: number) => Promise<void>,
): Promise<number[]> {
  const out: number[] = [];
  const stopAt = performance.now() + maxMs;
  for (let i = 0; i < count && performance.now() < stopAt; i++) {
    const t = performance.now();
    await fn(i);
    out.push(performance.now() - t);
  }
  return out;
}

/** `concurrency` workers sharing `count` calls, bounded by `maxMs`; answers each call's duration. */
export async function timeConcurrent(
  count: number,
  concurrency: number,
  maxMs: number,
  fn: (i: number) => Promise<void>,
): Promise<{ samples: number[]; elapsedMs: number }> {
  const out: number[] = [];
  const started = performance.now();
  const stopAt = started + maxMs;
  let next = 0;
  const worker = async () => {
    while (next < count && performance.now() < stopAt) {
      const i = next++;
      const t = performance.now();
      await fn(i);
      out.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { samples: out, elapsedMs: performance.now() - started };
}

/** Every process the benchmarks started and have not stopped yet, so the run can stop them all. */
const live = new Set<{ stop(): Promise<void> }>();

/** Registers a started process; its `stop()` unregisters it. */
export function tracked<T extends { stop(...args: never[]): Promise<void> }>(proc: T): T {
  const stop = proc.stop.bind(proc);
  const entry = {
    stop: async () => {
      live.delete(entry);
      await stop();
    },
  };
  live.add(entry);
  return { ...proc, stop: entry.stop };
}

/** Stops whatever is still running (after a figure failed or timed out). */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((p) => p.stop().catch(() => undefined)));
}

export interface Child {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

const benchDir = new URL('.', import.meta.url).pathname;

/** Starts test/bench/child.ts (`dynamo` or `sandbox`) as its own process and waits for its URL. */
export async function startChild(
  mode: 'dynamo' | 'sandbox',
  env: Record<string, string> = {},
): Promise<Child> {
  const child = spawn(process.execPath, ['--import', 'tsx', `${benchDir}child.ts`, mode], {
    env: {
      ...process.env,
      LOG_LEVEL: 'silent',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...env,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => {
    err = (err + d).slice(-4000);
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${mode} child: no URL after 120 s: ${err}`)), 120_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /ready (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${mode} child exited ${code}: ${err}`));
    });
  });
  assertLoopback(url);
  return tracked({
    url,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode) return resolve();
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
        child.kill('SIGTERM');
      }),
  });
}

/** CPU time (user + system) a Linux process has used so far, in ms. */
export function procCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 (1-based) of the whole line: 12 and 13 after the name.
    const ticks = Number(fields[11]) + Number(fields[12]);
    // USER_HZ is 100 on Linux (getconf CLK_TCK).
    return (ticks * 1000) / 100;
  } catch {
    return Number.NaN;
  }
}
