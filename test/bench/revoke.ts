import { randomBytes } from 'node:crypto';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../lib/config.js';
import type { SealedCredentials } from '../../lib/connections/model.js';
import { newId, sha256Hex } from '../../lib/ids.js';
import { silentLogger } from '../../lib/log.js';
import { createServices } from '../../lib/services.js';
import type { Item } from '../../lib/store/db.js';
import { connectionIndexItem, connectionItem, connKeySk } from '../../lib/store/items.js';
import { revocationKey } from '../../lib/store/revocation-items.js';
import { ensureTable } from '../../lib/store/table.js';
import { type PorticoProcess, startPorticoProcess } from '../helpers/processes.js';
import { type Sandbox, sandboxEnv, startSandbox } from '../helpers/stack.js';
import { envNumber, int, mb, procMemory, type Row, startChild } from './util.js';

/** The store calls the worker makes, counted on their way to the embedded DynamoDB. */
async function countingProxy(target: string) {
  const counts = new Map<string, number>();
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const op = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? 'other';
    counts.set(op, (counts.get(op) ?? 0) + 1);
    const out = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

interface RunResult {
  seconds: number;
  doneSeconds: number;
  revocations: number;
  alive: number;
  counted: { revoked: number; failed: number };
  peakRss: number;
  reads: number;
  writes: number;
  ops: string;
  kills: number;
  seedSeconds: number;
}

/**
 * One revocation of `total` grants (half HubSpot, half Dropbox) seeded straight into the table
 * and the sandbox, driven by real worker processes (`npm start`'s entry) over a counting proxy
 * of the embedded DynamoDB; `kills` of them are killed with SIGKILL mid-run and replaced.
 */
async function revokeOnce(total: number, kills: number, log: (line: string) => void): Promise<RunResult> {
  const dynamo = await startChild('dynamo');
  const sandbox: Sandbox = await startSandbox();
  const proxy = await countingProxy(dynamo.url);
  const latencyMs = envNumber('BENCH_REVOKE_LATENCY_MS', 50);
  const ratePerApp = envNumber('BENCH_REVOKE_RATE', 200);
  const masterKey = randomBytes(32).toString('base64');
  const adminKey = `pak_${randomBytes(24).toString('base64url')}`;
  const tableName = 'portico-revoke';
  const common = {
    ...sandboxEnv(sandbox.url),
    TABLE_NAME: tableName,
    LOCAL_MASTER_KEY: masterKey,
    ADMIN_API_KEY: adminKey,
  };
  const services = createServices(loadConfig({ ...common, DYNAMODB_ENDPOINT: dynamo.url }), {
    log: silentLogger,
  });
  const workers: PorticoProcess[] = [];
  try {
    await ensureTable(services.db.client, tableName);
    const { tenant } = await services.tenants.create({ name: 'Revoke bench' }, 'bench');
    const seedStarted = performance.now();
    const at = new Date().toISOString();
    const expiresAt = new Date(Date.now() + 3 * 3600_000).toISOString();
    let batch: Item[] = [];
    const inflight = new Set<Promise<void>>();
    const flush = async (force: boolean) => {
      if (batch.length >= 500 || (force && batch.length)) {
        const items = batch;
        batch = [];
        const p: Promise<void> = services.db.putMany(items).finally(() => inflight.delete(p));
        inflight.add(p);
        if (inflight.size >= 4) await Promise.race(inflight);
      }
      if (force) await Promise.all(inflight);
    };
    for (let i = 0; i < total; i++) {
      const provider = i % 2 ? 'dropbox' : 'hubspot';
      const account = `bench-${i}`;
      const minted = sandbox.state.mint({ provider, account });
      const id = newId('conn');
      const creds: SealedCredentials = {
        accessToken: minted.access_token,
        refreshToken: minted.refresh_token,
        app: { source: 'platform', clientId: minted.client_id },
      };
      const keySk = connKeySk(provider, minted.account, sha256Hex(account));
      batch.push(
        connectionItem({
          id,
          tenantId: tenant.id,
          provider,
          endUserId: account,
          authScheme: 'oauth2',
          status: 'active',
          accountId: minted.account,
          scopes: minted.scopes,
          expiresAt,
          credentials: await services.vault.seal(tenant.id, id, JSON.stringify(creds)),
          keySk,
          createdAt: at,
          updatedAt: at,
          version: 1,
        }),
        connectionIndexItem(tenant.id, keySk, id),
      );
      await flush(false);
    }
    await flush(true);
    const seedSeconds = (performance.now() - seedStarted) / 1000;
    log(`  seeded ${int(total)} connections (and their index items) in ${seedSeconds.toFixed(0)} s`);
    const grants = () =>
      [...sandbox.state.hubspot.grants.values(), ...sandbox.state.dropbox.grants.values()].filter((g) =>
        g.account.includes('bench-'),
      );
    for (const provider of ['hubspot', 'dropbox'] as const) {
      sandbox.state.addFault({
        provider,
        match: provider === 'hubspot' ? '/token/revoke' : '/auth/token/revoke',
        delayMs: latencyMs,
        count: 0,
      });
    }
    sandbox.state.resetStats();

    const workerEnv = {
      ...common,
      DYNAMODB_ENDPOINT: proxy.url,
      REVOKE_RATE_PER_APP: String(ratePerApp),
      REVOKE_CONCURRENCY_PER_APP: '32',
      REFRESH_LEASE_MS: '5000',
      KEY_CACHE_MS: '5000',
    };
    let peakRss = 0;
    const sample = () => {
      for (const w of workers) {
        const m = w.child.pid ? procMemory(w.child.pid) : undefined;
        if (m) peakRss = Math.max(peakRss, m.hwm);
      }
    };
    const start = async () => {
      const w = await startPorticoProcess(workerEnv);
      workers.push(w);
      return w;
    };
    let worker = await start();
    const started = performance.now();
    const res = await fetch(`${worker.url}/v1/tenants/${tenant.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${adminKey}` },
    });
    const first = (await res.json()) as { revocation?: { revoked: number } };
    log(
      `  DELETE answered ${res.status} after ${((performance.now() - started) / 1000).toFixed(1)} s: ${JSON.stringify(first)}`,
    );
    const { pk, sk } = revocationKey(tenant.id);
    let killed = 0;
    let job: Item | undefined;
    let accountedAt = 0;
    for (let tick = 0; tick < 7200; tick++) {
      await new Promise((r) => setTimeout(r, 250));
      sample();
      job = await services.db.get(pk, sk);
      const revoked = Number(job?.revoked ?? 0);
      if (!accountedAt && job?.status !== 'running') accountedAt = performance.now();
      if (job?.status === 'done') break;
      if (killed < kills && revoked >= (total * (killed + 1)) / (kills + 1)) {
        sample();
        await worker.stop('SIGKILL');
        killed++;
        log(`  killed the worker (SIGKILL) at ${int(revoked)} revoked; starting another`);
        worker = await start();
      }
    }
    const doneAt = performance.now();
    sample();
    if (job?.status !== 'done') throw new Error(`the revocation did not finish: ${JSON.stringify(job)}`);
    const stats = sandbox.state.stats();
    const counts = proxy.counts;
    const reads = (counts.get('GetItem') ?? 0) + (counts.get('Query') ?? 0);
    const writes =
      (counts.get('PutItem') ?? 0) +
      (counts.get('UpdateItem') ?? 0) +
      (counts.get('DeleteItem') ?? 0) +
      (counts.get('BatchWriteItem') ?? 0);
    return {
      seconds: (accountedAt - started) / 1000,
      doneSeconds: (doneAt - started) / 1000,
      revocations: stats.hubspot.revokes + stats.dropbox.revokes,
      alive: grants().filter((g) => !g.revoked).length,
      counted: { revoked: Number(job.revoked), failed: Number(job.failed) },
      peakRss,
      reads,
      writes,
      ops: [...counts.entries()].map(([op, n]) => `${int(n)} ${op}`).join(', '),
      kills: killed,
      seedSeconds,
    };
  } finally {
    await Promise.all(workers.map((w) => w.stop('SIGKILL')));
    services.db.client.destroy();
    await proxy.close();
    await sandbox.close();
    await dynamo.stop();
  }
}

