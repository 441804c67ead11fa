import { rowsPath } from './proxy.js';
import { cannon, type LoadResult, type PorticoSetup } from './servers.js';
import { envNumber, int, ms, procCpuMs, type Row } from './util.js';

/**
 * Each route alone, `clients` concurrent for `seconds`, after a short warm-up: the Portico
 * process's CPU (from /proc, 10 ms ticks, over thousands of requests) divided by the requests it
 * answered. CPU time is what load on the shared machine disturbs least.
 */
export async function routeCpu(
  pid: number,
  url: string,
  headers: Record<string, string>,
  clients: number,
  seconds: number,
  afterWarmUp?: () => void,
): Promise<{ requests: number; rps: number; cpuMs: number; errors: number }> {
  await cannon(url, headers, clients, 1);
  afterWarmUp?.();
  const before = procCpuMs(pid);
  const r = await cannon(url, headers, clients, seconds);
  const used = procCpuMs(pid) - before;
  return { requests: r.total, rps: r.rps, cpuMs: used / Math.max(1, r.total), errors: r.errors + r.non2xx };
}

/**
 * Figure 8: load. 200 concurrent clients for `BENCH_LOAD_SECONDS` (default 30) against one local
 * Portico process: a third each on `GET /token`, the HubDB rows route and the proxy, at once.
 */
export async function loadFigures(setup: PorticoSetup, log: (line: string) => void): Promise<Row[]> {
  const seconds = envNumber('BENCH_LOAD_SECONDS', 30, 5);
  const clients = envNumber('BENCH_LOAD_CLIENTS', 200);
  const headers = { authorization: `Bearer ${setup.tenant.apiKey}` };
  const base = `${setup.portico.url}/v1/connections/${setup.hubspot.id}`;
  const routes = [
    { name: 'GET /token', url: `${base}/token` },
    {
      name: 'GET /hubdb/tables/products/rows?limit=100',
      url: `${base}/hubdb/tables/products/rows?limit=100`,
    },
    { name: 'GET /proxy/…/rows?limit=100', url: `${base}/proxy/${rowsPath}` },
  ];
  const share = routes.map(
    (_, i) => Math.floor(clients / routes.length) + (i < clients % routes.length ? 1 : 0),
  );
  const pid = setup.portico.child.pid!;
  const cpuSeconds = envNumber('BENCH_CPU_SECONDS', 10, 3);
  const alone = [];
  for (const r of routes) {
    const x = await routeCpu(pid, r.url, headers, 32, cpuSeconds);
    log(
      `  alone ${r.name}: 32 clients, ${int(x.rps)} req/s, Portico CPU ${x.cpuMs.toFixed(3)} ms a request (${int(x.requests)} requests, ${x.errors} errors)`,
    );
    alone.push({ ...r, ...x });
  }
  const cpuBefore = procCpuMs(pid);
  const results: LoadResult[] = await Promise.all(
    routes.map((r, i) => cannon(r.url, headers, share[i], seconds)),
  );
  const cpuMs = procCpuMs(pid) - cpuBefore;
  const all = results.reduce((n, r) => n + r.total, 0);
  log(
    `  load: ${int(all)} requests in all, ${int(all / seconds)} req/s; the Portico process used ${(cpuMs / 1000).toFixed(1)} s CPU in ${seconds} s (${(cpuMs / Math.max(1, all)).toFixed(2)} ms a request)`,
  );
  const targets: Record<string, number> = { 'GET /token': 0.8, 'GET /proxy/…/rows?limit=100': 1.2 };
  const rows: Row[] = alone.map((x) => {
    const target = targets[x.name];
    return {
      figure: 8,
      name: `Portico CPU per ${x.name} under load (the route alone, 32 clients, ${cpuSeconds} s)`,
      value: `${x.cpuMs.toFixed(2)} ms`,
      baseline: `${int(x.requests)} requests, ${int(x.rps)} req/s`,
      ratio: `${x.errors} errors`,
      target: target ? `<= ${target} ms` : '(reported)',
      pass: target ? x.cpuMs <= target && x.errors === 0 : undefined,
    };
  });
  routes.forEach((r, i) => {
    const x = results[i];
    log(
      `  load ${r.name}: ${share[i]} clients, ${int(x.rps)} req/s, p50 ${ms(x.p50)} / p99 ${ms(x.p99)}, ${x.errors} errors, ${x.non2xx} non-2xx`,
    );
    rows.push({
      figure: 8,
      name: `load: ${r.name}, ${share[i]} of ${clients} clients, ${seconds} s`,
      value: `${int(x.rps)} req/s, p50 ${ms(x.p50)} / p99 ${ms(x.p99)}`,
      baseline: '(all three routes at once)',
      ratio: `${int(x.total)} requests, ${x.errors} errors, ${x.non2xx} non-2xx`,
      target: '0 errors, 0 non-2xx',
      pass: x.errors === 0 && x.non2xx === 0 && x.total > 0,
      ...(i === 0
        ? {
            note: `all three routes: ${int(all)} requests, ${int(all / seconds)} req/s; Portico process CPU ${(cpuMs / 1000).toFixed(1)} s in ${seconds} s (${(cpuMs / Math.max(1, all)).toFixed(2)} ms a request)`,
          }
        : {}),
    });
  });
  return rows;
}
