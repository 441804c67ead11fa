import { cannon, type PorticoSetup } from './servers.js';
import { envNumber, HttpClient, int, ms, procCpuMs, type Row, ratio } from './util.js';

export const rowsPath = 'cms/hubdb/2026-03/tables/products/rows?limit=100';

/**
 * Figure 5: proxy throughput and p99. The same HubDB rows request through Portico's proxy and
 * straight to the sandbox, with the same autocannon concurrency, after a warm-up, in interleaved
 * rounds (direct, proxied, direct, ...; `BENCH_PROXY_ROUNDS`, default 3, of `BENCH_PROXY_SECONDS`
 * each): the machine's speed drifts over tens of seconds (the direct baseline ran from 1,586 to
 * 2,417 req/s in one day's runs), so one run of each compared two moments as much as two paths.
 * The ratio is of the two medians of the rounds.
 */
export async function proxyFigures(setup: PorticoSetup, log: (line: string) => void): Promise<Row[]> {
  const connections = envNumber('BENCH_PROXY_CONNECTIONS', 32);
  const seconds = envNumber('BENCH_PROXY_SECONDS', 5, 3);
  const rounds = envNumber('BENCH_PROXY_ROUNDS', 3, 1);
  const direct = {
    url: `${setup.sandbox.url}/hubspot/api/${rowsPath}`,
    headers: { authorization: `Bearer ${setup.hubspot.accessToken}` },
  };
  const proxied = {
    url: `${setup.portico.url}/v1/connections/${setup.hubspot.id}/proxy/${rowsPath}`,
    headers: { authorization: `Bearer ${setup.tenant.apiKey}` },
  };
  // Both answer the same bytes.
  const http = new HttpClient(1);
  const a = await http.get(direct.url, direct.headers);
  const b = await http.get(proxied.url, proxied.headers);
  http.close();
  if (a.status !== 200 || b.status !== 200 || a.body.length !== b.body.length) {
    throw new Error(
      `proxy check: direct ${a.status} ${a.body.length} B, proxied ${b.status} ${b.body.length} B`,
    );
  }
  // Longer than it was (2 s): after it, the proxy measured 1.84 ms of CPU a request where the same
  // route alone measured 0.77 ms a minute later in the same run (JIT warm-up, or the shared machine).
  await cannon(direct.url, direct.headers, connections, 4);
  await cannon(proxied.url, proxied.headers, connections, 4);
  // CPU each server process spends per request (from /proc), to show where the time goes.
  const pids = { portico: setup.portico.child.pid!, sandbox: setup.sandbox.pid };
  const measured = async (target: { url: string; headers: Record<string, string> }) => {
    const before = { portico: procCpuMs(pids.portico), sandbox: procCpuMs(pids.sandbox) };
    const r = await cannon(target.url, target.headers, connections, seconds);
    const per = (pid: number, was: number) => (procCpuMs(pid) - was) / Math.max(1, r.total);
    return {
      ...r,
      cpu: { portico: per(pids.portico, before.portico), sandbox: per(pids.sandbox, before.sandbox) },
    };
  };
  type Measured = Awaited<ReturnType<typeof measured>>;
  const runs = { direct: [] as Measured[], proxied: [] as Measured[] };
  for (let i = 0; i < rounds; i++) {
    runs.direct.push(await measured(direct));
    runs.proxied.push(await measured(proxied));
  }
  // The round of median throughput stands for each path; totals, errors and CPU cover every round.
  const mid = (list: Measured[]) => [...list].sort((x, y) => x.rps - y.rps)[list.length >> 1];
  const sum = (list: Measured[], f: (r: Measured) => number) => list.reduce((t, r) => t + f(r), 0);
  const whole = (list: Measured[]) => {
    const total = sum(list, (r) => r.total);
    const m = mid(list);
    return {
      rps: m.rps,
      p50: m.p50,
      p99: m.p99,
      total,
      errors: sum(list, (r) => r.errors),
      non2xx: sum(list, (r) => r.non2xx),
      cpu: {
        portico: sum(list, (r) => r.cpu.portico * r.total) / Math.max(1, total),
        sandbox: sum(list, (r) => r.cpu.sandbox * r.total) / Math.max(1, total),
      },
    };
  };
  const d = whole(runs.direct);
  const p = whole(runs.proxied);
  const cpuLine = `CPU per request: proxied ${p.cpu.portico.toFixed(2)} ms in Portico + ${p.cpu.sandbox.toFixed(2)} ms in the sandbox; direct ${d.cpu.sandbox.toFixed(2)} ms in the sandbox`;
  const roundsLine = `rounds (req/s, direct / proxied): ${runs.direct.map((r, i) => `${int(r.rps)} / ${int(runs.proxied[i].rps)}`).join(', ')}`;
  log(`  ${cpuLine}`);
  log(`  ${roundsLine}`);
  const line = (r: typeof d) => `${int(r.rps)} req/s, p50 ${ms(r.p50)} / p99 ${ms(r.p99)}`;
  log(`  proxy ${line(p)}, ${p.errors} errors, ${p.non2xx} non-2xx; direct ${line(d)}, ${d.errors} errors`);
  const x = p.rps / d.rps;
  return [
    {
      figure: 5,
      name: `proxy, HubDB rows (limit=100, ${(a.body.length / 1024).toFixed(0)} KB), ${connections} connections, ${rounds} interleaved rounds x ${seconds} s`,
      value: line(p),
      baseline: `direct to the sandbox ${line(d)}`,
      ratio: `${ratio(x)} throughput, p99 ${ratio(p.p99 / d.p99)}`,
      target: '>= 0.6x throughput',
      pass: x >= 0.6 && p.errors === 0 && p.non2xx === 0,
      note: `medians of the rounds; ${roundsLine}; proxied: ${int(p.total)} requests, ${p.errors} errors, ${p.non2xx} non-2xx; direct: ${int(d.total)} requests, ${d.errors} errors, ${d.non2xx} non-2xx; ${cpuLine}`,
    },
  ];
}