/**
 * Figure 9: revoking a tenant of 100,000 grants against the sandbox with a provider latency
 * (50 ms a revocation) and a per-app rate limit, then the same with the worker killed twice.
 */
export async function revokeFigures(log: (line: string) => void): Promise<Row[]> {
  const total = envNumber('BENCH_REVOKE_GRANTS', 100_000, 2000);
  const rate = envNumber('BENCH_REVOKE_RATE', 200);
  const latency = envNumber('BENCH_REVOKE_LATENCY_MS', 50);
  const rows: Row[] = [];
  // The killed run may be smaller (BENCH_REVOKE_KILLED_GRANTS) where time is short.
  const killedTotal = envNumber('BENCH_REVOKE_KILLED_GRANTS', total, 2000);
  for (const kills of [0, 2]) {
    const n = kills ? killedTotal : total;
    const r = await revokeOnce(n, kills, log);
    const per10k = (r.seconds / n) * 10_000;
    log(
      `  ${kills ? 'killed twice' : 'one worker'}: every grant accounted in ${r.seconds.toFixed(0)} s (key destroyed at ${r.doneSeconds.toFixed(0)} s), provider revocations ${int(r.revocations)}, alive ${r.alive}, counted ${JSON.stringify(r.counted)}, peak RSS ${mb(r.peakRss)}, store calls ${r.ops}`,
    );
    rows.push({
      figure: 10,
      name: `revoke a tenant of ${int(n)} grants${kills ? `, worker killed ${r.kills} times (SIGKILL)` : ''}`,
      value: `${r.seconds.toFixed(0)} s (${per10k.toFixed(0)} s per 10,000); ${int(r.revocations)} provider revocations, ${r.alive} alive; peak worker RSS ${mb(r.peakRss)}`,
      baseline: `per-app limit ${rate}/s x 2 apps = ${((n / (2 * rate)) | 0).toString()} s at best`,
      ratio: `${(r.reads / n).toFixed(2)} reads, ${(r.writes / n).toFixed(2)} writes per grant`,
      target: 'every grant revoked, 0 alive',
      pass: r.revocations === n && r.alive === 0 && r.counted.revoked === n && r.counted.failed === 0,
      note: `${latency} ms per provider revocation (sandbox fault delay), ${rate} calls/s and 32 in flight per app; counted revoked ${int(r.counted.revoked)}, failed ${r.counted.failed}; store requests by kind: ${r.ops} (BatchWriteItem = 25 deletes); the key is destroyed ${(r.doneSeconds - r.seconds).toFixed(0)} s later, after the last round (KEY_CACHE_MS + REFRESH_LEASE_MS = 10 s here, 5.5 min by default); seeding took ${r.seedSeconds.toFixed(0)} s`,
    });
  }
  return rows;
}
