import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Db } from '../../lib/store/db.js';
import { type PorticoProcess, startPorticoProcess } from '../helpers/processes.js';
import { sandboxEnv, startSandbox } from '../helpers/stack.js';
import {
  createTenant,
  envNumber,
  HttpClient,
  importConnection,
  ms,
  procCpuMs,
  type Row,
  startChild,
  summarize,
  tracked,
  unlimited,
} from './util.js';

/**
 * Figure 4: a refresh stampede. Four real Portico processes (the `npm start` entry) on one shared
 * embedded DynamoDB and one sandbox; the stored token is expired, then each process gets 50
 * concurrent `GET /token`. Counts provider refreshes (sandbox stats), errors and the wait.
 */
export async function stampedeFigures(log: (line: string) => void): Promise<Row[]> {
  const perProcess = 50;
  const rounds = envNumber('BENCH_STAMPEDE_ROUNDS', 3, 1);
  const dynamo = await startChild('dynamo');
  const sandbox = await startSandbox();
  const adminKey = `pak_${randomBytes(24).toString('base64url')}`;
  const env = {
    ...sandboxEnv(sandbox.url),
    DYNAMODB_ENDPOINT: dynamo.url,
    TABLE_NAME: 'portico-stampede',
    LOCAL_MASTER_KEY: randomBytes(32).toString('base64'),
    ADMIN_API_KEY: adminKey,
    ...unlimited,
  };
  const procs: PorticoProcess[] = [];
  const dataDirs: string[] = [];
  const http = new HttpClient(perProcess);
  const db = new Db({ tableName: 'portico-stampede', endpoint: dynamo.url });
  try {
    // One first, so it creates the table; then the others.
    const start = () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'portico-bench-'));
      dataDirs.push(dataDir);
      return startPorticoProcess({ ...env, DATA_DIR: dataDir }).then(tracked);
    };
    procs.push(await start());
    procs.push(...(await Promise.all([1, 2, 3].map(start))));
    const tenant = await createTenant(procs[0].url, adminKey, 'Stampede');
    const grant = sandbox.state.mint({ provider: 'hubspot', account: 'stampede' });
    const id = await importConnection(procs[1].url, tenant.apiKey, 'hubspot', grant, 'herd');
    const headers = { authorization: `Bearer ${tenant.apiKey}` };
    // Every process has seen the key and read the token once (warm, as in production).
    for (const p of procs) await http.get(`${p.url}/v1/connections/${id}/token`, headers);

    const waits: number[] = [];
    const refreshCounts: number[] = [];
    const refreshAt: number[] = [];
    // How long each answer came after the refresh reached the provider (the provider's own
    // latency, the new token's write and the waiters' re-read of it).
    const afterRefresh: number[] = [];
    const cpuLines: string[] = [];
    let errors = 0;
    let distinctTokens = 0;
    for (let round = 0; round < rounds; round++) {
      await db.update(`TENANT#${tenant.id}`, `CONN#${id}`, {
        expiresAt: new Date(Date.now() - 1000).toISOString(),
      });
      // This write plays another process: the Portico processes may reuse their read of the
      // connection for CONNECTION_CACHE_MS (1 s) before they see it.
      await new Promise((r) => setTimeout(r, 1100));
      sandbox.state.resetStats();
      const tokens = new Set<string>();
      // When the provider saw the refresh (the sandbox runs in this process): polled every 2 ms.
      const storeCpu = procCpuMs(dynamo.pid);
      const porticoCpu = procs.reduce((n, p) => n + procCpuMs(p.child.pid!), 0);
      const benchCpu = process.cpuUsage();
      const burstAt = performance.now();
      let refreshSeenAt = Number.NaN;
      const watch = setInterval(() => {
        if (Number.isNaN(refreshSeenAt) && sandbox.state.counters.of('hubspot').refreshes > 0)
          refreshSeenAt = performance.now();
      }, 2);
      const answers = await Promise.all(
        procs.flatMap((p) =>
          Array.from({ length: perProcess }, async () => {
            const t = performance.now();
            try {
              const res = await http.get(`${p.url}/v1/connections/${id}/token`, headers, 60_000);
              waits.push(performance.now() - t);
              if (res.status !== 200) return false;
              tokens.add((JSON.parse(res.body.toString()) as { accessToken: string }).accessToken);
              return true;
            } catch {
              return false;
            }
          }),
        ),
      );
      const rw = summarize(waits.slice(-answers.length));
      const storeBusy = procCpuMs(dynamo.pid) - storeCpu;
      const porticoBusy = procs.reduce((n, p) => n + procCpuMs(p.child.pid!), 0) - porticoCpu;
      const bench = process.cpuUsage(benchCpu);
      const benchBusy = (bench.user + bench.system) / 1000;
      cpuLines.push(
        `round ${round + 1}: ${ms(rw.max)} wall; CPU: 4 Portico processes ${ms(porticoBusy)}, DynamoDB ${ms(storeBusy)}, this process (sandbox + clients) ${ms(benchBusy)}`,
      );
      log(
        `  round ${round + 1}: CPU used by the 4 Portico processes ${ms(porticoBusy)}, DynamoDB ${ms(storeBusy)}, this process ${ms(benchBusy)} in ${ms(rw.max)} on ${cpus().length} CPUs; the refresh reached the provider after ${ms(refreshSeenAt - burstAt)}; answers min ${ms(Math.min(...waits.slice(-answers.length)))}, p50 ${ms(rw.p50)}, max ${ms(rw.max)}`,
      );
      refreshAt.push(refreshSeenAt - burstAt);
      for (const wait of waits.slice(-answers.length)) afterRefresh.push(wait - (refreshSeenAt - burstAt));
      clearInterval(watch);
      errors += answers.filter((ok) => !ok).length;
      refreshCounts.push(sandbox.state.stats().hubspot.refreshes);
      distinctTokens = Math.max(distinctTokens, tokens.size);
    }
    const w = summarize(waits);
    const after = summarize(afterRefresh);
    const leaves = summarize(refreshAt);
    const timing = `the refresh left for the provider ${ms(leaves.p50)} after the burst began (median of ${rounds} rounds; ${refreshAt.map((t) => ms(t)).join(', ')}); answers came p50 ${ms(after.p50)} / max ${ms(after.max)} after it reached the provider (the sandbox answers a refresh in about a millisecond, so this is the new token's write and the waiters' re-read)`;
    log(`  stampede: ${timing}`);
    log(
      `  stampede: refreshes per round ${refreshCounts.join(', ')}, errors ${errors}, distinct tokens per round <= ${distinctTokens}, wait p50 ${ms(w.p50)} p99 ${ms(w.p99)} max ${ms(w.max)}`,
    );
    const requests = procs.length * perProcess;
    return [
      {
        figure: 4,
        name: `stampede: ${procs.length} processes x ${perProcess} concurrent GET /token on an expired token`,
        value: `${refreshCounts.join(', ')} refresh(es), ${errors} errors, wait p50 ${ms(w.p50)} / p99 ${ms(w.p99)}`,
        baseline: `${requests} requests a round, ${rounds} round(s)`,
        ratio: `${Math.max(...refreshCounts)} refresh / ${requests} requests`,
        target: '1 refresh, 0 errors',
        pass: refreshCounts.every((n) => n === 1) && errors === 0 && distinctTokens === 1,
        note: `each round answered ${distinctTokens} distinct token(s); max wait ${ms(w.max)}; ${timing}; ${cpuLines.join('; ')}`,
      },
    ];
  } finally {
    http.close();
    db.client.destroy();
    await Promise.all(procs.map((p) => p.stop()));
    await sandbox.close();
    await dynamo.stop();
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  }
}
