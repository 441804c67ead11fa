import { rowsPath } from './proxy.js';
import { cannon, type LoadResult, type PorticoSetup } from './servers.js';
import { envNumber, int, ms, procCpuMs, type Row } from './util.js';

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
  const cpuBefore = procCpuMs(pid);
  const results: LoadResult[] = await Promise.all(
    routes.map((r, i) => cannon(r.url, headers, share[i], seconds)),
  );
  const cpuMs = procCpuMs(pid) - cpuBefore;
  const all = results.reduce((n, r) => n + r.total, 0);
  log(
    `  load: ${int(all)} requests in all, ${int(all / seconds)} req/s; the Portico process used ${(cpuMs / 1000).toFixed(1)} s CPU in ${seconds} s (${(cpuMs / Math.max(1, all)).toFixed(2)} ms a request)`,
  );
  const rows: Row[] = [];
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
